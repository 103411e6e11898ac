// Package ctlserver serves a kernel's control interface: HTTP/1.1 with JSON
// bodies on a Unix socket, mapping requests onto the sysctl-like tree of
// rumpif. See doc/control.md for the protocol. The HTTP server is a small
// one of its own (http1.go), with only what the protocol needs, so that a
// rump_server process does not carry a general HTTP library.
//
// It decides who may change things (SO_PEERCRED: root and the server's own
// uid) and turns every failure into an api.ErrorReply with an errno. It must
// not parse command-line syntax or format output for people.
package ctlserver

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/rumpnet/rumpnet/pkg/api"
	"github.com/rumpnet/rumpnet/pkg/rumpif"
	"golang.org/x/sys/unix"
)

// Server answers control requests for one kernel.
type Server struct {
	k      *rumpif.Kernel
	tree   *tree
	uid    int
	onHalt func()

	headerTimeout, requestTimeout, idleTimeout time.Duration

	mu        sync.Mutex
	shutdown  bool // Shutdown or Close has been called
	listeners map[net.Listener]struct{}
	conns     map[*conn]struct{}
	drained   chan struct{} // closed once shut down and without connections
}

// New returns a server for k. onHalt is called (once the reply is sent) when
// a client asks the server to halt.
func New(k *rumpif.Kernel, onHalt func()) *Server {
	return &Server{
		k: k, tree: newTree(k), uid: os.Getuid(), onHalt: onHalt,
		headerTimeout: headerTimeout, requestTimeout: requestTimeout, idleTimeout: idleTimeout,
		listeners: make(map[net.Listener]struct{}),
		conns:     make(map[*conn]struct{}),
		drained:   make(chan struct{}),
	}
}

// Serve answers requests on l until Shutdown or Close, and then returns
// nil; it returns l's error if l fails otherwise (is closed by someone
// else, for one).
func (s *Server) Serve(l net.Listener) error {
	if !s.addListener(l) {
		l.Close()
		return nil
	}
	defer s.removeListener(l)
	var backoff time.Duration
	for {
		nc, err := l.Accept()
		if err != nil {
			if s.closing() {
				return nil
			}
			// Running out of fds or memory passes as connections end:
			// wait, rather than stop serving for good.
			if isResourceShortage(err) {
				backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
				time.Sleep(backoff)
				continue
			}
			return err
		}
		backoff = 0
		if c := s.addConn(nc); c != nil {
			go c.serve()
		}
	}
}

func isResourceShortage(err error) bool {
	return errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE) ||
		errors.Is(err, syscall.ENOBUFS) || errors.Is(err, syscall.ENOMEM)
}

// Shutdown stops accepting connections, closes those that wait for a
// request, and waits for the others to finish theirs. When ctx ends first,
// it closes them and returns ctx's error.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.shutdownLocked()
	for c := range s.conns {
		if c.idle {
			c.nc.Close()
		}
	}
	s.mu.Unlock()
	select {
	case <-s.drained:
		return nil
	case <-ctx.Done():
		s.Close()
		return ctx.Err()
	}
}

// Close stops the server at once: it closes the listeners and every
// connection, requests in flight included.
func (s *Server) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.shutdownLocked()
	for c := range s.conns {
		c.nc.Close()
	}
	return nil
}

func (s *Server) shutdownLocked() {
	s.shutdown = true
	for l := range s.listeners {
		l.Close()
	}
	s.checkDrainedLocked()
}

func (s *Server) checkDrainedLocked() {
	if s.shutdown && len(s.conns) == 0 {
		select {
		case <-s.drained:
		default:
			close(s.drained)
		}
	}
}

func (s *Server) closing() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.shutdown
}

func (s *Server) addListener(l net.Listener) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.shutdown {
		return false
	}
	s.listeners[l] = struct{}{}
	return true
}

func (s *Server) removeListener(l net.Listener) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.listeners, l)
}

// addConn tracks a new connection, or closes it and returns nil when the
// server is shutting down.
func (s *Server) addConn(nc net.Conn) *conn {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.shutdown {
		nc.Close()
		return nil
	}
	c := &conn{s: s, nc: nc, idle: true}
	s.conns[c] = struct{}{}
	return c
}

// forget stops tracking a connection that has been closed.
func (s *Server) forget(c *conn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.conns, c)
	s.checkDrainedLocked()
}

// setIdle marks a connection as waiting for a request (or no longer). It
// reports false when the connection should end instead, as the server is
// shutting down.
func (s *Server) setIdle(c *conn, idle bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	c.idle = idle
	return !s.shutdown
}

// peer is the credentials of the process at the other end of a connection.
type peer struct {
	uid   int
	known bool
}

// peerOf reads a Unix connection's peer credentials (SO_PEERCRED); other
// connections have an unknown peer.
func peerOf(c net.Conn) peer {
	p := peer{}
	if uc, ok := c.(*net.UnixConn); ok {
		if raw, err := uc.SyscallConn(); err == nil {
			raw.Control(func(fd uintptr) {
				if cred, err := unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED); err == nil {
					p = peer{uid: int(cred.Uid), known: true}
				}
			})
		}
	}
	return p
}

// request is what the handlers see of a request.
type request struct {
	method string
	path   string
	peer   peer
	ctx    context.Context // cancelled when the client goes away during a stream
	body   io.Reader
	length int64 // the body's length, -1 when not known before it is read
}

// replier is where a handler sends its one reply.
type replier interface {
	// reply sends a whole reply.
	reply(status int, contentType string, body []byte)
	// stream sends the status line and header of a reply whose body
	// follows in parts: each write to the returned writer is sent at once.
	stream(status int, contentType string) io.Writer
}

// mayChange reports whether the peer may change the kernel: root or the
// server's own uid.
func (s *Server) mayChange(r *request) bool {
	return r.peer.known && (r.peer.uid == 0 || r.peer.uid == s.uid)
}

// route is one entry of the handler table.
type route struct {
	method string
	path   string // exact path, or a prefix ending in "/" that takes a name
	change bool   // changes state: needs mayChange
	handle func(s *Server, name string, body json.RawMessage) (any, error)
}

// routes is the handler table, sorted by path then method (a test keeps it so).
var routes = []route{
	{"GET", api.PathPrefix, false, (*Server).info},
	{"GET", api.PathPrefix + "bridge/", false, (*Server).bridgeStatus},
	{"POST", api.PathPrefix + "bridge/", true, (*Server).bridge},
	{"POST", api.PathPrefix + "create/", true, (*Server).create},
	{"POST", api.PathPrefix + "destroy/", true, (*Server).destroy},
	{"POST", api.PathPrefix + "halt", true, (*Server).halt},
	{"GET", api.PathPrefix + "list", false, (*Server).list},
	{"GET", api.PathPrefix + "list/", false, (*Server).list},
	{"GET", api.PathPrefix + "node/", false, (*Server).get},
	{"PUT", api.PathPrefix + "node/", true, (*Server).set},
	{"POST", api.PingPath, false, (*Server).ping},
	{"POST", api.SocketSessionPath, true, (*Server).socketSession},
}

func findRoute(method, path string) (route, string, error) {
	var found bool
	for _, rt := range routes {
		name, ok := matchPath(rt.path, path)
		if !ok {
			continue
		}
		found = true
		if rt.method == method {
			return rt, name, nil
		}
	}
	if found {
		return route{}, "", api.Errorf(syscall.EOPNOTSUPP, method+" "+path)
	}
	return route{}, "", api.Errorf(syscall.ENOENT, "no such request "+path)
}

func matchPath(pattern, path string) (string, bool) {
	if pattern == path {
		return "", true
	}
	if pattern == api.PathPrefix || !strings.HasSuffix(pattern, "/") {
		return "", false
	}
	name, ok := strings.CutPrefix(path, pattern)
	return name, ok && name != ""
}

// handle answers one request.
func (s *Server) handle(w replier, r *request) {
	rt, name, err := findRoute(r.method, r.path)
	if err != nil {
		writeError(w, err)
		return
	}
	if rt.change && !s.mayChange(r) {
		writeError(w, api.Errorf(syscall.EPERM, "only root and the server's owner may change the kernel"))
		return
	}
	body, err := readBody(r)
	if err != nil {
		writeError(w, err)
		return
	}
	if len(body) > 0 && !json.Valid(body) {
		writeError(w, api.Errorf(syscall.EINVAL, "request body is not JSON"))
		return
	}
	out, err := rt.handle(s, name, body)
	if err != nil {
		writeError(w, err)
		return
	}
	if st, ok := out.(streamer); ok {
		st.serveStream(w, r)
		return
	}
	writeJSON(w, statusOK, out)
	if rt.path == api.PathPrefix+"halt" && s.onHalt != nil {
		// The reply has been sent: the client has it before the server
		// goes away.
		go s.onHalt()
	}
}

// readBody reads a request body of at most api.MaxRequestBytes.
func readBody(r *request) ([]byte, error) {
	tooBig := api.Errorf(syscall.EMSGSIZE, "request body over 64 KiB")
	if r.length > api.MaxRequestBytes {
		return nil, tooBig // known from the head: not read at all
	}
	body, err := io.ReadAll(io.LimitReader(r.body, api.MaxRequestBytes+1))
	if err != nil {
		return nil, api.Errorf(syscall.EINVAL, "read request: "+err.Error())
	}
	if len(body) > api.MaxRequestBytes {
		return nil, tooBig
	}
	return body, nil
}

// writeJSON replies v as JSON, with a newline after it.
func writeJSON(w replier, status int, v any) {
	var buf bytes.Buffer
	if err := json.NewEncoder(&buf).Encode(v); err != nil {
		writeError(w, api.Errorf(syscall.EIO, "encode reply: "+err.Error()))
		return
	}
	w.reply(status, "application/json", buf.Bytes())
}

func writeError(w replier, err error) {
	e := api.ErrnoOf(err)
	reply := api.ErrorReply{Errno: api.ErrnoName(e), Code: int(e), Message: api.Strerror(e)}
	var ae *api.Error
	if errors.As(err, &ae) {
		reply.Detail = ae.Detail
	} else {
		reply.Detail = err.Error()
	}
	writeJSON(w, httpStatus(e), reply)
}

func httpStatus(e syscall.Errno) int {
	switch e {
	case syscall.ENOENT, syscall.ENXIO:
		return statusNotFound
	case syscall.EPERM, syscall.EACCES:
		return statusForbidden
	case syscall.EEXIST, syscall.EBUSY:
		return statusConflict
	case syscall.EMSGSIZE:
		return statusRequestEntityTooLarge
	case syscall.EOPNOTSUPP:
		return statusMethodNotAllowed
	case syscall.EIO:
		return statusInternalServerError
	}
	return statusBadRequest
}

func (s *Server) info(string, json.RawMessage) (any, error) {
	return api.ServerInfo{
		Version:    api.Version,
		Pid:        os.Getpid(),
		Uid:        s.uid,
		Components: s.k.Components(),
		Cloners:    s.k.Cloners(),
	}, nil
}

func (s *Server) bridgeStatus(name string, _ json.RawMessage) (any, error) {
	return s.k.BridgeStatus(name)
}

func (s *Server) bridge(name string, body json.RawMessage) (any, error) {
	var req api.BridgeRequest
	if err := json.Unmarshal(body, &req); err != nil || req.Op == "" {
		return nil, api.Errorf(syscall.EINVAL, "bridge request needs a JSON object with an op")
	}
	return struct{}{}, s.k.Bridge(name, req)
}

func (s *Server) get(name string, _ json.RawMessage) (any, error) { return s.tree.get(name) }

func (s *Server) list(name string, _ json.RawMessage) (any, error) { return s.tree.list(name) }

func (s *Server) set(name string, body json.RawMessage) (any, error) {
	if len(body) == 0 {
		return nil, api.Errorf(syscall.EINVAL, "set needs a value")
	}
	return s.tree.set(name, body)
}

func (s *Server) create(name string, body json.RawMessage) (any, error) {
	return struct{}{}, s.tree.create(name, body)
}

func (s *Server) destroy(name string, body json.RawMessage) (any, error) {
	return struct{}{}, s.tree.destroy(name, body)
}

// halt destroys the kernel's interfaces and stops its stack before it
// answers, so a client that has the reply knows the taps are closed; onHalt
// then lets the process finish shutting down.
func (s *Server) halt(string, json.RawMessage) (any, error) {
	s.k.Close()
	return struct{}{}, nil
}
