package ctlserver

// POST /v1/socket with "Upgrade: rumpnet-socket": the socket session of
// doc/sockets.md. The handler only checks the request; serveStream then
// answers 101 (pkg/http1 switches the connection) and runs the session on
// the connection's goroutine until the client closes it or the server
// closes.
//
// The session reads the connection with recvmsg, so descriptors sent with
// SCM_RIGHTS are queued as they come, and splits what it reads into JSON
// lines (at most api.MaxSocketMessage each: a longer one ends the
// session). A connect or an accept runs on a goroutine of its own, so
// that it does not hold up the others while it waits; at most maxInFlight
// run at once, and the reader waits beyond that. Every other request is
// quick and runs on the reader, in order, so that a client may send one
// without waiting for its reply and know it is done before the next. Each reply is
// one sendmsg, with its descriptor attached, under a write mutex. When the
// session ends, the requests still waiting are cancelled and awaited, and
// every socket of the session is closed.

import (
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
	"github.com/rumpnet/rumpnet/pkg/http1"
	"github.com/rumpnet/rumpnet/pkg/rump"
	"golang.org/x/sys/unix"
)

// maxInFlight bounds the requests of one session that run at once.
const maxInFlight = 256

// socketUpgrade is a session request that has passed the route's checks.
type socketUpgrade struct{ s *Server }

func (s *Server) socketSession(string, json.RawMessage) (any, error) {
	return socketUpgrade{s}, nil
}

// serveStream switches the connection to a session and serves it.
func (u socketUpgrade) serveStream(w replier, _ *request) {
	x, ok := w.(wire)
	switch {
	case !ok:
		writeError(w, api.Errorf(syscall.EOPNOTSUPP, "socket session on this connection"))
		return
	case !strings.EqualFold(x.r.Upgrade, api.SocketUpgrade):
		writeError(w, api.Errorf(syscall.EINVAL, "socket session needs Upgrade: "+api.SocketUpgrade))
		return
	}
	// The session is long-lived: pkg/http1 lifts the connection's
	// deadlines, and counts it as idle, so a server going down ends its
	// sessions instead of waiting for them.
	nc, err := x.w.Upgrade(api.SocketUpgrade, func(nc net.Conn) error {
		if _, ok := nc.(*net.UnixConn); !ok {
			return api.Errorf(syscall.EOPNOTSUPP, "socket session needs a Unix socket")
		}
		return nil
	})
	switch {
	case errors.Is(err, http1.ErrUpgradeData):
		// Descriptors would have been lost with bytes read before the
		// switch: the client must wait for 101.
		writeError(w, api.Errorf(syscall.EPROTO, "socket session data before 101"))
		return
	case err != nil:
		writeError(w, err) // nothing is sent once the 101 is out
		return
	}
	newSession(u.s.k, nc.(*net.UnixConn)).run()
}

// session is one socket session.
type session struct {
	uc     *net.UnixConn
	set    *rump.SocketSet
	ctx    context.Context // cancelled when the session ends
	cancel context.CancelFunc
	wg     sync.WaitGroup // the requests running
	slots  chan struct{}  // maxInFlight
	wmu    sync.Mutex     // one reply at a time

	fds []int // received descriptors not yet claimed; the reader's own
}

func newSession(k *rump.Kernel, uc *net.UnixConn) *session {
	ctx, cancel := context.WithCancel(context.Background())
	return &session{uc: uc, set: k.NewSocketSet(api.MaxSessionSockets), ctx: ctx, cancel: cancel,
		slots: make(chan struct{}, maxInFlight)}
}

// run reads requests until the connection ends, then cleans up.
func (ss *session) run() {
	defer func() {
		ss.cancel()
		ss.uc.Close() // a reply blocked on a client that stopped reading fails
		ss.wg.Wait()
		ss.set.Close()
		ss.closeFds(len(ss.fds))
	}()
	fdmsg.Read(ss.uc, api.MaxSocketMessage, api.MaxSocketMessage, &ss.fds, ss.dispatch)
}

// closeFds closes the first n queued descriptors: the ones a message says
// it carries and its op does not take are dropped.
func (ss *session) closeFds(n int) {
	n = min(n, len(ss.fds))
	for _, fd := range ss.fds[:n] {
		unix.Close(fd)
	}
	ss.fds = ss.fds[n:]
}

// dispatch starts one request.
func (ss *session) dispatch(line []byte) {
	var req api.SocketRequest
	if err := json.Unmarshal(line, &req); err != nil {
		ss.reply(api.SocketReply{Errno: "EINVAL", Message: "request is not a JSON object: " + err.Error()}, nil)
		return
	}
	var end *os.File
	if takesFd(&req) && req.Fds > 0 && len(ss.fds) > 0 {
		end = os.NewFile(uintptr(ss.fds[0]), "rump-socket-end")
		ss.fds = ss.fds[1:]
		req.Fds--
	}
	ss.closeFds(req.Fds)
	if !mayBlock(&req) {
		// Quick ops run here, in the order they came, before the next
		// request is read: a request the client does not wait for (an
		// option) is done before anything it sends after it.
		rep, f := ss.do(&req, end)
		if end != nil {
			end.Close()
		}
		rep.ID = req.ID
		ss.reply(rep, f)
		return
	}
	select {
	case ss.slots <- struct{}{}:
	case <-ss.ctx.Done():
		if end != nil {
			end.Close()
		}
		return
	}
	ss.wg.Add(1)
	go func() {
		defer ss.wg.Done()
		defer func() { <-ss.slots }()
		if end != nil {
			defer end.Close()
		}
		rep, f := ss.do(&req, end)
		rep.ID = req.ID
		ss.reply(rep, f)
	}()
}

// takesFd reports whether a request takes the descriptor it comes with:
// a connect (a datagram socket's client end) and a socket (rump_server's
// end of a pair the client made).
func takesFd(req *api.SocketRequest) bool {
	return req.Op == api.SockOpConnect || req.Op == api.SockOpSocket
}

// mayBlock reports whether a request may wait for the network or for a
// peer (a stream's connect, an accept that waits): those run on
// goroutines of their own.
func mayBlock(req *api.SocketRequest) bool {
	return req.Op == api.SockOpConnect || req.Op == api.SockOpAccept
}

// reply sends one reply with one sendmsg, f attached, and closes f.
func (ss *session) reply(rep api.SocketReply, f *os.File) {
	var oob []byte
	if f != nil {
		defer f.Close()
		rep.Fds = 1
		oob = unix.UnixRights(int(f.Fd()))
	}
	b, _ := json.Marshal(rep)
	b = append(b, '\n')
	ss.wmu.Lock()
	defer ss.wmu.Unlock()
	n, _, err := ss.uc.WriteMsgUnix(b, oob, nil)
	if err == nil && n < len(b) {
		ss.uc.Write(b[n:])
	}
}

// do runs one request and returns its reply, and the descriptor to send;
// end is the descriptor a connect or a socket came with (a socket takes
// it, and closes it on failure).
func (ss *session) do(req *api.SocketRequest, end *os.File) (api.SocketReply, *os.File) {
	var rep api.SocketReply
	var f *os.File
	var addr netip.AddrPort
	var err error
	set := ss.set
	switch req.Op {
	case api.SockOpSocket:
		if end == nil && req.Sock != 0 {
			err = api.Errorf(syscall.EINVAL, "socket numbered by the client without its end")
		} else if end == nil {
			rep.Sock, f, err = set.Socket(req.Family, req.Type)
		} else if err = set.SocketOn(req.Sock, req.Family, req.Type, end); err == nil {
			rep.Sock = req.Sock
		}
	case api.SockOpBind:
		if addr, err = parseSockAddr(req.Addr); err == nil {
			addr, err = set.Bind(req.Sock, addr)
		}
	case api.SockOpListen:
		err = set.Listen(req.Sock, req.Backlog)
	case api.SockOpConnect:
		if addr, err = parseSockAddr(req.Addr); err == nil {
			addr, err = set.ConnectEnd(ss.ctx, req.Sock, addr, end)
		}
	case api.SockOpAccept:
		var peer netip.AddrPort
		rep.Sock, f, peer, err = set.Accept(ss.ctx, req.Sock, req.Wait)
		rep.Peer = formatSockAddr(peer)
		if err == nil {
			// The new socket's own address, so that the client need
			// not ask for it.
			addr, _ = set.SockName(rep.Sock)
		}
	case api.SockOpGetsockname:
		addr, err = set.SockName(req.Sock)
	case api.SockOpGetpeername:
		addr, err = set.PeerName(req.Sock)
	case api.SockOpSetsockopt:
		if rump.IsBytesOpt(req.Level, req.Name) {
			err = set.SetOptBytes(req.Sock, req.Level, req.Name, req.Bytes)
		} else {
			err = set.SetOpt(req.Sock, req.Level, req.Name, req.Value)
		}
	case api.SockOpGetsockopt:
		if rump.IsBytesOpt(req.Level, req.Name) {
			rep.Bytes, err = set.GetOptBytes(req.Sock, req.Level, req.Name)
		} else {
			rep.Value, err = set.GetOpt(req.Sock, req.Level, req.Name)
		}
	case api.SockOpShutdown:
		err = set.Shutdown(req.Sock, req.How)
	case api.SockOpClose:
		err = set.CloseSocket(req.Sock)
	case api.SockOpIfName:
		rep.IfName, err = set.IfName(req.Value)
	case api.SockOpIfIndex:
		rep.Value, err = set.IfIndex(req.IfName)
	default:
		err = api.Errorf(syscall.EOPNOTSUPP, "socket op "+strconv.Quote(req.Op))
	}
	if err != nil {
		name := api.ErrnoName(api.ErrnoOf(err))
		if name == "" {
			name = "EIO"
		}
		msg := err.Error()
		var ae *api.Error
		if errors.As(err, &ae) {
			msg = ae.Detail
		}
		return api.SocketReply{Errno: name, Message: msg}, nil
	}
	if addr.IsValid() {
		rep.Addr = formatSockAddr(addr)
	}
	return rep, f
}

// parseSockAddr parses "10.1.0.2:80", "[::1]:0" or ":0" (any address).
func parseSockAddr(s string) (netip.AddrPort, error) {
	if rest, ok := strings.CutPrefix(s, ":"); ok {
		p, err := strconv.ParseUint(rest, 10, 16)
		if err != nil {
			return netip.AddrPort{}, api.Errorf(syscall.EINVAL, "address "+strconv.Quote(s))
		}
		return netip.AddrPortFrom(netip.Addr{}, uint16(p)), nil
	}
	ap, err := netip.ParseAddrPort(s)
	if err != nil {
		return netip.AddrPort{}, api.Errorf(syscall.EINVAL, "address "+strconv.Quote(s))
	}
	return ap, nil
}

func formatSockAddr(ap netip.AddrPort) string {
	if !ap.IsValid() {
		return ""
	}
	return ap.String()
}
