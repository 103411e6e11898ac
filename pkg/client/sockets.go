package client

// The socket session (doc/sockets.md): sockets of the kernel's stack owned
// by this process, each an ordinary descriptor.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"github.com/rumpnet/rumpnet/internal/fdmsg"
	"github.com/rumpnet/rumpnet/pkg/api"
	"golang.org/x/sys/unix"
)

// Sockets is a socket session. Its methods are safe for concurrent use;
// their errors unwrap to the errno the kernel answered
// (errors.Is(err, syscall.ECONNREFUSED)). Closing the session closes
// every socket it made, in the kernel; descriptors the process still holds
// then read end of file.
type Sockets struct {
	uc   *net.UnixConn
	wmu  sync.Mutex
	done chan struct{} // closed when the reader ends

	mu      sync.Mutex
	next    uint64
	own     int // the last socket number picked here (SocketNoWait), from -1 down
	pending map[uint64]waiter
	err     error // why the session ended
	closing bool  // Close was called
}

// waiter is a request's caller: a channel for its reply, or for a
// request sent without waiting, the function told its result.
type waiter struct {
	ch   chan sockResult
	done func(error)
}

type sockResult struct {
	rep api.SocketReply
	f   *os.File
}

// socketPath is the server's URL and its control socket's path, as init
// finds them.
func (c *Client) socketPath() (string, string, error) {
	u := c.URL
	if u == "" {
		u = os.Getenv(EnvServer)
	}
	if u == "" {
		return "", "", errNotSet()
	}
	path, err := api.SocketPath(u)
	if err != nil {
		return "", "", urlError(u, err)
	}
	return u, path, nil
}

// OpenSockets opens a socket session with the server.
func (c *Client) OpenSockets(ctx context.Context) (*Sockets, error) {
	u, path, err := c.socketPath()
	if err != nil {
		return nil, err
	}
	var d net.Dialer
	nc, err := d.DialContext(ctx, "unix", path)
	if err != nil {
		return nil, dialError(u, path, err)
	}
	uc := nc.(*net.UnixConn)
	if dl, ok := ctx.Deadline(); ok {
		uc.SetDeadline(dl)
	}
	if err := upgrade(uc); err != nil {
		uc.Close()
		return nil, err
	}
	uc.SetDeadline(noDeadline)
	s := &Sockets{uc: uc, done: make(chan struct{}), pending: map[uint64]waiter{}}
	go s.read()
	return s, nil
}

// upgrade sends the session request and reads the answer's head (and an
// error reply's body). The server sends nothing after 101 until asked,
// so reading in blocks cannot take a reply's bytes.
func upgrade(uc *net.UnixConn) error {
	_, err := uc.Write([]byte("POST " + api.SocketSessionPath + " HTTP/1.1\r\nHost: rump\r\n" +
		"Connection: Upgrade\r\nUpgrade: " + api.SocketUpgrade + "\r\nContent-Length: 0\r\n\r\n"))
	if err != nil {
		return api.Errorf(api.ErrnoOf(err), "socket session: "+err.Error())
	}
	var got []byte
	buf := make([]byte, 4096)
	for !bytes.Contains(got, []byte("\r\n\r\n")) || (!bytes.HasPrefix(got, []byte("HTTP/1.1 101")) && !bodyComplete(got)) {
		n, err := uc.Read(buf)
		if n == 0 || err != nil {
			if len(got) > 0 && bytes.Contains(got, []byte("\r\n\r\n")) {
				break
			}
			return api.Errorf(syscall.EPROTO, "socket session: no answer")
		}
		got = append(got, buf[:n]...)
		if len(got) > 64<<10 {
			return api.Errorf(syscall.EPROTO, "socket session: answer too long")
		}
	}
	if bytes.HasPrefix(got, []byte("HTTP/1.1 101")) {
		return nil
	}
	_, body, _ := bytes.Cut(got, []byte("\r\n\r\n"))
	var er api.ErrorReply
	if json.Unmarshal(body, &er) != nil {
		line, _, _ := bytes.Cut(got, []byte("\r\n"))
		return api.Errorf(syscall.EPROTO, "socket session: server answered "+string(line))
	}
	e, ok := api.ErrnoByName(er.Errno)
	if !ok {
		e = syscall.Errno(er.Code)
	}
	return api.Errorf(e, "socket session: "+er.Detail)
}

// bodyComplete reports whether a reply with a Content-Length has all of
// its body.
func bodyComplete(got []byte) bool {
	head, body, _ := bytes.Cut(got, []byte("\r\n\r\n"))
	for _, l := range strings.Split(string(head), "\r\n") {
		name, v, ok := strings.Cut(l, ":")
		if ok && strings.EqualFold(name, "Content-Length") {
			n, _ := strconv.Atoi(strings.TrimSpace(v))
			return len(body) >= n
		}
	}
	return true
}

// read delivers replies, with their descriptors, until the session ends.
func (s *Sockets) read() {
	var fds []int
	defer func() {
		for _, fd := range fds {
			unix.Close(fd)
		}
		s.mu.Lock()
		if s.err == nil && s.closing {
			s.err = api.Errorf(syscall.EPIPE, "socket session closed")
		} else if s.err == nil {
			// The server ended it: the kernel the sockets were on is
			// gone, as a network that is down.
			s.err = api.Errorf(syscall.ENETDOWN, "the server ended the socket session")
		}
		s.pending = nil
		s.mu.Unlock()
		close(s.done)
	}()
	fdmsg.Read(s.uc, api.MaxSocketMessage, 0, &fds, func(line []byte) { fds = s.deliver(line, fds) })
}

// deliver hands one reply to its caller and returns the descriptors left.
func (s *Sockets) deliver(line []byte, fds []int) []int {
	var rep api.SocketReply
	if json.Unmarshal(line, &rep) != nil {
		return fds
	}
	var f *os.File
	if rep.Fds > 0 && len(fds) >= rep.Fds {
		f = os.NewFile(uintptr(fds[0]), "rump-socket")
		for _, fd := range fds[1:rep.Fds] {
			unix.Close(fd)
		}
		fds = fds[rep.Fds:]
	}
	s.mu.Lock()
	w, ok := s.pending[rep.ID]
	delete(s.pending, rep.ID)
	s.mu.Unlock()
	if !ok || w.ch == nil {
		if f != nil {
			f.Close() // its caller went away, or did not wait
		}
		if ok {
			w.done(replyErr(rep))
		}
		return fds
	}
	w.ch <- sockResult{rep, f}
	return fds
}

// call sends one request and waits for its reply.
func (s *Sockets) call(ctx context.Context, req api.SocketRequest) (api.SocketReply, *os.File, error) {
	return s.callFile(ctx, req, nil)
}

// callFile is call with a descriptor sent along (none when f is nil).
func (s *Sockets) callFile(ctx context.Context, req api.SocketRequest, f *os.File) (api.SocketReply, *os.File, error) {
	ch, err := s.send(req, f, nil)
	if err != nil {
		return api.SocketReply{}, nil, err
	}
	select {
	case r := <-ch:
		if err := replyErr(r.rep); err != nil {
			return r.rep, nil, err
		}
		return r.rep, r.f, nil
	case <-s.done:
		s.mu.Lock()
		defer s.mu.Unlock()
		return api.SocketReply{}, nil, s.err
	case <-ctx.Done():
		s.mu.Lock()
		delete(s.pending, req.ID)
		s.mu.Unlock()
		return api.SocketReply{}, nil, &canceled{context.Cause(ctx)}
	}
}

// send writes one request, f attached (none when nil), and returns the
// channel its reply comes on; with done set, done is told the reply's
// error on the reader instead.
func (s *Sockets) send(req api.SocketRequest, f *os.File, done func(error)) (chan sockResult, error) {
	var oob []byte
	if f != nil {
		req.Fds = 1
		oob = unix.UnixRights(int(f.Fd()))
	}
	w := waiter{done: done}
	if done == nil {
		w.ch = make(chan sockResult, 1)
	}
	s.mu.Lock()
	if s.pending == nil {
		err := s.err
		s.mu.Unlock()
		return nil, err
	}
	s.next++
	req.ID = s.next
	s.pending[req.ID] = w
	s.mu.Unlock()
	b, _ := json.Marshal(req)
	b = append(b, '\n')
	s.wmu.Lock()
	n, _, err := s.uc.WriteMsgUnix(b, oob, nil)
	if err == nil && n < len(b) {
		_, err = s.uc.Write(b[n:])
	}
	s.wmu.Unlock()
	if err != nil {
		s.uc.Close()
	}
	return w.ch, nil
}

// replyErr is the error a reply carries, nil for none.
func replyErr(rep api.SocketReply) error {
	if rep.Errno == "" {
		return nil
	}
	e, ok := api.ErrnoByName(rep.Errno)
	if !ok {
		e = syscall.EIO
	}
	return api.Errorf(e, rep.Message)
}

// canceled is the error of a request whose context ended first: ECANCELED,
// and also the context's error, so that errors.Is finds
// context.Canceled or context.DeadlineExceeded as it does for net's.
type canceled struct{ cause error }

func (e *canceled) Error() string { return e.cause.Error() + ": " + api.Strerror(syscall.ECANCELED) }

func (e *canceled) Unwrap() []error { return []error{syscall.ECANCELED, e.cause} }

// Timeout reports whether the context's deadline passed, as net.Error's
// Timeout does.
func (e *canceled) Timeout() bool { return errors.Is(e.cause, context.DeadlineExceeded) }

// Temporary is false, as for every error net returns now.
func (e *canceled) Temporary() bool { return false }

func (s *Sockets) do(req api.SocketRequest) (api.SocketReply, *os.File, error) {
	return s.call(context.Background(), req)
}

// Socket makes a socket of a family (4 or 6) and type ("stream" for TCP,
// "dgram" for UDP, "icmp" for ICMP echo) and returns its number in the
// session and this process's end of it, which the caller owns.
func (s *Sockets) Socket(family int, typ string) (int, *os.File, error) {
	rep, f, err := s.do(api.SocketRequest{Op: api.SockOpSocket, Family: family, Type: typ})
	if err == nil && f == nil {
		err = api.Errorf(syscall.EPROTO, "socket: reply without a descriptor")
	}
	return rep.Sock, f, err
}

// SocketNoWait makes a socket as Socket does, without waiting for the
// reply: it makes the pair itself, numbers the socket (negative numbers,
// which the server never gives) and sends the server its end. done, when
// not nil, is told the request's result on the session's reader; if it
// failed (EAFNOSUPPORT, EMFILE), the requests sent after it that name the
// socket fail with EBADF and the server closes its end of the pair.
func (s *Sockets) SocketNoWait(family int, typ string, done func(error)) (int, *os.File, error) {
	pt := unix.SOCK_SEQPACKET
	if typ == api.SockStream {
		pt = unix.SOCK_STREAM
	}
	fds, err := unix.Socketpair(unix.AF_UNIX, pt|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return 0, nil, api.Errorf(api.ErrnoOf(err), "socketpair: "+err.Error())
	}
	sizePairEnd(fds[1])
	srv, mine := os.NewFile(uintptr(fds[0]), "rump-socket-server"), os.NewFile(uintptr(fds[1]), "rump-socket")
	defer srv.Close()
	s.mu.Lock()
	s.own--
	if s.own < -1<<30 {
		s.own = -1
	}
	id := s.own
	s.mu.Unlock()
	if done == nil {
		done = func(error) {}
	}
	if _, err := s.send(api.SocketRequest{Op: api.SockOpSocket, Sock: id, Family: family, Type: typ}, srv, done); err != nil {
		mine.Close()
		return 0, nil, err
	}
	return id, mine, nil
}

// sizePairEnd asks for the buffers rump_server gives the pairs it makes
// (4 MiB each way; the host's maximum without privilege).
func sizePairEnd(fd int) {
	const size = 4 << 20
	for _, opt := range [][2]int{{unix.SO_SNDBUFFORCE, unix.SO_SNDBUF}, {unix.SO_RCVBUFFORCE, unix.SO_RCVBUF}} {
		if unix.SetsockoptInt(fd, unix.SOL_SOCKET, opt[0], size) != nil {
			unix.SetsockoptInt(fd, unix.SOL_SOCKET, opt[1], size)
		}
	}
}

// Bind binds a socket; an address without an IP (netip.AddrPortFrom of a
// zero Addr) means any. It returns the address bound.
func (s *Sockets) Bind(id int, addr netip.AddrPort) (netip.AddrPort, error) {
	rep, _, err := s.do(api.SocketRequest{Op: api.SockOpBind, Sock: id, Addr: formatAddr(addr)})
	return parseAddr(rep.Addr, err)
}

// Listen makes a stream socket listen.
func (s *Sockets) Listen(id, backlog int) error {
	_, _, err := s.do(api.SocketRequest{Op: api.SockOpListen, Sock: id, Backlog: backlog})
	return err
}

// Connect connects a socket and returns its local address. For a stream
// it returns when the connection is made or has failed; if ctx ends
// first, the socket is closed.
func (s *Sockets) Connect(ctx context.Context, id int, addr netip.AddrPort) (netip.AddrPort, error) {
	return s.ConnectEnd(ctx, id, addr, nil)
}

// ConnectEnd is Connect sending a copy of this process's end of the
// socket along (nil for none): when it connects a datagram socket, the
// datagrams already queued on that end lose their address headers
// (doc/sockets.md).
func (s *Sockets) ConnectEnd(ctx context.Context, id int, addr netip.AddrPort, end *os.File) (netip.AddrPort, error) {
	rep, _, err := s.callFile(ctx, api.SocketRequest{Op: api.SockOpConnect, Sock: id, Addr: formatAddr(addr)}, end)
	if ctx.Err() != nil && err != nil {
		s.CloseSocket(id)
	}
	return parseAddr(rep.Addr, err)
}

// Accept takes a connection of a listening socket: its number, this
// process's end and the peer's address. With wait false it fails with
// EAGAIN when none is queued. The caller reads the one byte the listening
// socket's descriptor holds for the connection (doc/sockets.md).
func (s *Sockets) Accept(ctx context.Context, id int, wait bool) (int, *os.File, netip.AddrPort, error) {
	nid, f, peer, _, err := s.AcceptNames(ctx, id, wait)
	return nid, f, peer, err
}

// AcceptNames is Accept that also returns the new socket's local
// address, invalid when the server did not say it.
func (s *Sockets) AcceptNames(ctx context.Context, id int, wait bool) (nid int, f *os.File, peer, local netip.AddrPort, err error) {
	rep, f, err := s.call(ctx, api.SocketRequest{Op: api.SockOpAccept, Sock: id, Wait: wait})
	if err == nil && f == nil {
		err = api.Errorf(syscall.EPROTO, "accept: reply without a descriptor")
	}
	peer, err = parseAddr(rep.Peer, err)
	if err == nil {
		local, err = parseAddr(rep.Addr, nil)
	}
	if err != nil {
		if f != nil {
			f.Close()
		}
		return 0, nil, netip.AddrPort{}, netip.AddrPort{}, err
	}
	return rep.Sock, f, peer, local, nil
}

// SockName returns a socket's local address.
func (s *Sockets) SockName(id int) (netip.AddrPort, error) {
	rep, _, err := s.do(api.SocketRequest{Op: api.SockOpGetsockname, Sock: id})
	return parseAddr(rep.Addr, err)
}

// PeerName returns the address a socket is connected to.
func (s *Sockets) PeerName(id int) (netip.AddrPort, error) {
	rep, _, err := s.do(api.SocketRequest{Op: api.SockOpGetpeername, Sock: id})
	return parseAddr(rep.Addr, err)
}

// SetOpt sets an integer option, by Linux's level and name numbers.
func (s *Sockets) SetOpt(id, level, name, value int) error {
	_, _, err := s.do(api.SocketRequest{Op: api.SockOpSetsockopt, Sock: id, Level: level, Name: name, Value: value})
	return err
}

// SetOptNoWait sends SetOpt's request and returns without waiting for
// the reply; done, when not nil, is told its result on the session's
// reader. The server sets options in the order it receives requests, so a
// request sent after this one finds the option set.
func (s *Sockets) SetOptNoWait(id, level, name, value int, done func(error)) error {
	if done == nil {
		done = func(error) {}
	}
	_, err := s.send(api.SocketRequest{Op: api.SockOpSetsockopt, Sock: id, Level: level, Name: name, Value: value}, nil, done)
	return err
}

// GetOpt reads an integer option.
func (s *Sockets) GetOpt(id, level, name int) (int, error) {
	rep, _, err := s.do(api.SocketRequest{Op: api.SockOpGetsockopt, Sock: id, Level: level, Name: name})
	return rep.Value, err
}

// SetOptBytes sets an option whose value is bytes (TCP_CONGESTION).
func (s *Sockets) SetOptBytes(id, level, name int, value []byte) error {
	_, _, err := s.do(api.SocketRequest{Op: api.SockOpSetsockopt, Sock: id, Level: level, Name: name, Bytes: value})
	return err
}

// GetOptBytes reads an option whose value is bytes: TCP_INFO (Linux's
// struct tcp_info), TCP_CONGESTION (the name, NUL-padded).
func (s *Sockets) GetOptBytes(id, level, name int) ([]byte, error) {
	rep, _, err := s.do(api.SocketRequest{Op: api.SockOpGetsockopt, Sock: id, Level: level, Name: name})
	return rep.Bytes, err
}

// IfName returns the name of the kernel's interface of an index (ENODEV
// for none).
func (s *Sockets) IfName(index int) (string, error) {
	rep, _, err := s.do(api.SocketRequest{Op: api.SockOpIfName, Value: index})
	return rep.IfName, err
}

// IfIndex returns the index of the kernel's interface of a name (ENODEV
// for none).
func (s *Sockets) IfIndex(name string) (int, error) {
	rep, _, err := s.do(api.SocketRequest{Op: api.SockOpIfIndex, IfName: name})
	return rep.Value, err
}

// Shutdown shuts a socket down for reading (0), writing (1) or both (2).
func (s *Sockets) Shutdown(id, how int) error {
	_, _, err := s.do(api.SocketRequest{Op: api.SockOpShutdown, Sock: id, How: how})
	return err
}

// CloseSocket closes a socket in the kernel, whoever holds its descriptor.
func (s *Sockets) CloseSocket(id int) error {
	_, _, err := s.do(api.SocketRequest{Op: api.SockOpClose, Sock: id})
	return err
}

// Close ends the session: the kernel closes all its sockets.
func (s *Sockets) Close() error {
	s.mu.Lock()
	s.closing = true
	s.mu.Unlock()
	err := s.uc.Close()
	<-s.done
	return err
}

// Done is closed when the session has ended.
func (s *Sockets) Done() <-chan struct{} { return s.done }

func formatAddr(ap netip.AddrPort) string {
	if !ap.Addr().IsValid() {
		return ":" + strconv.Itoa(int(ap.Port()))
	}
	return ap.String()
}

func parseAddr(s string, err error) (netip.AddrPort, error) {
	if err != nil || s == "" {
		return netip.AddrPort{}, err
	}
	ap, perr := netip.ParseAddrPort(s)
	if perr != nil {
		return netip.AddrPort{}, api.Errorf(syscall.EPROTO, "address "+strconv.Quote(s))
	}
	return ap, nil
}
