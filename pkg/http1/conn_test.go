package http1

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

const okBody = `{"ok":true}` + "\n"

func TestKeepAlive(t *testing.T) {
	_, path, _ := serveRaw(t)
	rc := dialRaw(t, path)
	rc.send("GET / HTTP/1.1\r\nHost: rump\r\n\r\n")
	resp, body := rc.response("GET")
	if resp.StatusCode != 200 || resp.Close || body != okBody {
		t.Errorf("first request: got %s (close %v) %q", resp.Status, resp.Close, body)
	}
	if resp.Header.Get("Content-Type") != "application/json" || resp.ContentLength != int64(len(body)) || resp.Header.Get("Date") == "" {
		t.Errorf("first request: got header %v", resp.Header)
	}
	rc.send("PUT /echo HTTP/1.1\r\nContent-Length: 3\r\n\r\n\"k\"")
	resp, body = rc.response("PUT")
	if resp.StatusCode != 200 || resp.Close || body != `"k"` {
		t.Errorf("second request: got %s (close %v) %q", resp.Status, resp.Close, body)
	}
	// An error reply keeps the connection too.
	rc.send("GET /nosuch HTTP/1.1\r\n\r\nGET / HTTP/1.1\r\nConnection: close\r\n\r\n")
	if resp, _ = rc.response("GET"); resp.StatusCode != 404 || resp.Close {
		t.Errorf("third request: got %s (close %v), want 404 and keep-alive", resp.Status, resp.Close)
	}
	resp, body = rc.response("GET")
	if resp.StatusCode != 200 || !resp.Close || body != okBody {
		t.Errorf("pipelined request with Connection: close: got %s (close %v) %q", resp.Status, resp.Close, body)
	}
	rc.wantClosed()
}

func TestHTTP10(t *testing.T) {
	_, path, _ := serveRaw(t)
	rc := dialRaw(t, path)
	rc.send("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
	resp, _ := rc.response("GET")
	if resp.Proto != "HTTP/1.0" || resp.StatusCode != 200 || resp.Header.Get("Connection") != "keep-alive" {
		t.Errorf("keep-alive request: got %s %s, Connection %q", resp.Proto, resp.Status, resp.Header.Get("Connection"))
	}
	rc.send("GET / HTTP/1.0\r\n\r\n")
	resp, _ = rc.response("GET")
	if resp.StatusCode != 200 || !resp.Close {
		t.Errorf("plain request: got %s, close %v; want 200 and close", resp.Status, resp.Close)
	}
	rc.wantClosed()
}

func TestChunkedRequest(t *testing.T) {
	_, path, _ := serveRaw(t)
	rc := dialRaw(t, path)
	rc.send("PUT /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n" +
		"2\r\n\"c\r\n2;last\r\nk\"\r\n0\r\n\r\n")
	resp, body := rc.response("PUT")
	if resp.StatusCode != 200 || resp.Close || body != `"ck"` {
		t.Errorf("chunked PUT: got %s (close %v) %q", resp.Status, resp.Close, body)
	}
	// A chunked body the handler stops reading ends the connection.
	big := strings.Repeat("a", maxTestBody)
	rc.send("PUT /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n" +
		strconv.FormatInt(int64(len(big)), 16) + "\r\n" + big + "\r\n1\r\na\r\n0\r\n\r\n")
	resp, _ = rc.response("PUT")
	if resp.StatusCode != 413 || !resp.Close {
		t.Errorf("chunked PUT over the handler's limit: got %s (close %v)", resp.Status, resp.Close)
	}
}

func TestExpectContinue(t *testing.T) {
	_, path, _ := serveRaw(t)
	rc := dialRaw(t, path)
	rc.send("PUT /echo HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n")
	const cont = "HTTP/1.1 100 Continue\r\n\r\n"
	got := make([]byte, len(cont))
	if _, err := io.ReadFull(rc.br, got); err != nil || string(got) != cont {
		t.Fatalf("before the body: got %q, %v; want %q", got, err, cont)
	}
	rc.send(`"e"`)
	resp, body := rc.response("PUT")
	if resp.StatusCode != 200 || resp.Close || body != `"e"` {
		t.Errorf("after the body: got %s (close %v) %q", resp.Status, resp.Close, body)
	}

	// A request refused before its body is read gets no 100, and the
	// connection ends, as the body may still come.
	rc = dialRaw(t, path)
	rc.send("POST /nosuch HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n")
	resp, _ = rc.response("POST")
	if resp.StatusCode != 404 || !resp.Close {
		t.Errorf("refused request: got %s (close %v)", resp.Status, resp.Close)
	}
	rc.wantClosed()
}

func TestHeadRequest(t *testing.T) {
	_, path, _ := serveRaw(t)
	rc := dialRaw(t, path)
	rc.send("HEAD / HTTP/1.1\r\n\r\nGET / HTTP/1.1\r\n\r\n")
	resp, body := rc.response("HEAD")
	if resp.StatusCode != 405 || resp.ContentLength <= 0 || body != "" {
		t.Errorf("HEAD: got %s, length %d, body %q; want 405 with a length and no body", resp.Status, resp.ContentLength, body)
	}
	if resp, body = rc.response("GET"); resp.StatusCode != 200 || body != okBody {
		t.Errorf("GET after HEAD: got %s %q", resp.Status, body)
	}
}

func TestRefusedRequests(t *testing.T) {
	_, path, _ := serveRaw(t)
	for _, tt := range []struct {
		req    string
		status int
	}{
		{"garbage\r\n\r\n", 400},
		{"GET / HTTP/1.1\r\nX-Pad: " + strings.Repeat("p", 64<<10) + "\r\n\r\n", 431},
		{"PUT /echo HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", 501},
		{"GET / HTTP/3.0\r\n\r\n", 505},
	} {
		rc := dialRaw(t, path)
		rc.send(tt.req)
		resp, body := rc.response("GET")
		if resp.StatusCode != tt.status || !resp.Close || resp.Header.Get("Content-Type") != plainContentType || body == "" {
			t.Errorf("%.40q: got %s (close %v, %q) %q; want %d, plain text, close", tt.req, resp.Status, resp.Close, resp.Header.Get("Content-Type"), body, tt.status)
		}
		rc.wantClosed()
	}
}

func TestTimeouts(t *testing.T) {
	const header, request, idle = 200 * time.Millisecond, 500 * time.Millisecond, 300 * time.Millisecond
	shortTimeouts(t, header, request, idle)
	_, path, _ := serveRaw(t)

	t.Run("stalled head", func(t *testing.T) {
		rc := dialRaw(t, path)
		start := time.Now()
		rc.send("GET / HTTP/1.1\r\nHost: ru")
		rc.wantClosed()
		if d := time.Since(start); d < header*3/4 || d > header+2*time.Second {
			t.Errorf("closed after %v, want about %v", d, header)
		}
	})
	t.Run("stalled body", func(t *testing.T) {
		rc := dialRaw(t, path)
		start := time.Now()
		rc.send("PUT /echo HTTP/1.1\r\nContent-Length: 10\r\n\r\n\"ab")
		resp, body := rc.response("PUT")
		if resp.StatusCode != 400 || !resp.Close || !strings.Contains(body, "i/o timeout") {
			t.Errorf("got %s (close %v) %q, want 400 with a timeout and close", resp.Status, resp.Close, body)
		}
		if d := time.Since(start); d < request*3/4 || d > request+2*time.Second {
			t.Errorf("answered after %v, want about %v", d, request)
		}
		rc.wantClosed()
	})
	t.Run("idle", func(t *testing.T) {
		rc := dialRaw(t, path)
		for i := 0; i < 3; i++ {
			// Each new request gets its own header timeout.
			time.Sleep(header * 3 / 4)
			rc.send("GET / HTTP/1.1\r\n\r\n")
			if resp, _ := rc.response("GET"); resp.StatusCode != 200 {
				t.Fatalf("request %d: got %s", i, resp.Status)
			}
		}
		start := time.Now()
		rc.wantClosed()
		if d := time.Since(start); d < idle*3/4 || d > idle+2*time.Second {
			t.Errorf("idle connection closed after %v, want about %v", d, idle)
		}
	})
}

func TestStreamChunked(t *testing.T) {
	_, path, _ := serveRaw(t)
	rc := dialRaw(t, path)
	rc.send("POST /stream/3 HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}")
	resp, err := http.ReadResponse(rc.br, &http.Request{Method: "POST"})
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || !resp.Close || len(resp.TransferEncoding) != 1 || resp.TransferEncoding[0] != "chunked" ||
		resp.Header.Get("Content-Type") != "application/x-test-events" {
		t.Fatalf("got %s, close %v, transfer encoding %v, header %v", resp.Status, resp.Close, resp.TransferEncoding, resp.Header)
	}
	// One chunk per write.
	var chunks []string
	for {
		line, err := rc.br.ReadString('\n')
		if err != nil {
			t.Fatalf("chunk size: %v", err)
		}
		n, err := strconv.ParseInt(strings.TrimSuffix(line, "\r\n"), 16, 64)
		if err != nil {
			t.Fatalf("chunk size line %q: %v", line, err)
		}
		chunk := make([]byte, n+2)
		if _, err := io.ReadFull(rc.br, chunk); err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
		chunks = append(chunks, strings.TrimSuffix(string(chunk), "\r\n"))
	}
	if got, want := strings.Join(chunks, "|"), "event 0\n|event 1\n|event 2\n"; got != want {
		t.Errorf("chunks: got %q, want %q", got, want)
	}
	rc.wantClosed()
}

func TestStreamHTTP10(t *testing.T) {
	_, path, _ := serveRaw(t)
	rc := dialRaw(t, path)
	rc.send("POST /stream/2 HTTP/1.0\r\nContent-Length: 2\r\n\r\n{}")
	resp, err := http.ReadResponse(rc.br, &http.Request{Method: "POST"})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Proto != "HTTP/1.0" || resp.StatusCode != 200 || resp.ContentLength != -1 || len(resp.TransferEncoding) != 0 {
		t.Fatalf("got %s %s, length %d, transfer encoding %v; want a stream to the end of the connection",
			resp.Proto, resp.Status, resp.ContentLength, resp.TransferEncoding)
	}
	if b, err := io.ReadAll(resp.Body); err != nil || string(b) != "event 0\nevent 1\n" {
		t.Errorf("stream: got %q, %v; want two events", b, err)
	}
}

// TestStreamClientGone checks that an endless stream ends, and its
// connection with it, when the client hangs up.
func TestStreamClientGone(t *testing.T) {
	s, path, _ := serveRaw(t)
	rc := dialRaw(t, path)
	rc.send("POST /stream/forever HTTP/1.1\r\nContent-Length: 0\r\n\r\n")
	resp, err := http.ReadResponse(rc.br, &http.Request{Method: "POST"})
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(resp.Body)
	for i := 0; i < 5 && sc.Scan(); i++ {
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	waitConns(t, s, 1, 1)
	rc.c.Close()
	waitConns(t, s, 0, 0)
}

// TestUpgrade switches a connection and speaks the new protocol on it,
// beyond every timeout; a client that does not wait for 101 is refused.
func TestUpgrade(t *testing.T) {
	shortTimeouts(t, 50*time.Millisecond, 50*time.Millisecond, 50*time.Millisecond)
	s, path, _ := serveRaw(t)
	rc := dialRaw(t, path)
	rc.send("POST /upgrade HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: test-echo\r\nContent-Length: 0\r\n\r\n")
	resp, err := http.ReadResponse(rc.br, &http.Request{Method: "POST"})
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 101 || resp.Header.Get("Upgrade") != "test-echo" {
		t.Fatalf("got %s, Upgrade %q; want 101 test-echo", resp.Status, resp.Header.Get("Upgrade"))
	}
	waitConns(t, s, 1, 0) // an upgraded connection counts as idle
	time.Sleep(200 * time.Millisecond)
	rc.send("hello\n")
	if line, err := rc.br.ReadString('\n'); line != "hello\n" || err != nil {
		t.Errorf("after the switch and the timeouts: got %q, %v; want the echo", line, err)
	}
	rc.c.Close()
	waitConns(t, s, 0, 0)

	rc = dialRaw(t, path)
	rc.send("POST /upgrade HTTP/1.1\r\nUpgrade: test-echo\r\nContent-Length: 0\r\n\r\nhello\n")
	if resp, body := rc.response("POST"); resp.StatusCode != 400 || !strings.Contains(body, ErrUpgradeData.Error()) {
		t.Errorf("data before 101: got %s %q, want 400 %q", resp.Status, body, ErrUpgradeData)
	}
}

func TestShutdown(t *testing.T) {
	s, path, served := serveRaw(t)

	idle := dialRaw(t, path)
	idle.send("GET / HTTP/1.1\r\n\r\n")
	idle.response("GET")
	fresh := dialRaw(t, path) // connected, nothing sent
	active := dialRaw(t, path)
	active.send("PUT /echo HTTP/1.1\r\nContent-Length: 3\r\n")
	waitConns(t, s, 3, 1)

	done := make(chan error, 1)
	go func() { done <- s.Shutdown(context.Background()) }()
	idle.wantClosed()
	fresh.wantClosed()
	if err := <-served; err != nil {
		t.Errorf("Serve after Shutdown: got %v, want nil", err)
	}
	if _, err := net.Dial("unix", path); err == nil {
		t.Errorf("dial after Shutdown: got a connection")
	}
	select {
	case err := <-done:
		t.Fatalf("Shutdown returned (%v) with a request in flight", err)
	case <-time.After(100 * time.Millisecond):
	}
	// The request in flight is answered, and its connection then closed.
	active.send("\r\n\"s\"")
	resp, body := active.response("PUT")
	if resp.StatusCode != 200 || !resp.Close || body != `"s"` {
		t.Errorf("request in flight: got %s (close %v) %q", resp.Status, resp.Close, body)
	}
	active.wantClosed()
	if err := <-done; err != nil {
		t.Errorf("Shutdown: got %v, want nil", err)
	}
	if err := s.Serve(&net.UnixListener{}); err != nil {
		t.Errorf("Serve after Shutdown: got %v, want nil", err)
	}
}

func TestShutdownDeadline(t *testing.T) {
	s, path, _ := serveRaw(t)
	stalled := dialRaw(t, path)
	stalled.send("GET / HTTP/1.1\r\nHost: ru")
	waitConns(t, s, 1, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if err := s.Shutdown(ctx); err != context.DeadlineExceeded {
		t.Errorf("Shutdown with a stalled request: got %v, want %v", err, context.DeadlineExceeded)
	}
	stalled.wantClosed()
	waitConns(t, s, 0, 0)
}
