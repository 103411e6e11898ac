package http1

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// maxTestBody is the largest body the test handler takes.
const maxTestBody = 64 << 10

// testHandler is the handler of the tests:
//
//	GET /            200 {"ok":true}
//	PUT /echo        200 with the body as read; 413 over 64 KiB, 400 when
//	                 the body cannot be read
//	POST /stream/N   N lines "event I", each written on its own; N
//	                 "forever" writes every millisecond until the client
//	                 goes away
//	POST /upgrade    101, then echoes lines
//	HEAD anything    405 with a body (which the server drops)
//	anything else    404
var testHandler = HandlerFunc(func(w *ResponseWriter, r *Request) {
	const jsonType = "application/json"
	switch {
	case r.Method == "HEAD":
		w.Reply(StatusMethodNotAllowed, plainContentType, []byte("no HEAD here\n"))
	case r.Method == "GET" && r.Path == "/":
		w.Reply(StatusOK, jsonType, []byte(`{"ok":true}`+"\n"))
	case r.Method == "PUT" && r.Path == "/echo":
		if r.ContentLength > maxTestBody {
			w.Reply(StatusRequestEntityTooLarge, plainContentType, []byte("too big\n"))
			return
		}
		b, err := io.ReadAll(io.LimitReader(r.Body, maxTestBody+1))
		switch {
		case err != nil:
			w.Reply(StatusBadRequest, plainContentType, []byte("read request: "+err.Error()+"\n"))
		case len(b) > maxTestBody:
			w.Reply(StatusRequestEntityTooLarge, plainContentType, []byte("too big\n"))
		default:
			w.Reply(StatusOK, jsonType, b)
		}
	case r.Method == "POST" && strings.HasPrefix(r.Path, "/stream/"):
		io.Copy(io.Discard, r.Body)
		n, err := strconv.Atoi(strings.TrimPrefix(r.Path, "/stream/"))
		if err != nil {
			n = -1
		}
		out := w.Stream(StatusOK, "application/x-test-events")
		for i := 0; n < 0 || i < n; i++ {
			if _, err := io.WriteString(out, "event "+strconv.Itoa(i)+"\n"); err != nil {
				return
			}
			if n < 0 {
				select {
				case <-r.Context().Done():
					return
				case <-time.After(time.Millisecond):
				}
			}
		}
	case r.Method == "POST" && r.Path == "/upgrade":
		nc, err := w.Upgrade("test-echo", nil)
		if err != nil {
			w.Reply(StatusBadRequest, plainContentType, []byte(err.Error()+"\n"))
			return
		}
		io.Copy(nc, nc)
	default:
		w.Reply(StatusNotFound, plainContentType, []byte("no such thing\n"))
	}
})

// shortTimeouts shortens the connection timeouts of the servers the test
// then starts.
func shortTimeouts(t *testing.T, header, request, idle time.Duration) {
	h, r, i := testTimeouts.header, testTimeouts.request, testTimeouts.idle
	testTimeouts.header, testTimeouts.request, testTimeouts.idle = header, request, idle
	t.Cleanup(func() { testTimeouts.header, testTimeouts.request, testTimeouts.idle = h, r, i })
}

func shortWrites(t *testing.T, d time.Duration) {
	w := testTimeouts.write
	testTimeouts.write = d
	t.Cleanup(func() { testTimeouts.write = w })
}

// testTimeouts are the timeouts of the servers newServer makes.
var testTimeouts struct{ header, request, idle, write time.Duration }

func newServer() *Server {
	return &Server{Handler: testHandler, HeaderTimeout: testTimeouts.header, RequestTimeout: testTimeouts.request,
		IdleTimeout: testTimeouts.idle, WriteTimeout: testTimeouts.write}
}

// serveRaw starts a server on a Unix socket and returns it, its socket and
// the channel that gets Serve's result.
func serveRaw(t *testing.T) (*Server, string, chan error) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "s")
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	s := newServer()
	served := make(chan error, 1)
	go func() { served <- s.Serve(l) }()
	t.Cleanup(func() { s.Close() })
	return s, path, served
}

// rawClient is a raw connection to the server.
type rawClient struct {
	t  *testing.T
	c  net.Conn
	br *bufio.Reader
}

func dialRaw(t *testing.T, path string) *rawClient {
	t.Helper()
	c, err := net.Dial("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(20 * time.Second))
	return newRawClient(t, c)
}

func newRawClient(t *testing.T, c net.Conn) *rawClient {
	return &rawClient{t: t, c: c, br: bufio.NewReader(c)}
}

func (rc *rawClient) send(s string) {
	rc.t.Helper()
	if _, err := io.WriteString(rc.c, s); err != nil {
		rc.t.Fatalf("write: %v", err)
	}
}

// response reads one response and its body.
func (rc *rawClient) response(method string) (*http.Response, string) {
	rc.t.Helper()
	resp, err := http.ReadResponse(rc.br, &http.Request{Method: method})
	if err != nil {
		rc.t.Fatalf("read response: %v", err)
	}
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		rc.t.Fatalf("read response body: %v", err)
	}
	return resp, string(b)
}

// wantClosed checks that the server closes the connection without sending
// anything more. A reset counts as closed: it is what a client sees when
// the server closes with some of the request unread.
func (rc *rawClient) wantClosed() {
	rc.t.Helper()
	b, err := io.ReadAll(rc.br)
	if errors.Is(err, syscall.ECONNRESET) {
		err = nil
	}
	if err != nil || len(b) > 0 {
		rc.t.Errorf("after the reply: got %q, %v; want the connection closed", b, err)
	}
}

// waitConns waits until the server has all connections, active of them in a
// request.
func waitConns(t *testing.T, s *Server, all, active int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		n, a := s.Conns()
		if n == all && a == active {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("server connections: got %d, %d active; want %d, %d active", n, a, all, active)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
