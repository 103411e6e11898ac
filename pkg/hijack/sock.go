package hijack

// The handlers of socket(2) and of the calls that act on a socket as a
// whole: bind, listen, accept, connect, names, options and shutdown.

import (
	"context"
	"net/netip"
	"os"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// maxSockaddr bounds what is read of a program's sockaddr.
const maxSockaddr = 128

func (s *Supervisor) dispatch(c *call) reply {
	k, e := s.lookup(c, c.fd())
	if e != 0 || k == nil {
		return cont() // the host's descriptor, or none: the host answers
	}
	if e := k.lostErr(); e != 0 {
		return fail(e)
	}
	r := s.dispatchSock(c, k)
	if r.errno == syscall.EBADF {
		// The socket's own answer comes before the answer of a request
		// on it: a socket made without waiting that failed is known now.
		if e := k.lostErr(); e != 0 {
			r = fail(e)
		}
	}
	return r
}

func (s *Supervisor) dispatchSock(c *call, k *sock) reply {
	switch c.n.Nr {
	case unix.SYS_BIND:
		return s.bind(c, k)
	case unix.SYS_LISTEN:
		return s.listen(c, k)
	case unix.SYS_ACCEPT, unix.SYS_ACCEPT4:
		return s.accept(c, k)
	case unix.SYS_CONNECT:
		return s.connect(c, k)
	case unix.SYS_GETSOCKNAME, unix.SYS_GETPEERNAME:
		return s.names(c, k)
	case unix.SYS_SETSOCKOPT:
		return s.setsockopt(c, k)
	case unix.SYS_GETSOCKOPT:
		return s.getsockopt(c, k)
	case unix.SYS_SHUTDOWN:
		return s.shutdown(c, k)
	case unix.SYS_SENDTO:
		return s.sendto(c, k)
	case unix.SYS_RECVFROM:
		return s.recvfrom(c, k)
	case unix.SYS_SENDMSG:
		return s.sendmsg(c, k)
	case unix.SYS_RECVMSG:
		return s.recvmsg(c, k)
	case unix.SYS_SENDMMSG:
		return s.sendmmsg(c, k)
	case unix.SYS_RECVMMSG:
		return s.recvmmsg(c, k)
	case unix.SYS_IOCTL:
		return s.ifIoctl(c, k)
	}
	return cont()
}

// sessionType maps socket(2)'s type and protocol to the session's type.
// SOCK_RAW is EPERM, what an unprivileged program gets from the host and
// handles (ping falls back to an ICMP datagram socket).
func sessionType(family, typ, proto int) (string, syscall.Errno) {
	switch typ {
	case unix.SOCK_STREAM:
		if proto == 0 || proto == unix.IPPROTO_TCP {
			return "stream", 0
		}
	case unix.SOCK_DGRAM:
		switch {
		case proto == 0 || proto == unix.IPPROTO_UDP:
			return "dgram", 0
		case family == unix.AF_INET && proto == unix.IPPROTO_ICMP,
			family == unix.AF_INET6 && proto == unix.IPPROTO_ICMPV6:
			return "icmp", 0
		}
	case unix.SOCK_RAW:
		return "", syscall.EPERM
	default:
		return "", syscall.ESOCKTNOSUPPORT
	}
	return "", syscall.EPROTONOSUPPORT
}

func (s *Supervisor) socket(c *call) reply {
	family, typ, proto := int(int32(c.arg(0))), int(int32(c.arg(1))), int(int32(c.arg(2)))
	flags := typ &^ 0xf
	typ &= 0xf
	if flags&^(unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC) != 0 {
		return fail(syscall.EINVAL)
	}
	st, e := sessionType(family, typ, proto)
	if e != 0 {
		return fail(e)
	}
	if proto == 0 {
		proto = map[string]int{"stream": unix.IPPROTO_TCP, "dgram": unix.IPPROTO_UDP}[st]
	}
	fam := 4
	if family == unix.AF_INET6 {
		fam = 6
	}
	k := &sock{family: family, typ: typ, proto: proto}
	id, f, err := s.makeSocket(k, fam, st)
	if err != nil {
		return failErr(err)
	}
	defer f.Close()
	fd := int(f.Fd()) // Fd leaves the descriptor blocking
	if flags&unix.SOCK_NONBLOCK != 0 {
		unix.SetNonblock(fd, true)
	}
	k.id = id
	s.remember(f, k)
	return s.install(c, id, fd, flags&unix.SOCK_CLOEXEC != 0)
}

// makeSocket makes k's session socket. The first of a family and type
// waits for the answer (the kernel may lack the family); after one has
// been made, the next are made without waiting (doc/design.md), and a
// failure the answer tells later is k's lost error.
func (s *Supervisor) makeSocket(k *sock, fam int, st string) (int, *os.File, error) {
	kind := sockKind{fam, st}
	s.mu.Lock()
	made := s.made[kind]
	s.mu.Unlock()
	if made {
		return s.backend.SocketNoWait(fam, st, func(err error) {
			if err != nil {
				k.mu.Lock()
				k.lost = errnoOf(err)
				k.mu.Unlock()
				if s.Logf != nil {
					s.Logf("socket(%d, %s) made without waiting: %v", fam, st, err)
				}
			}
		})
	}
	id, f, err := s.backend.Socket(fam, st)
	if err == nil {
		s.mu.Lock()
		s.made[kind] = true
		s.mu.Unlock()
	}
	return id, f, err
}

// lostErr is why a socket made without waiting could not be made, 0 if
// it was (or is not known yet: a request sent now fails with EBADF then).
func (k *sock) lostErr() syscall.Errno {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.lost
}

// install gives the program fd as the call's result; on failure the
// session socket is closed.
func (s *Supervisor) install(c *call, id, fd int, cloexec bool) reply {
	nfd, err := addFDSend(s.lfd, c.n.ID, fd, cloexec)
	if err != nil {
		s.backend.CloseSocket(id)
		if err == unix.ENOENT {
			return reply{sent: true, val: -1}
		}
		return failErr(err)
	}
	return reply{sent: true, val: int64(nfd)}
}

// readAddr reads the sockaddr of a bind, connect or sendto.
func (s *Supervisor) readAddr(c *call, k *sock, addr, n uint64) (netip.AddrPort, syscall.Errno) {
	if n > maxSockaddr || int64(n) < 0 {
		return netip.AddrPort{}, syscall.EINVAL
	}
	b, err := c.p.read(addr, int(n))
	if err != nil {
		return netip.AddrPort{}, syscall.EFAULT
	}
	ap, err := decodeSockaddr(b)
	if err != nil {
		return netip.AddrPort{}, errnoOf(err)
	}
	if (k.family == unix.AF_INET) != ap.Addr().Is4() {
		if k.family == unix.AF_INET {
			return netip.AddrPort{}, syscall.EAFNOSUPPORT
		}
		return netip.AddrPort{}, syscall.EINVAL
	}
	return sessionAddr(k.family, ap), 0
}

func (s *Supervisor) bind(c *call, k *sock) reply {
	ap, e := s.readAddr(c, k, c.arg(1), c.arg(2))
	if e != 0 {
		return fail(e)
	}
	if !s.valid(c.n.ID) {
		return fail(syscall.EINTR)
	}
	if _, err := s.backend.Bind(k.id, ap); err != nil {
		return failErr(err)
	}
	return ret(0)
}

func (s *Supervisor) listen(c *call, k *sock) reply {
	if err := s.backend.Listen(k.id, int(int32(c.arg(1)))); err != nil {
		return failErr(err)
	}
	k.mu.Lock()
	k.listening = true
	k.mu.Unlock()
	return ret(0)
}

// withDup runs f on a copy of the program's fd.
func (s *Supervisor) withDup(c *call, f func(fd int) reply) reply {
	fd, err := c.p.dup(c.fd())
	if err != nil {
		return fail(syscall.EBADF)
	}
	defer unix.Close(fd)
	return f(fd)
}

func (s *Supervisor) connect(c *call, k *sock) reply {
	ap, e := s.readAddr(c, k, c.arg(1), c.arg(2))
	if e != 0 {
		if e == syscall.EAFNOSUPPORT && k.typ == unix.SOCK_DGRAM {
			return fail(syscall.EOPNOTSUPP) // AF_UNSPEC: dissolving is not in the session
		}
		return fail(e)
	}
	if !s.valid(c.n.ID) {
		return fail(syscall.EINTR)
	}
	return s.withDup(c, func(fd int) reply {
		if k.typ == unix.SOCK_DGRAM {
			if err := s.connectDgram(k, ap, fd); err != nil {
				return failErr(err)
			}
			k.mu.Lock()
			k.connected, k.peer = true, ap
			k.mu.Unlock()
			return ret(0)
		}
		r := s.connectAsync(k, ap)
		if r.errno != syscall.EINPROGRESS || nonblocking(fd) {
			return r
		}
		// A blocking connect waits for the one in the background, so an
		// interrupted connect goes on as Linux's does: the program's
		// retry gets EALREADY, then EISCONN or the error.
		if e, _ := s.connectResult(c, k); e != 0 {
			return fail(e)
		}
		if !k.isConnected() {
			return fail(syscall.EINTR)
		}
		return ret(0)
	})
}

// connectDgram connects a datagram socket, giving the backend a copy of
// the program's end.
func (s *Supervisor) connectDgram(k *sock, ap netip.AddrPort, fd int) error {
	nfd, err := unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, 0)
	if err != nil {
		return err
	}
	end := os.NewFile(uintptr(nfd), "program-end")
	defer end.Close()
	_, err = s.backend.ConnectEnd(context.Background(), k.id, ap, end)
	return err
}

// connectAsync starts a non-blocking connect: EINPROGRESS now, the result
// for SO_ERROR later.
func (s *Supervisor) connectAsync(k *sock, ap netip.AddrPort) reply {
	k.mu.Lock()
	if k.done != nil || k.connected {
		k.mu.Unlock()
		return s.connectAgain(k)
	}
	done := make(chan struct{})
	k.done = done
	k.mu.Unlock()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		local, err := s.backend.Connect(context.Background(), k.id, ap)
		k.mu.Lock()
		if err != nil {
			k.soError = errnoOf(err)
			if k.lost != 0 {
				k.soError = k.lost
			}
		} else {
			k.connected, k.peer, k.local = true, ap, local
		}
		close(done)
		k.mu.Unlock()
	}()
	return fail(syscall.EINPROGRESS)
}

// connectAgain answers a connect on a socket that is connecting or
// connected, as Linux does.
func (s *Supervisor) connectAgain(k *sock) reply {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.done != nil {
		select {
		case <-k.done:
		default:
			return fail(syscall.EALREADY)
		}
		k.done = nil
		if e := k.soError; e != 0 {
			k.soError = 0
			return fail(e)
		}
	}
	return fail(syscall.EISCONN)
}

func (s *Supervisor) accept(c *call, k *sock) reply {
	addrp, lenp, flags := c.arg(1), c.arg(2), int(int32(c.arg(3)))
	if c.n.Nr == unix.SYS_ACCEPT {
		flags = 0
	}
	if flags&^(unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC) != 0 {
		return fail(syscall.EINVAL)
	}
	var alen uint32
	if addrp != 0 {
		v, err := c.p.readU32(lenp)
		if err != nil {
			return fail(syscall.EFAULT)
		}
		alen = v
	}
	if !s.valid(c.n.ID) {
		return fail(syscall.EINTR)
	}
	return s.withDup(c, func(lfd int) reply {
		nid, f, peer, local, e := s.acceptOne(c, k, lfd)
		if e != 0 {
			return fail(e)
		}
		defer f.Close()
		s.takeReadyByte(lfd)
		fd := int(f.Fd())
		if flags&unix.SOCK_NONBLOCK != 0 {
			unix.SetNonblock(fd, true)
		}
		if addrp != 0 {
			sa := encodeSockaddr(k.family, peer)
			n := min(int(alen), len(sa))
			if c.p.write(addrp, sa[:n]) != nil || c.p.write(lenp, u32(uint32(len(sa)))) != nil {
				s.backend.CloseSocket(nid)
				return fail(syscall.EFAULT)
			}
		}
		s.remember(f, &sock{id: nid, family: k.family, typ: unix.SOCK_STREAM,
			proto: unix.IPPROTO_TCP, connected: true, peer: peer, local: local})
		return s.install(c, nid, fd, flags&unix.SOCK_CLOEXEC != 0)
	})
}

// acceptOne takes a queued connection. It never asks the session to wait,
// since a request cannot be taken back when the program is interrupted and
// its connection would be lost: it waits for the listener's pair to poll
// readable (a connection is queued), honouring O_NONBLOCK and SO_RCVTIMEO,
// and asks without waiting. While the pair holds no byte no connection is
// queued (its byte is written first and read only after its accept), so a
// non-blocking accept then fails with EAGAIN without asking.
func (s *Supervisor) acceptOne(c *call, k *sock, lfd int) (int, *os.File, netip.AddrPort, netip.AddrPort, syscall.Errno) {
	nb := nonblocking(lfd)
	var deadline time.Time
	for spurious := false; ; spurious = true {
		if !readable(lfd) {
			if nb {
				return 0, nil, netip.AddrPort{}, netip.AddrPort{}, syscall.EAGAIN
			}
			if deadline.IsZero() {
				deadline = fdDeadline(lfd, unix.SO_RCVTIMEO)
			}
			if e := s.waitFD(c, lfd, unix.POLLIN, deadline); e != 0 {
				return 0, nil, netip.AddrPort{}, netip.AddrPort{}, e
			}
		}
		nid, f, peer, local, err := s.backend.AcceptNames(context.Background(), k.id, false)
		if err == nil {
			return nid, f, peer, local, 0
		}
		if e := errnoOf(err); e != syscall.EAGAIN || nb {
			return 0, nil, netip.AddrPort{}, netip.AddrPort{}, e
		}
		if spurious {
			// Readable but nothing queued: another holder took it, or
			// its byte is on its way; do not spin.
			time.Sleep(5 * time.Millisecond)
		}
	}
}

// readable reports whether fd polls readable (or hung up) now.
func readable(fd int) bool {
	pfd := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
	n, _ := unix.Poll(pfd, 0)
	return n > 0
}

// takeReadyByte reads the byte rump_server wrote to the listener's pair for
// the connection just accepted (doc/sockets.md). It is written before the
// accept is answered, so it is there or about to be.
func (s *Supervisor) takeReadyByte(lfd int) {
	pfd := []unix.PollFd{{Fd: int32(lfd), Events: unix.POLLIN}}
	for range 50 {
		if n, _ := unix.Poll(pfd, 100); n > 0 {
			break
		}
	}
	var b [1]byte
	unix.Recvfrom(lfd, b[:], unix.MSG_DONTWAIT)
}

func (s *Supervisor) names(c *call, k *sock) reply {
	addrp, lenp := c.arg(1), c.arg(2)
	alen, err := c.p.readU32(lenp)
	if err != nil {
		return fail(syscall.EFAULT)
	}
	if int32(alen) < 0 {
		return fail(syscall.EINVAL)
	}
	ap, ok := k.knownName(c.n.Nr == unix.SYS_GETPEERNAME)
	if !ok {
		if c.n.Nr == unix.SYS_GETSOCKNAME {
			ap, err = s.backend.SockName(k.id)
		} else {
			ap, err = s.backend.PeerName(k.id)
		}
		if err != nil {
			return failErr(err)
		}
	}
	sa := encodeSockaddr(k.family, ap)
	if c.p.write(addrp, sa[:min(int(alen), len(sa))]) != nil || c.p.write(lenp, u32(uint32(len(sa)))) != nil {
		return fail(syscall.EFAULT)
	}
	return ret(0)
}

// knownName is a connected stream's local or peer address, which does
// not change once it is connected: the supervisor has it from the connect
// or the accept and answers without a round trip. ok is false when it
// does not know it.
func (k *sock) knownName(peer bool) (ap netip.AddrPort, ok bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.typ != unix.SOCK_STREAM || !k.connected {
		return ap, false
	}
	if peer {
		ap = k.peer
	} else {
		ap = k.local
	}
	return ap, ap.IsValid()
}

func (s *Supervisor) shutdown(c *call, k *sock) reply {
	if k.typ == unix.SOCK_STREAM {
		k.mu.Lock()
		connected := k.connected
		k.mu.Unlock()
		if !connected {
			return fail(syscall.ENOTCONN)
		}
		// On the pair itself: rump_server sends FIN after the bytes
		// already written, which a request to the session would overtake.
		return cont()
	}
	if err := s.backend.Shutdown(k.id, int(int32(c.arg(1)))); err != nil {
		return failErr(err)
	}
	return ret(0)
}
