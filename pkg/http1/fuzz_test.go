package http1

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"syscall"
	"testing"
	"time"
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
	f.Add([]byte("GET / HTTP/1.1\r\nHost: rump\r\n\r\n"))
	f.Add([]byte("GET / HTTP/1.1\r\n\r\nGET /nosuch HTTP/1.1\r\n\r\n"))
	f.Add([]byte("PUT /echo HTTP/1.1\r\nContent-Length: 16\r\n\r\n{\"b64\":\"/2jD\"}\r\n"))
	f.Add([]byte("PUT /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n5\r\n{\"add\r\n0\r\n\r\n"))
	f.Add([]byte("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET / HTTP/1.0\r\n\r\n"))
	f.Add([]byte("POST /stream/3 HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}"))
	f.Add([]byte("POST /upgrade HTTP/1.1\r\nUpgrade: test-echo\r\n\r\n"))
	f.Add([]byte("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"))
	f.Add([]byte("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"))
	s := newServer()
	// No endless streams or echoes: every input must end.
	s.Handler = HandlerFunc(func(w *ResponseWriter, r *Request) {
		if r.Path == "/stream/forever" || r.Path == "/upgrade" {
			w.Reply(StatusNotFound, plainContentType, []byte("not here\n"))
			return
		}
		testHandler(w, r)
	})
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
			_, err = io.ReadAll(resp.Body)
			if errors.Is(err, os.ErrDeadlineExceeded) {
				t.Fatalf("%q: response body does not end", in)
			}
		}
		<-done
		if n := connPanics.Load(); n != 0 {
			t.Fatalf("%q: %d panics serving the connection", in, n)
		}
	})
}
