// Package ctlserver serves a kernel's control interface: HTTP/1.1 with JSON
// bodies on a Unix socket, mapping requests onto the sysctl-like tree of
// rump. See doc/control.md for the protocol. It holds the routes, the
// permissions, the tree, ping and routing-message streams and the socket session's protocol;
// the HTTP/1.1 framing, the connections, their deadlines and caps are
// pkg/http1's, which calls the server through a small handler interface.
//
// It decides who may change things (SO_PEERCRED: root and the server's own
// uid) and turns every failure into an api.ErrorReply with an errno. It must
// not parse command-line syntax or format output for people, nor frame
// HTTP itself.
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
	"syscall"

	"github.com/rumpnet/rumpnet/pkg/api"
	"github.com/rumpnet/rumpnet/pkg/http1"
	"github.com/rumpnet/rumpnet/pkg/rump"
)

// Timeouts of a control connection. They are variables so that tests can
// shorten them; a server takes their values when it is made.
var (
	headerTimeout  = http1.DefaultHeaderTimeout
	requestTimeout = http1.DefaultRequestTimeout
	idleTimeout    = http1.DefaultIdleTimeout
	writeTimeout   = http1.DefaultWriteTimeout
)

// Server answers control requests for one kernel.
type Server struct {
	k      *rump.Kernel
	tree   *tree
	uid    int
	onHalt func()
	http   *http1.Server
}

// New returns a server for k. onHalt is called (once the reply is sent) when
// a client asks the server to halt.
func New(k *rump.Kernel, onHalt func()) *Server {
	s := &Server{k: k, tree: newTree(k), uid: os.Getuid(), onHalt: onHalt}
	s.http = &http1.Server{
		Handler:       handler{s},
		HeaderTimeout: headerTimeout, RequestTimeout: requestTimeout, IdleTimeout: idleTimeout,
		WriteTimeout: writeTimeout,
		Limits:       http1.DefaultLimits,
		// Root and the server's own uid keep connections of their own, so
		// that a flood of other users' connections does not lock them out.
		Reserved:  func(p http1.Peer) bool { return s.privileged(peerOf(p)) },
		OverLimit: overLimitReply(),
	}
	return s
}

// overLimitReply is the reply to a connection over the limits: EAGAIN.
func overLimitReply() http1.Reply {
	reply := api.ErrorReply{Errno: api.ErrnoName(syscall.EAGAIN), Code: int(syscall.EAGAIN),
		Message: api.Strerror(syscall.EAGAIN), Detail: "too many control connections"}
	var body bytes.Buffer
	json.NewEncoder(&body).Encode(reply)
	return http1.Reply{ContentType: "application/json", Body: body.Bytes()}
}

// Serve answers requests on l until Shutdown or Close, and then returns
// nil; it returns l's error if l fails otherwise (is closed by someone
// else, for one).
func (s *Server) Serve(l net.Listener) error { return s.http.Serve(l) }

// Shutdown stops accepting connections, closes those that wait for a
// request (and socket sessions), and waits for the others to finish theirs.
// When ctx ends first, it closes them and returns ctx's error.
func (s *Server) Shutdown(ctx context.Context) error { return s.http.Shutdown(ctx) }

// Close stops the server at once: it closes the listeners and every
// connection, requests in flight included.
func (s *Server) Close() error { return s.http.Close() }

// peer is the credentials of the process at the other end of a connection.
type peer struct {
	uid   int
	known bool
}

func peerOf(p http1.Peer) peer { return peer{uid: p.UID, known: p.Known} }

// privileged reports whether p may change the kernel and use the reserved
// connections: root or the server's own uid.
func (s *Server) privileged(p peer) bool {
	return p.known && (p.uid == 0 || p.uid == s.uid)
}

// handler is the server as pkg/http1 calls it.
type handler struct{ s *Server }

// ServeHTTP1 answers one request from the wire.
func (h handler) ServeHTTP1(w *http1.ResponseWriter, r *http1.Request) {
	h.s.handle(wire{w, r}, &request{method: r.Method, path: r.Path, peer: peerOf(r.Peer), ctx: r.Context(),
		body: r.Body, length: r.ContentLength})
}

// wire is the replier of a request that came on a connection; a socket
// session needs it to switch protocols.
type wire struct {
	w *http1.ResponseWriter
	r *http1.Request
}

func (x wire) reply(status int, contentType string, body []byte) {
	x.w.Reply(status, contentType, body)
}

func (x wire) stream(status int, contentType string) io.Writer {
	return x.w.Stream(status, contentType)
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
func (s *Server) mayChange(r *request) bool { return s.privileged(r.peer) }

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
	{"POST", api.CapturePath, true, (*Server).capture},
	{"POST", api.PathPrefix + "create/", true, (*Server).create},
	{"POST", api.PathPrefix + "destroy/", true, (*Server).destroy},
	{"POST", api.PathPrefix + "halt", true, (*Server).halt},
	{"GET", api.PathPrefix + "list", false, (*Server).list},
	{"GET", api.PathPrefix + "list/", false, (*Server).list},
	{"GET", api.MulticastPath, false, (*Server).multicast},
	{"GET", api.PathPrefix + "node/", false, (*Server).get},
	{"PUT", api.PathPrefix + "node/", true, (*Server).set},
	{"POST", api.NodesPath, false, (*Server).nodes},
	{"POST", api.PingPath, false, (*Server).ping},
	{"GET", api.RouteMonitorPath, false, (*Server).routeMonitor},
	{"POST", api.SocketSessionPath, true, (*Server).socketSession},
	{"POST", api.TraceroutePath, false, (*Server).traceroute},
	{"GET", api.PathPrefix + "wg/", false, (*Server).wgStatus},
	{"POST", api.PathPrefix + "wg/", true, (*Server).wg},
	{"GET", api.PathPrefix + "wgsecrets/", true, (*Server).wgSecrets},
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
	writeJSON(w, http1.StatusOK, out)
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
	var ex *api.Explained
	switch {
	case errors.As(err, &ex):
		reply.Detail, reply.Explained = ex.Msg, true
	case errors.As(err, &ae):
		reply.Detail = ae.Detail
	default:
		reply.Detail = err.Error()
	}
	writeJSON(w, httpStatus(e), reply)
}

func httpStatus(e syscall.Errno) int {
	switch e {
	case syscall.ENOENT, syscall.ENXIO:
		return http1.StatusNotFound
	case syscall.EPERM, syscall.EACCES:
		return http1.StatusForbidden
	case syscall.EEXIST, syscall.EBUSY:
		return http1.StatusConflict
	case syscall.EMSGSIZE:
		return http1.StatusRequestEntityTooLarge
	case syscall.EOPNOTSUPP:
		return http1.StatusMethodNotAllowed
	case syscall.EIO:
		return http1.StatusInternalServerError
	}
	return http1.StatusBadRequest
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

func (s *Server) wgStatus(name string, _ json.RawMessage) (any, error) {
	return s.k.WgStatus(name, false)
}

// wgSecrets is the status with the keys that are secret: a route of its
// own that only a peer who may change the kernel may ask.
func (s *Server) wgSecrets(name string, _ json.RawMessage) (any, error) {
	return s.k.WgStatus(name, true)
}

func (s *Server) wg(name string, body json.RawMessage) (any, error) {
	var req api.WgRequest
	if err := json.Unmarshal(body, &req); err != nil || req.Op == "" {
		return nil, api.Errorf(syscall.EINVAL, "wg request needs a JSON object with an op")
	}
	return struct{}{}, s.k.Wg(name, req)
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
