// Package hijack is rumphijack's supervisor: it runs a program with a
// seccomp filter whose user notifications it answers, so that the
// program's AF_INET and AF_INET6 sockets are sockets of a rump kernel's
// stack, opened through a socket session (doc/sockets.md), while every other
// descriptor stays the host's.
//
// It must not touch the bytes of a connected socket: those go through the
// session pair natively. It must not act on a notification whose thread has
// gone (it checks SECCOMP_IOCTL_NOTIF_ID_VALID after reading memory), and
// it must not keep a copy of a program's descriptor past the notification
// that made it, or rump_server would never see the program close it.
package hijack

// Data flow. Run reads notifications from the listener and answers each in
// its own goroutine, so a blocking connect or accept holds up only its own
// thread of the program. A handler finds out whether the descriptor is one
// of the session's by the socket's inode (readlink of /proc/TID/fd/N, which
// survives dup, fork and exec); a descriptor that is not ours is answered
// with CONTINUE and the host runs the call.
//
// Locking. s.mu guards the inode map; each sock's mu guards its state.
// Neither is held across a call to the backend or a wait.

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"strconv"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Backend is the socket session the supervisor serves sockets from;
// *client.Sockets is one, tests use a fake.
type Backend interface {
	Socket(family int, typ string) (id int, f *os.File, err error)
	// SocketNoWait makes a socket without waiting for the answer, done
	// told it later; a request sent after it finds the socket made, or
	// fails with EBADF if it could not be.
	SocketNoWait(family int, typ string, done func(error)) (id int, f *os.File, err error)
	Bind(id int, addr netip.AddrPort) (netip.AddrPort, error)
	Listen(id, backlog int) error
	Connect(ctx context.Context, id int, addr netip.AddrPort) (netip.AddrPort, error)
	// ConnectEnd connects a datagram socket and gives the server a copy
	// of the program's end, so that it strips the address headers of the
	// datagrams already queued there (doc/sockets.md).
	ConnectEnd(ctx context.Context, id int, addr netip.AddrPort, end *os.File) (netip.AddrPort, error)
	// AcceptNames takes a connection; local is its own address,
	// invalid when the server does not say it.
	AcceptNames(ctx context.Context, id int, wait bool) (nid int, f *os.File, peer, local netip.AddrPort, err error)
	SockName(id int) (netip.AddrPort, error)
	PeerName(id int) (netip.AddrPort, error)
	SetOpt(id, level, name, value int) error
	// SetOptNoWait sets an option without waiting for the answer, done
	// told it later; a request sent after it finds the option set.
	SetOptNoWait(id, level, name, value int, done func(error)) error
	GetOpt(id, level, name int) (int, error)
	// SetOptBytes and GetOptBytes are for the options whose value is not
	// an integer: TCP_CONGESTION, TCP_INFO.
	SetOptBytes(id, level, name int, value []byte) error
	GetOptBytes(id, level, name int) ([]byte, error)
	// IfName and IfIndex map the kernel's interface indexes and names.
	IfName(index int) (string, error)
	IfIndex(name string) (int, error)
	Shutdown(id, how int) error
	CloseSocket(id int) error
	Close() error
}

// Supervisor answers one listener's notifications from one backend.
type Supervisor struct {
	lfd     int
	backend Backend
	// Logf, when set, is told about each call the supervisor answers.
	Logf func(format string, a ...any)

	mu       sync.Mutex
	socks    map[uint64]*sock // by the socket inode of the program's end
	sweepAt  int              // map size that starts the next sweep
	sweeping bool
	made     map[sockKind]bool // the kinds of socket the session has made
	wg       sync.WaitGroup
}

// sockKind is a session socket's family (4, 6) and type ("stream", ...).
type sockKind struct {
	family int
	typ    string
}

// minSweep is the map size below which closed sockets are not swept.
const minSweep = 1024

// sock is one session socket as the program sees it.
type sock struct {
	id     int
	family int // AF_INET or AF_INET6
	typ    int // SOCK_STREAM or SOCK_DGRAM
	proto  int

	mu        sync.Mutex
	connected bool
	listening bool
	peer      netip.AddrPort
	local     netip.AddrPort // a connected stream's, when known
	// A non-blocking connect in progress: done is closed when it ends
	// and soError is what SO_ERROR answers once.
	done    chan struct{}
	soError syscall.Errno
	// lost is why a socket made without waiting could not be made; every
	// later call on it fails so.
	lost syscall.Errno
}

// New returns a supervisor for listener lfd (which it owns from now on).
func New(lfd int, b Backend) *Supervisor {
	return &Supervisor{lfd: lfd, backend: b, socks: map[uint64]*sock{}, sweepAt: minSweep,
		made: map[sockKind]bool{}}
}

// Run answers notifications until stop is closed, or the listener reports
// that no program is left under the filter. Handlers may still run when it
// returns; Close ends them.
func (s *Supervisor) Run(stop <-chan struct{}) error {
	stopR, stopW, err := os.Pipe()
	if err != nil {
		return err
	}
	defer stopR.Close()
	go func() {
		<-stop
		stopW.Close()
	}()
	fds := []unix.PollFd{{Fd: int32(s.lfd), Events: unix.POLLIN}, {Fd: int32(stopR.Fd()), Events: unix.POLLIN}}
	for {
		fds[0].Revents, fds[1].Revents = 0, 0
		if _, err := unix.Poll(fds, -1); err != nil {
			if err == unix.EINTR {
				continue
			}
			return err
		}
		if fds[1].Revents != 0 {
			return nil
		}
		if fds[0].Revents&unix.POLLIN == 0 {
			return nil // POLLHUP: every program under the filter has gone
		}
		n, err := recvNotif(s.lfd)
		if err != nil {
			if err == unix.ENOENT {
				continue // the thread went away before we read it
			}
			return err
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.handle(n)
		}()
	}
}

// Close closes the session and the listener: rump_server frees every socket
// the program had.
// It closes the session first, so that handlers waiting on it (a connect
// the program left in the background) return, then waits for every
// handler, then closes the listener: a child the program left behind gets
// ENOSYS for its trapped calls from then on. Call it after Run returns.
func (s *Supervisor) Close() error {
	err := s.backend.Close()
	s.wg.Wait()
	unix.Close(s.lfd)
	return err
}

// reply is a handler's answer.
type reply struct {
	val   int64
	errno syscall.Errno
	cont  bool // let the host run the call
	sent  bool // already answered (ADDFD with SEND)
}

func cont() reply                          { return reply{cont: true} }
func ret(v int64) reply                    { return reply{val: v} }
func fail(e syscall.Errno) reply           { return reply{errno: e} }
func failErr(err error) reply              { return reply{errno: errnoOf(err)} }
func (s *Supervisor) valid(id uint64) bool { return idValid(s.lfd, id) }

// errnoOf is the errno err carries, EIO when none.
func errnoOf(err error) syscall.Errno {
	var e syscall.Errno
	if errors.As(err, &e) {
		return e
	}
	if errors.Is(err, context.Canceled) {
		return syscall.EINTR
	}
	return syscall.EIO
}

// call is one notification being handled.
type call struct {
	n *notif
	p proc
	// sharedSeen: a signal for the process was pending at the last look
	// of a wait (signalled).
	sharedSeen bool
}

func (c *call) arg(i int) uint64 { return c.n.Args[i] }
func (c *call) fd() int          { return int(int32(c.n.Args[0])) }

func (s *Supervisor) handle(n *notif) {
	c := &call{n: n, p: proc{tid: int(n.Pid), valid: func() bool { return s.valid(n.ID) }}}
	var r reply
	if n.Nr == unix.SYS_SOCKET {
		r = s.socket(c)
	} else {
		r = s.dispatch(c)
	}
	if s.Logf != nil {
		s.Logf("%s", describe(n, r))
	}
	if r.sent {
		return
	}
	// ENOENT: the thread was interrupted or died; nothing to answer.
	sendResp(s.lfd, n.ID, r.val, r.errno, r.cont)
}

// syscallNames names the calls the filter traps, for the log.
var syscallNames = map[int32]string{
	unix.SYS_SOCKET: "socket", unix.SYS_CONNECT: "connect", unix.SYS_BIND: "bind",
	unix.SYS_LISTEN: "listen", unix.SYS_ACCEPT: "accept", unix.SYS_ACCEPT4: "accept4",
	unix.SYS_GETSOCKNAME: "getsockname", unix.SYS_GETPEERNAME: "getpeername",
	unix.SYS_SETSOCKOPT: "setsockopt", unix.SYS_GETSOCKOPT: "getsockopt",
	unix.SYS_SHUTDOWN: "shutdown", unix.SYS_SENDTO: "sendto", unix.SYS_RECVFROM: "recvfrom",
	unix.SYS_SENDMSG: "sendmsg", unix.SYS_RECVMSG: "recvmsg",
	unix.SYS_SENDMMSG: "sendmmsg", unix.SYS_RECVMMSG: "recvmmsg",
	unix.SYS_IOCTL: "ioctl",
}

// describe is one log line: "pid 12: connect(3, 0x7ffd..., 0x10) = -1 ECONNREFUSED".
func describe(n *notif, r reply) string {
	name, ok := syscallNames[n.Nr]
	if !ok {
		name = "syscall" + strconv.Itoa(int(n.Nr))
	}
	call := fmt.Sprintf("pid %d: %s(%d, %#x, %#x)", n.Pid, name, int32(n.Args[0]), n.Args[1], n.Args[2])
	switch {
	case r.cont:
		return call + ": the host's"
	case r.sent && r.val < 0:
		return call + ": interrupted"
	case r.errno == errRestart:
		return call + " = -1 ERESTARTSYS"
	case r.errno != 0:
		return fmt.Sprintf("%s = -1 %s", call, unix.ErrnoName(r.errno))
	}
	return fmt.Sprintf("%s = %d", call, r.val)
}

// lookup finds the session socket behind the program's fd, nil when it is
// the host's.
func (s *Supervisor) lookup(c *call, fd int) (*sock, syscall.Errno) {
	ino, err := c.p.sockIno(fd)
	if err != nil {
		return nil, syscall.EBADF
	}
	if ino == 0 {
		return nil, 0
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.socks[ino], 0
}

// remember records the socket whose program end is f.
func (s *Supervisor) remember(f *os.File, k *sock) {
	ino, err := fileIno(int(f.Fd()))
	if err != nil {
		return
	}
	s.mu.Lock()
	s.socks[ino] = k
	sweep := len(s.socks) >= s.sweepAt && !s.sweeping
	if sweep {
		s.sweeping = true
	}
	s.mu.Unlock()
	if sweep {
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.sweep()
		}()
	}
}

// sweep forgets the sockets rump_server has closed: the program closes
// its descriptors without a word to the supervisor, and the server, which
// sees the pair's end of file, answers EBADF for them from then on. The
// next sweep starts at twice the sockets left, so sweeping costs a
// constant per socket made.
func (s *Supervisor) sweep() {
	s.mu.Lock()
	all := make(map[uint64]int, len(s.socks))
	for ino, k := range s.socks {
		all[ino] = k.id
	}
	s.mu.Unlock()
	var gone []uint64
	for ino, id := range all {
		if _, err := s.backend.SockName(id); errors.Is(err, syscall.EBADF) {
			gone = append(gone, ino)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, ino := range gone {
		delete(s.socks, ino)
	}
	s.sweepAt = max(minSweep, 2*len(s.socks))
	s.sweeping = false
}

// watch returns a context cancelled when c stops being valid (the
// program's thread was interrupted or died) or has a signal to take
// (signalled), so a blocking session request does not outlive the call
// that made it.
func (s *Supervisor) watch(c *call) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		t := time.NewTicker(waitTick)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if !s.valid(c.n.ID) || c.signalled() != 0 {
					cancel()
					return
				}
			}
		}
	}()
	return ctx, cancel
}

// waitTick is how often a waiting handler looks whether its call is still
// valid and whether its thread has a signal to take.
const waitTick = 200 * time.Millisecond

// waitFD waits until fd polls for events, giving up with EAGAIN at
// deadline (none when zero), as a descriptor with SO_RCVTIMEO or
// SO_SNDTIMEO does, with EINTR when the notification stops being valid,
// and for a signal the thread has to take as Linux's own blocking calls
// do: ERESTARTSYS (restarted after a handler with SA_RESTART) without a
// deadline, EINTR with one.
func (s *Supervisor) waitFD(c *call, fd int, events int16, deadline time.Time) syscall.Errno {
	pfd := []unix.PollFd{{Fd: int32(fd), Events: events}}
	for {
		wait := waitTick
		if !deadline.IsZero() {
			left := time.Until(deadline)
			if left <= 0 {
				return syscall.EAGAIN
			}
			wait = min(wait, left)
		}
		pfd[0].Revents = 0
		n, err := unix.Poll(pfd, int(wait.Milliseconds())+1)
		if n > 0 {
			return 0
		}
		if err != nil && err != unix.EINTR {
			return errnoOf(err)
		}
		if !s.valid(c.n.ID) {
			return syscall.EINTR
		}
		if e := c.signalled(); e != 0 {
			if e == errRestart && !deadline.IsZero() {
				e = syscall.EINTR
			}
			return e
		}
	}
}

// errRestart is ERESTARTSYS, the kernel's answer for a call a signal
// interrupted: the thread runs the handler and the call starts again if
// the handler has SA_RESTART, or fails with EINTR if not. It must only be
// answered when the thread has a signal to take, or the program would see
// errno 512.
const errRestart = syscall.Errno(512)

// signalled is how a waiting call ends for a signal its thread has to
// take, 0 when there is none. The filter's waits end only for a fatal
// signal (installFilter), so the supervisor looks for the others itself,
// between two looks at its descriptor: a signal pending for the thread
// ends the call with ERESTARTSYS, as one pending for the process does when
// the thread is the process's only one. With other threads, the kernel
// gives a process's signal to one of them that does not block it; when it
// is still pending at the next look, none has taken it and it is this
// thread's to take, and the call ends with EINTR (ERESTARTSYS would reach
// the program as errno 512 if this thread was not the one chosen).
func (c *call) signalled() syscall.Errno {
	st, err := c.p.signals()
	if err != nil {
		return 0
	}
	switch {
	case st.own != 0, st.shared != 0 && st.threads == 1:
		return errRestart
	case st.shared != 0 && c.sharedSeen:
		return syscall.EINTR
	}
	c.sharedSeen = st.shared != 0
	return 0
}

// fdDeadline is when a blocking call on fd times out by its SO_RCVTIMEO or
// SO_SNDTIMEO (opt), zero when it never does.
func fdDeadline(fd, opt int) time.Time {
	tv, err := unix.GetsockoptTimeval(fd, unix.SOL_SOCKET, opt)
	if err != nil || (tv.Sec == 0 && tv.Usec == 0) {
		return time.Time{}
	}
	return time.Now().Add(time.Duration(tv.Sec)*time.Second + time.Duration(tv.Usec)*time.Microsecond)
}
