package ctlserver

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rumpnet/rumpnet/pkg/api"
)

// socketPair returns the two ends of a connected Unix stream socket pair.
func socketPair(t *testing.T) (server, client *net.UnixConn) {
	t.Helper()
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	var ends [2]*net.UnixConn
	for i, fd := range fds {
		f := os.NewFile(uintptr(fd), "pair")
		c, err := net.FileConn(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		ends[i] = c.(*net.UnixConn)
	}
	return ends[0], ends[1]
}

// FuzzConn writes arbitrary bytes on a connection and then closes its
// writing side: the server must answer with well-formed HTTP responses (a
// 400 for what it cannot parse) and close, never panic or hang.
func FuzzConn(f *testing.F) {
	f.Add([]byte("GET /v1/ HTTP/1.1\r\nHost: rump\r\n\r\n"))
	f.Add([]byte("GET /v1/node/kern.ostype HTTP/1.1\r\n\r\nGET /v1/list HTTP/1.1\r\n\r\n"))
	f.Add([]byte("PUT /v1/node/kern.hostname HTTP/1.1\r\nContent-Length: 16\r\n\r\n{\"b64\":\"/2jD\"}\r\n"))
	f.Add([]byte("POST /v1/create/net.link.lo0.inet HTTP/1.1\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n5\r\n{\"add\r\n0\r\n\r\n"))
	f.Add([]byte("GET /v1/ HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /v1/ HTTP/1.0\r\n\r\n"))
	f.Add([]byte("POST /v1/ping HTTP/1.1\r\nContent-Length: 30\r\n\r\n{\"dst\":\"127.0.0.1\",\"count\":1}"))
	f.Add([]byte("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"))
	f.Add([]byte("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"))
	s := New(newKernel(f), nil)
	// Read-only peers: the fuzzer neither halts nor reshapes the kernel.
	s.peerCred = func(net.Conn) peer { return peer{} }
	f.Fuzz(func(t *testing.T, in []byte) {
		srv, cl := socketPair(t)
		defer cl.Close()
		c := s.addConn(srv)
		if c == nil {
			t.Fatal("connection refused")
		}
		done := make(chan struct{})
		go func() {
			defer close(done)
			c.serve()
		}()
		go func() {
			cl.Write(in)
			cl.CloseWrite()
		}()
		cl.SetReadDeadline(time.Now().Add(20 * time.Second))
		br := bufio.NewReader(cl)
		for {
			if _, err := br.Peek(1); err == io.EOF || errors.Is(err, syscall.ECONNRESET) {
				break // the server closed the connection
			}
			resp, err := http.ReadResponse(br, &http.Request{Method: "GET"})
			if err != nil {
				if errors.Is(err, os.ErrDeadlineExceeded) {
					t.Fatalf("%q: no end of the connection", in)
				}
				if errors.Is(err, syscall.ECONNRESET) {
					break
				}
				t.Fatalf("%q: malformed response: %v", in, err)
			}
			body, err := io.ReadAll(resp.Body)
			if errors.Is(err, os.ErrDeadlineExceeded) {
				t.Fatalf("%q: response body does not end", in)
			}
			if resp.StatusCode == 100 {
				continue
			}
			if resp.StatusCode >= 400 && strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
				var er api.ErrorReply
				if json.Unmarshal(body, &er) != nil || er.Errno == "" {
					t.Fatalf("%q: %s without an errno: %q", in, resp.Status, body)
				}
			}
		}
		<-done
		if n := connPanics.Load(); n != 0 {
			t.Fatalf("%q: %d panics serving the connection", in, n)
		}
	})
}

// FuzzNodeBody sends arbitrary JSON bodies to the requests that decode one:
// set (of int, string and read-only nodes) and create/destroy of addresses.
// Every failure must be an errno reply, never a panic.
func FuzzNodeBody(f *testing.F) {
	for _, b := range []string{`"rump1"`, `{"b64":"/2jD"}`, `64`, `0x40`, `{"addr":"10.0.0.1/24"}`,
		`{"addr":"fc00::1/64","flags":1}`, `{"addr":"00:11:22:33:44:55","active":true}`, `null`, `[]`, `{"b64":null}`, `1e400`} {
		f.Add(b)
	}
	s := New(newKernel(f), nil)
	root := peer{uid: 0, known: true}
	requests := []struct{ method, path string }{
		{"PUT", "/v1/node/kern.hostname"},
		{"PUT", "/v1/node/net.inet.ip.ttl"},
		{"PUT", "/v1/node/kern.ostype"},
		{"PUT", "/v1/node/net.link.lo0.stats"},
		// Each create is followed by its destroy, so that the kernel's
		// state, and with it what an input does, stays the same from one
		// run to the next.
		{"POST", "/v1/create/net.link.lo0.inet"},
		{"POST", "/v1/destroy/net.link.lo0.inet"},
		{"POST", "/v1/create/net.link.lo0.inet6"},
		{"POST", "/v1/destroy/net.link.lo0.inet6"},
		{"POST", "/v1/create/net.link.lo0.link"},
		{"POST", "/v1/destroy/net.link.lo0.link"},
	}
	f.Fuzz(func(t *testing.T, body string) {
		for _, r := range requests {
			done := make(chan *recorder, 1)
			go func() { done <- handleForTest(context.Background(), s, root, r.method, r.path, []byte(body)) }()
			var w *recorder
			select {
			case w = <-done:
			case <-time.After(20 * time.Second):
				buf := make([]byte, 1<<20)
				t.Fatalf("%s %s %q: no reply\n%s", r.method, r.path, body, buf[:runtime.Stack(buf, true)])
			}
			if w.code == 200 {
				continue
			}
			var er api.ErrorReply
			if err := json.Unmarshal(w.body.Bytes(), &er); err != nil || er.Errno == "" || er.Message == "" {
				t.Fatalf("%s %s %q: status %d without an errno reply: %q", r.method, r.path, body, w.code, w.body.String())
			}
		}
		// Back to the values of boot, for the same reason.
		handleForTest(context.Background(), s, root, "PUT", "/v1/node/kern.hostname", []byte(`""`))
		handleForTest(context.Background(), s, root, "PUT", "/v1/node/net.inet.ip.ttl", []byte(`64`))
	})
}
