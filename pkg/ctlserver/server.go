// Package ctlserver serves a kernel's control interface: HTTP/1.1 with JSON
// bodies on a Unix socket, mapping requests onto the sysctl-like tree of
// rumpif. See doc/control.md for the protocol.
//
// It decides who may change things (SO_PEERCRED: root and the server's own
// uid) and turns every failure into an api.ErrorReply with an errno. It must
// not parse command-line syntax or format output for people.
package ctlserver

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
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
	http   *http.Server
}

// New returns a server for k. onHalt is called (once the reply is sent) when
// a client asks the server to halt.
func New(k *rumpif.Kernel, onHalt func()) *Server {
	s := &Server{k: k, tree: newTree(k), uid: os.Getuid(), onHalt: onHalt}
	s.http = &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		MaxHeaderBytes:    16 << 10,
		ConnContext:       withPeer,
		ErrorLog:          nil,
	}
	return s
}

// Serve answers requests on l until Shutdown.
func (s *Server) Serve(l net.Listener) error {
	err := s.http.Serve(l)
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// Shutdown stops accepting requests and waits up to the context's deadline
// for those in flight.
func (s *Server) Shutdown(ctx context.Context) error { return s.http.Shutdown(ctx) }

type peerKey struct{}

// peer is the credentials of the process at the other end of a connection.
type peer struct {
	uid   int
	known bool
}

func withPeer(ctx context.Context, c net.Conn) context.Context {
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
	return context.WithValue(ctx, peerKey{}, p)
}

// mayChange reports whether the peer may change the kernel: root or the
// server's own uid.
func (s *Server) mayChange(r *http.Request) bool {
	p, _ := r.Context().Value(peerKey{}).(peer)
	return p.known && (p.uid == 0 || p.uid == s.uid)
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

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rt, name, err := findRoute(r.Method, r.URL.Path)
	if err != nil {
		writeError(w, err)
		return
	}
	if rt.change && !s.mayChange(r) {
		writeError(w, api.Errorf(syscall.EPERM, "only root and the server's owner may change the kernel"))
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, api.MaxRequestBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			err = api.Errorf(syscall.EMSGSIZE, "request body over 64 KiB")
		} else {
			err = api.Errorf(syscall.EINVAL, "read request: "+err.Error())
		}
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
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(out)
	if rt.path == api.PathPrefix+"halt" && s.onHalt != nil {
		if f, ok := w.(http.Flusher); ok {
			f.Flush()
		}
		go s.onHalt()
	}
}

func writeError(w http.ResponseWriter, err error) {
	e := api.ErrnoOf(err)
	reply := api.ErrorReply{Errno: api.ErrnoName(e), Code: int(e), Message: api.Strerror(e)}
	var ae *api.Error
	if errors.As(err, &ae) {
		reply.Detail = ae.Detail
	} else {
		reply.Detail = err.Error()
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(httpStatus(e))
	json.NewEncoder(w).Encode(reply)
}

func httpStatus(e syscall.Errno) int {
	switch e {
	case syscall.ENOENT, syscall.ENXIO:
		return http.StatusNotFound
	case syscall.EPERM, syscall.EACCES:
		return http.StatusForbidden
	case syscall.EEXIST, syscall.EBUSY:
		return http.StatusConflict
	case syscall.EMSGSIZE:
		return http.StatusRequestEntityTooLarge
	case syscall.EOPNOTSUPP:
		return http.StatusMethodNotAllowed
	case syscall.EIO:
		return http.StatusInternalServerError
	}
	return http.StatusBadRequest
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
