package hijack

// Datagrams with an address. On an unconnected datagram socket every
// message on the pair carries an address header (doc/sockets.md), so a
// sendto, sendmsg, recvfrom or recvmsg with an address is done here, on a
// copy of the program's descriptor, and the payload and address copied
// between the pair and the program's memory. Connected sockets and calls
// without an address go to the host.

import (
	"net/netip"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// maxDatagram bounds one datagram's payload.
const maxDatagram = 65536

func (k *sock) isConnected() bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.connected
}

func (k *sock) peerAddr() netip.AddrPort {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.peer
}

// sendOne writes one datagram to the pair: with to's header, and the
// packet info asked for, while the socket is unconnected; bare once it is.
func (s *Supervisor) sendOne(c *call, k *sock, fd int, flags int, to *netip.AddrPort, info pktInfo, payload []byte) syscall.Errno {
	msg := payload
	if !k.isConnected() {
		if to == nil {
			return syscall.EDESTADDRREQ
		}
		msg = append(encodeHeaderInfo(*to, info), payload...)
	} else if to != nil && *to != k.peerAddr() {
		return syscall.EISCONN // the session has no way to send elsewhere
	}
	f := unix.MSG_NOSIGNAL | flags&unix.MSG_DONTWAIT
	var deadline time.Time
	for {
		err := unix.Sendmsg(fd, msg, nil, nil, f|unix.MSG_DONTWAIT)
		if err == nil {
			return 0
		}
		if err != unix.EAGAIN || f&unix.MSG_DONTWAIT != 0 || nonblocking(fd) {
			return errnoOf(err)
		}
		if deadline.IsZero() {
			deadline = fdDeadline(fd, unix.SO_SNDTIMEO)
		}
		if e := s.waitFD(c, fd, unix.POLLOUT, deadline); e != 0 {
			return e
		}
	}
}

// received is one datagram from the pair: its payload as far as it fits,
// its full length, its source and packet info.
type received struct {
	payload []byte
	full    int
	from    netip.AddrPort
	info    pktInfo
}

// recvOne reads one datagram from the pair into a buffer of max bytes.
func (s *Supervisor) recvOne(c *call, k *sock, fd int, flags int, max int) (received, syscall.Errno) {
	connected := k.isConnected()
	buf := make([]byte, max+maxHeader)
	var deadline time.Time
	for {
		n, _, _, _, err := unix.Recvmsg(fd, buf, nil, unix.MSG_DONTWAIT|unix.MSG_TRUNC|flags&unix.MSG_PEEK)
		if err == unix.EAGAIN && flags&unix.MSG_DONTWAIT == 0 && !nonblocking(fd) {
			if deadline.IsZero() {
				deadline = fdDeadline(fd, unix.SO_RCVTIMEO)
			}
			if e := s.waitFD(c, fd, unix.POLLIN, deadline); e != 0 {
				return received{}, e
			}
			continue
		}
		if err != nil {
			return received{}, errnoOf(err)
		}
		if n == 0 {
			return received{from: k.peerAddr()}, 0
		}
		msg := buf[:min(n, len(buf))]
		if connected {
			return received{payload: msg[:min(len(msg), max)], full: n, from: k.peerAddr()}, 0
		}
		from, info, payload, err := decodeHeaderInfo(msg)
		if err != nil {
			return received{}, syscall.EIO
		}
		full := n - (len(msg) - len(payload))
		return received{payload[:min(len(payload), max)], full, from, info}, 0
	}
}

// writeName writes a source address to the program: addrp, and its length
// to lenp (a socklen_t the program set to its buffer's size).
func (s *Supervisor) writeName(c *call, k *sock, addrp, lenp uint64, from netip.AddrPort) syscall.Errno {
	alen, err := c.p.readU32(lenp)
	if err != nil {
		return syscall.EFAULT
	}
	sa := encodeSockaddr(k.family, from)
	if c.p.write(addrp, sa[:min(int(alen), len(sa))]) != nil || c.p.write(lenp, u32(uint32(len(sa)))) != nil {
		return syscall.EFAULT
	}
	return 0
}

func (s *Supervisor) sendto(c *call, k *sock) reply {
	if k.typ == unix.SOCK_STREAM {
		return cont()
	}
	buf, n, flags := c.arg(1), int(c.arg(2)), int(int32(c.arg(3)))
	if n < 0 || n > maxDatagram {
		return fail(syscall.EMSGSIZE)
	}
	to, e := s.readAddr(c, k, c.arg(4), c.arg(5))
	if e != 0 {
		return fail(e)
	}
	payload, err := c.p.read(buf, n)
	if err != nil {
		return fail(syscall.EFAULT)
	}
	if !s.valid(c.n.ID) {
		return fail(syscall.EINTR)
	}
	return s.withDup(c, func(fd int) reply {
		if e := s.sendOne(c, k, fd, flags, &to, pktInfo{}, payload); e != 0 {
			return fail(e)
		}
		return ret(int64(n))
	})
}

func (s *Supervisor) recvfrom(c *call, k *sock) reply {
	if k.typ == unix.SOCK_STREAM {
		return cont()
	}
	buf, n, flags := c.arg(1), int(min(c.arg(2), maxDatagram)), int(int32(c.arg(3)))
	return s.withDup(c, func(fd int) reply {
		r, e := s.recvOne(c, k, fd, flags, n)
		if e != 0 {
			return fail(e)
		}
		if c.p.write(buf, r.payload) != nil {
			return fail(syscall.EFAULT)
		}
		if e := s.writeName(c, k, c.arg(4), c.arg(5), r.from); e != 0 {
			return fail(e)
		}
		if flags&unix.MSG_TRUNC != 0 {
			return ret(int64(r.full))
		}
		return ret(int64(len(r.payload)))
	})
}
