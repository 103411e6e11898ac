package tests

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/rumpnet/rumpnet/internal/testkit/golden"
	"github.com/rumpnet/rumpnet/pkg/api"
	"github.com/rumpnet/rumpnet/pkg/client"
)

// rawExchange writes req to the control socket, optionally half-closes,
// and reads one HTTP response. resp is nil when the server closed the
// connection without one.
func rawExchange(sock string, req []byte, closeWrite bool) (resp *http.Response, body []byte, err error) {
	conn, err := net.DialTimeout("unix", sock, 10*time.Second)
	if err != nil {
		return nil, nil, err
	}
	defer conn.Close()
	// A deadline so that a server that neither answers nor hangs up fails
	// the test instead of blocking it; its own header timeout is shorter.
	conn.SetDeadline(time.Now().Add(pollTimeout))
	if _, err := conn.Write(req); err != nil {
		return nil, nil, fmt.Errorf("write: %w", err)
	}
	if closeWrite {
		conn.(*net.UnixConn).CloseWrite()
	}
	resp, err = http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET) {
			return nil, nil, nil // closed without a reply
		}
		return nil, nil, fmt.Errorf("read reply: %w", err)
	}
	body, err = io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, body, err
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func httpRequest(method, path, body string, extraHeaders ...string) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: rump\r\n", method, path)
	for _, h := range extraHeaders {
		b.WriteString(h + "\r\n")
	}
	if body != "" || method == "PUT" || method == "POST" {
		fmt.Fprintf(&b, "Content-Type: application/json\r\nContent-Length: %d\r\n", len(body))
	}
	b.WriteString("Connection: close\r\n\r\n")
	b.WriteString(body)
	return []byte(b.String())
}

// TestMalformedRequests sends broken and wrong control requests: each gets
// an error reply (a JSON errno where the request was valid HTTP), nothing
// changes, and the server keeps answering.
func TestMalformedRequests(t *testing.T) {
	e := newEnv(t)
	s := e.startServer()

	fds0, err := fdCount(s.pid)
	if err != nil {
		t.Fatal(err)
	}
	binary := make([]byte, 512)
	for i := range binary {
		binary[i] = byte(i*7 + 3)
	}
	tests := []struct {
		name       string
		req        []byte
		closeWrite bool
		status     int    // 0: the server may also just hang up
		errno      string // "": the reply need not be JSON (invalid HTTP)
	}{
		{"garbage line", []byte("garbage\r\n\r\n"), false, http.StatusBadRequest, ""},
		{"binary garbage", binary, true, 0, ""},
		{"truncated request line", []byte("GET /v1/ HT"), true, 0, ""},
		{"truncated headers", []byte("GET /v1/ HTTP/1.1\r\nHost: rump\r\n"), true, 0, ""},
		{"truncated body", []byte("PUT /v1/node/kern.hostname HTTP/1.1\r\nHost: rump\r\nContent-Length: 100\r\n\r\n\"short"),
			true, http.StatusBadRequest, "EINVAL"},
		{"oversized body", httpRequest("PUT", "/v1/node/kern.hostname", `"`+strings.Repeat("a", 70<<10)+`"`),
			false, http.StatusRequestEntityTooLarge, "EMSGSIZE"},
		{"body of exactly 64 KiB", httpRequest("PUT", "/v1/node/kern.hostname", `"`+strings.Repeat("a", api.MaxRequestBytes-2)+`"`),
			false, http.StatusBadRequest, "EINVAL"}, // within the cap; too long a hostname
		{"oversized headers", httpRequest("GET", "/v1/", "", "X-Pad: "+strings.Repeat("p", 64<<10)),
			false, http.StatusRequestHeaderFieldsTooLarge, ""},
		{"invalid JSON", httpRequest("PUT", "/v1/node/kern.hostname", `{"bad`), false, http.StatusBadRequest, "EINVAL"},
		{"wrong JSON type", httpRequest("PUT", "/v1/node/kern.hostname", `42`), false, http.StatusBadRequest, "EINVAL"},
		{"unknown node", httpRequest("GET", "/v1/node/no.such.node", ""), false, http.StatusNotFound, "ENOENT"},
		{"unknown interface node", httpRequest("GET", "/v1/node/net.link.virt9.mtu", ""), false, http.StatusNotFound, "ENXIO"},
		{"unknown path", httpRequest("GET", "/v1/nosuch", ""), false, http.StatusNotFound, "ENOENT"},
		{"unknown version", httpRequest("GET", "/v2/", ""), false, http.StatusNotFound, "ENOENT"},
		{"wrong method on node", httpRequest("DELETE", "/v1/node/kern.hostname", ""), false, http.StatusMethodNotAllowed, "EOPNOTSUPP"},
		{"GET on halt", httpRequest("GET", "/v1/halt", ""), false, http.StatusMethodNotAllowed, "EOPNOTSUPP"},
		{"read-only node", httpRequest("PUT", "/v1/node/kern.ostype", `"x"`), false, http.StatusForbidden, "EPERM"},
		{"create bad cloner", httpRequest("POST", "/v1/create/net.link.foo0", ""), false, http.StatusBadRequest, "EINVAL"},
		{"address of the wrong family", httpRequest("POST", "/v1/create/net.link.lo0.inet", `{"addr":"fc00::9/64"}`),
			false, http.StatusBadRequest, "EAFNOSUPPORT"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body, err := rawExchange(e.sock, tt.req, tt.closeWrite)
			if err != nil {
				t.Fatalf("exchange: got %v, want a reply or a closed connection", err)
			}
			if resp == nil {
				if tt.status != 0 {
					t.Fatalf("reply: got the connection closed, want status %d", tt.status)
				}
				t.Logf("server closed the connection without a reply")
				return
			}
			t.Logf("reply: %s %s", resp.Status, strings.TrimSpace(string(body)))
			if tt.status != 0 && resp.StatusCode != tt.status {
				t.Errorf("status: got %d, want %d", resp.StatusCode, tt.status)
			}
			if resp.StatusCode < 400 {
				t.Errorf("status: got %d, want an error status", resp.StatusCode)
			}
			if tt.errno == "" {
				return
			}
			var er api.ErrorReply
			if err := json.Unmarshal(body, &er); err != nil {
				t.Fatalf("body: got %q (%v), want an api.ErrorReply", body, err)
			}
			if er.Errno != tt.errno || er.Message == "" {
				t.Errorf("errno: got %q (message %q), want %q with a message", er.Errno, er.Message, tt.errno)
			}
		})
	}

	// A client that stalls in the middle of its headers neither blocks
	// other clients nor holds its connection forever.
	stalled, err := net.Dial("unix", e.sock)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer stalled.Close()
	if _, err := stalled.Write([]byte("GET /v1/ HTTP/1.1\r\nHost: ru")); err != nil {
		t.Fatalf("write: %v", err)
	}
	golden.Check(t, "rifconfig-a-boot", []byte(e.mustRif("-a")))
	stalled.SetReadDeadline(time.Now().Add(pollTimeout))
	buf := make([]byte, 512)
	n, err := stalled.Read(buf)
	if isTimeout(err) {
		t.Errorf("stalled client after %v: got the connection still open, want the server to answer or hang up", pollTimeout)
	} else {
		t.Logf("stalled client: server sent %q, then %v", buf[:n], err)
	}

	// Still serving, with nothing changed.
	golden.Check(t, "rifconfig-a-boot", []byte(e.mustRif("-a")))
	host, err := s.c.Get(api.NodeHostname)
	if err != nil || string(host.Value) != `""` {
		t.Errorf("kern.hostname after the bad requests: got %s, %v; want \"\"", host.Value, err)
	}
	if _, err := s.c.Info(); err != nil {
		t.Errorf("GET /v1/ after the bad requests: got %v, want success", err)
	}
	// Every refused connection was closed: the server's fds are back (the
	// client's one keep-alive connection aside).
	stalled.Close()
	e.waitFor("server fds return to the baseline", func() (bool, string) {
		n, err := fdCount(s.pid)
		return err == nil && n <= fds0+1, fmt.Sprintf("%d fds (baseline %d), %v", n, fds0, err)
	})
}

// TestConcurrentClients runs 20 clients at once, each creating, reading and
// destroying an interface of its own, and checks the results and that the
// server is whole afterwards.
func TestConcurrentClients(t *testing.T) {
	e := newEnv(t)
	s := e.startServer()
	const clients, rounds = 20, 10
	var wg sync.WaitGroup
	errs := make(chan error, clients*rounds)
	for i := 0; i < clients; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			c := &client.Client{URL: e.url}
			name := fmt.Sprintf("virt%d", 10+i)
			for r := 0; r < rounds; r++ {
				if err := c.CreateInterface(name); err != nil {
					errs <- fmt.Errorf("%s round %d: create: %w", name, r, err)
					return
				}
				ifc, err := c.Interface(name)
				if err != nil || ifc.Name != name || ifc.MTU != 1500 {
					errs <- fmt.Errorf("%s round %d: get: got %+v, %v; want %s with mtu 1500", name, r, ifc, err, name)
					return
				}
				if err := c.CreateInterface(name); !errors.Is(err, syscall.EEXIST) {
					errs <- fmt.Errorf("%s round %d: second create: got %v, want EEXIST", name, r, err)
					return
				}
				if _, err := c.Interfaces(); err != nil {
					errs <- fmt.Errorf("%s round %d: list: %w", name, r, err)
					return
				}
				if err := c.DestroyInterface(name); err != nil {
					errs <- fmt.Errorf("%s round %d: destroy: %w", name, r, err)
					return
				}
				if _, err := c.Interface(name); !errors.Is(err, syscall.ENXIO) {
					errs <- fmt.Errorf("%s round %d: get after destroy: got %v, want ENXIO", name, r, err)
					return
				}
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if got, want := e.mustRif("-l"), "lo0\n"; got != want {
		t.Errorf("rifconfig -l: got %q, want %q", got, want)
	}
	if links := e.links(); len(links) != 1 || links[0] != "lo" {
		t.Errorf("links in the namespace: got %v, want only lo", links)
	}
	if _, err := s.c.Info(); err != nil {
		t.Errorf("server after the clients: got %v, want it answering", err)
	}
}

// TestClientTimeoutMessage runs rifconfig against a socket whose server
// takes requests and never answers: rifconfig gives up after its default
// timeout and says which server did not answer.
func TestClientTimeoutMessage(t *testing.T) {
	e := newEnv(t)
	l, err := net.Listen("unix", e.sock)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				io.Copy(io.Discard, c)
			}()
		}
	}()
	r := e.runTimeout(cmdTimeout, []string{"RUMP_SERVER=" + e.url}, bin("rifconfig"), "-a")
	want := "rifconfig: " + e.url + ": no reply within 30s\n"
	if r.code != 1 || r.stderr != want {
		t.Errorf("rifconfig -a against a server that never answers: got %v, want exit 1 and stderr %q", r, want)
	}
}
