// Package http1 frames HTTP/1.1 over a net.Conn for a server: it reads
// request heads, Content-Length and chunked bodies, answers
// "Expect: 100-continue", keeps connections alive and serves pipelined
// requests one after the other, writes whole replies and chunked streams,
// hands a connection over to a handler that upgrades it, puts a deadline
// on every read and write, and caps the connections a server holds, in all
// and per peer uid. A small server of its own keeps a general-purpose HTTP
// library (with TLS and HTTP/2) out of every process that serves a control
// socket.
//
// It must not know what it serves: routes, bodies' formats (JSON),
// permissions and whatever the handler acts on are the handler's. The only
// replies it makes itself are refusals of what it cannot frame, in plain
// text, and the over-the-limit reply its owner gives it.
//
// What it serves: request targets in origin form (absolute form is
// accepted, its host ignored; a query is dropped), request bodies by
// Content-Length or chunked transfer coding, "Expect: 100-continue",
// keep-alive (the default for HTTP/1.1, on request for HTTP/1.0) and
// pipelined requests. Replies carry a Content-Length; a stream is chunked
// for HTTP/1.1 and delimited by the end of the connection for HTTP/1.0,
// and the connection is closed after it.
//
// What it refuses, with a plain-text reply and the connection closed:
// anything it cannot parse (400), transfer codings other than chunked
// (501), expectations other than 100-continue (417), HTTP versions other
// than 1.0 and 1.1 (505) and request heads over 16 KiB (431). It speaks
// neither TLS nor HTTP/2; it upgrades only when the handler asks to.
//
// Ownership. Serve's goroutine accepts; each connection is served by one
// goroutine, one request after the other, and the handler runs on it.
// While a stream runs, a second goroutine reads the connection so that the
// stream's context ends when the client hangs up. Every read and write has
// a deadline (HeaderTimeout, RequestTimeout, IdleTimeout, WriteTimeout), so
// a client that stalls or stops reading loses its connection. Parsing is in
// parse.go, serving a connection and writing its replies in conn.go, the
// connection caps in limits.go.
package http1

import (
	"context"
	"errors"
	"io"
	"net"
	"sync"
	"syscall"
	"time"
)

// Default timeouts, for a Server whose fields are zero.
const (
	// DefaultHeaderTimeout bounds the time from the start of a request (of
	// the connection, for its first request) to the end of its head.
	DefaultHeaderTimeout = 5 * time.Second
	// DefaultRequestTimeout bounds the time from the start of a request to
	// the end of its body.
	DefaultRequestTimeout = 10 * time.Second
	// DefaultIdleTimeout is how long a kept-alive connection waits for its
	// next request.
	DefaultIdleTimeout = 10 * time.Second
	// DefaultWriteTimeout bounds the sending of one reply, or of one part
	// of a stream: a client that stops reading loses its connection rather
	// than holding it, and the goroutine serving it, for good.
	DefaultWriteTimeout = 10 * time.Second
)

// Handler answers the requests of a Server.
type Handler interface {
	// ServeHTTP1 answers r through w: with one Reply, one Stream, or an
	// Upgrade. A handler that returns without any gets a 500.
	ServeHTTP1(w *ResponseWriter, r *Request)
}

// HandlerFunc is a function that is a Handler.
type HandlerFunc func(w *ResponseWriter, r *Request)

// ServeHTTP1 calls f(w, r).
func (f HandlerFunc) ServeHTTP1(w *ResponseWriter, r *Request) { f(w, r) }

// Request is what a handler sees of a request.
type Request struct {
	Method string
	// Path is the target's path, percent-decoded, without its query ("*"
	// for an asterisk-form target).
	Path string
	// Minor is the minor HTTP version: 0 or 1.
	Minor int
	// Upgrade is the Upgrade header field, empty when there is none.
	Upgrade string
	// ContentLength is the body's length, -1 when it is chunked and so not
	// known before it is read.
	ContentLength int64
	// Body reads the body; the first read sends "100 Continue" to a client
	// that waits for it.
	Body io.Reader
	// Peer is the credentials of the process that made the connection.
	Peer Peer

	ctx context.Context
}

// Context is cancelled when the request is over, and during a stream when
// the client goes away.
func (r *Request) Context() context.Context { return r.ctx }

// Server serves HTTP/1.1 connections. Set its fields before Serve and do
// not change them afterwards.
type Server struct {
	// Handler answers the requests.
	Handler Handler
	// Timeouts; zero means the Default one.
	HeaderTimeout, RequestTimeout, IdleTimeout, WriteTimeout time.Duration
	// Limits caps the connections; zero fields mean DefaultLimits'.
	Limits Limits
	// PeerOf reads a new connection's peer credentials; nil means
	// PeerCred.
	PeerOf func(net.Conn) Peer
	// Reserved reports whether a peer may use the reserved connections;
	// nil means no peer may.
	Reserved func(Peer) bool
	// OverLimit is the reply to a connection over the limits, sent with
	// status 503 before the connection is closed.
	OverLimit Reply

	mu        sync.Mutex
	inited    bool
	shutdown  bool // Shutdown or Close has been called
	listeners map[net.Listener]struct{}
	conns     map[*conn]struct{}
	perUID    map[int]int   // connections by peer uid (-1: unknown)
	drained   chan struct{} // closed once shut down and without connections
}

// Reply is a canned reply: its content type and body.
type Reply struct {
	ContentType string
	Body        []byte
}

func (s *Server) initLocked() {
	if s.inited {
		return
	}
	s.inited = true
	s.listeners = make(map[net.Listener]struct{})
	s.conns = make(map[*conn]struct{})
	s.perUID = make(map[int]int)
	s.drained = make(chan struct{})
}

func orDefault(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

func (s *Server) headerTimeout() time.Duration {
	return orDefault(s.HeaderTimeout, DefaultHeaderTimeout)
}
func (s *Server) requestTimeout() time.Duration {
	return orDefault(s.RequestTimeout, DefaultRequestTimeout)
}
func (s *Server) idleTimeout() time.Duration { return orDefault(s.IdleTimeout, DefaultIdleTimeout) }
func (s *Server) writeTimeout() time.Duration {
	return orDefault(s.WriteTimeout, DefaultWriteTimeout)
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
// request (and the upgraded ones), and waits for the others to finish
// theirs. When ctx ends first, it closes them and returns ctx's error.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.initLocked()
	s.shutdownLocked()
	for c := range s.conns {
		if c.idle {
			c.nc.Close()
		}
	}
	drained := s.drained
	s.mu.Unlock()
	select {
	case <-drained:
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
	s.initLocked()
	s.shutdownLocked()
	for c := range s.conns {
		c.nc.Close()
	}
	return nil
}

// Conns reports how many connections the server holds, and how many of
// them are in a request.
func (s *Server) Conns() (open, active int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		if !c.idle {
			active++
		}
	}
	return len(s.conns), active
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
	s.initLocked()
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

// addConn tracks a new connection. It closes it and returns nil when the
// server is shutting down, and refuses it when it is over the limits.
func (s *Server) addConn(nc net.Conn) *conn {
	peerOf := s.PeerOf
	if peerOf == nil {
		peerOf = PeerCred
	}
	p := peerOf(nc)
	s.mu.Lock()
	s.initLocked()
	if s.shutdown {
		s.mu.Unlock()
		nc.Close()
		return nil
	}
	if !s.admitLocked(p) {
		s.mu.Unlock()
		s.refuseConn(nc)
		return nil
	}
	defer s.mu.Unlock()
	c := &conn{s: s, nc: nc, peer: p, idle: true}
	s.conns[c] = struct{}{}
	s.perUID[uidKey(p)]++
	return c
}

// forget stops tracking a connection that has been closed.
func (s *Server) forget(c *conn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.conns, c)
	if k := uidKey(c.peer); s.perUID[k] <= 1 {
		delete(s.perUID, k)
	} else {
		s.perUID[k]--
	}
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
