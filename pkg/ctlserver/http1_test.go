package ctlserver

import (
	"bufio"
	"context"
	"encoding/json"
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

	"github.com/rumpnet/rumpnet/pkg/api"
)

func TestReadHead(t *testing.T) {
	tests := []struct {
		name, in string
		want     requestHead
	}{
		{"plain", "GET /v1/ HTTP/1.1\r\nHost: rump\r\n\r\n",
			requestHead{method: "GET", path: "/v1/", minor: 1}},
		{"query dropped", "GET /v1/list?x=1&y HTTP/1.1\r\n\r\n",
			requestHead{method: "GET", path: "/v1/list", minor: 1}},
		{"absolute form", "GET http://rump/v1/list?x HTTP/1.1\r\n\r\n",
			requestHead{method: "GET", path: "/v1/list", minor: 1}},
		{"absolute form, no path", "GET HTTPS://rump?x HTTP/1.1\r\n\r\n",
			requestHead{method: "GET", path: "/", minor: 1}},
		{"percent-decoded", "GET /v1/node/kern%2Ehostname HTTP/1.1\r\n\r\n",
			requestHead{method: "GET", path: "/v1/node/kern.hostname", minor: 1}},
		{"asterisk form", "OPTIONS * HTTP/1.1\r\n\r\n",
			requestHead{method: "OPTIONS", path: "*", minor: 1}},
		{"empty lines first, bare LF", "\r\n\nPUT /v1/x HTTP/1.0\ncontent-LENGTH:  12 \n\n",
			requestHead{method: "PUT", path: "/v1/x", length: 12}},
		{"same length twice", "PUT /v1/x HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\n",
			requestHead{method: "PUT", path: "/v1/x", minor: 1, length: 3}},
		{"chunked", "PUT /v1/x HTTP/1.1\r\ntransfer-encoding: Chunked\r\n\r\n",
			requestHead{method: "PUT", path: "/v1/x", minor: 1, length: -1, chunked: true}},
		{"100-continue", "PUT /v1/x HTTP/1.1\r\nExpect: 100-Continue\r\nContent-Length: 1\r\n\r\n",
			requestHead{method: "PUT", path: "/v1/x", minor: 1, length: 1, expectContinue: true}},
		{"100-continue without a body", "GET /v1/ HTTP/1.1\r\nExpect: 100-continue\r\n\r\n",
			requestHead{method: "GET", path: "/v1/", minor: 1}},
		{"100-continue from HTTP/1.0", "PUT /v1/x HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\n",
			requestHead{method: "PUT", path: "/v1/x", length: 1}},
		{"connection options", "GET /v1/ HTTP/1.0\r\nConnection: Upgrade, Keep-Alive\r\nCONNECTION: close\r\n\r\n",
			requestHead{method: "GET", path: "/v1/", connClose: true, connKeepAlive: true}},
		{"other fields ignored", "GET /v1/ HTTP/1.1\r\nX-Empty:\r\nAccept: */*\r\nUser-Agent: t\té\r\n\r\n",
			requestHead{method: "GET", path: "/v1/", minor: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := readHead(bufio.NewReader(strings.NewReader(tt.in)))
			if err != nil {
				t.Fatalf("readHead(%q): %v", tt.in, err)
			}
			if *h != tt.want {
				t.Errorf("readHead(%q):\ngot  %+v\nwant %+v", tt.in, *h, tt.want)
			}
		})
	}
}

func TestReadHeadRefuses(t *testing.T) {
	tests := []struct {
		name, in string
		status   int
	}{
		{"garbage", "garbage\r\n\r\n", 400},
		{"no version", "GET /v1/\r\n\r\n", 400},
		{"two spaces", "GET  /v1/ HTTP/1.1\r\n\r\n", 400},
		{"space in target", "GET /v1/ x HTTP/1.1\r\n\r\n", 400},
		{"lower-case version", "GET /v1/ http/1.1\r\n\r\n", 400},
		{"HTTP/2", "GET /v1/ HTTP/2.0\r\n\r\n", 505},
		{"HTTP/1.2", "GET /v1/ HTTP/1.2\r\n\r\n", 505},
		{"method not a token", "G(T /v1/ HTTP/1.1\r\n\r\n", 400},
		{"authority form", "CONNECT rump:80 HTTP/1.1\r\n\r\n", 400},
		{"control character in target", "GET /v1/\x01 HTTP/1.1\r\n\r\n", 400},
		{"bad percent-encoding", "GET /v1/%zz HTTP/1.1\r\n\r\n", 400},
		{"field without colon", "GET /v1/ HTTP/1.1\r\nHost rump\r\n\r\n", 400},
		{"space before colon", "GET /v1/ HTTP/1.1\r\nHost : rump\r\n\r\n", 400},
		{"folded field", "GET /v1/ HTTP/1.1\r\nX-A: 1\r\n 2\r\n\r\n", 400},
		{"bare CR in value", "GET /v1/ HTTP/1.1\r\nX-A: 1\r2\r\n\r\n", 400},
		{"length not a number", "PUT /v1/x HTTP/1.1\r\nContent-Length: ten\r\n\r\n", 400},
		{"negative length", "PUT /v1/x HTTP/1.1\r\nContent-Length: -1\r\n\r\n", 400},
		{"signed length", "PUT /v1/x HTTP/1.1\r\nContent-Length: +1\r\n\r\n", 400},
		{"list of lengths", "PUT /v1/x HTTP/1.1\r\nContent-Length: 1, 1\r\n\r\n", 400},
		{"huge length", "PUT /v1/x HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n", 400},
		{"conflicting lengths", "PUT /v1/x HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", 400},
		{"length and chunked", "PUT /v1/x HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n", 400},
		{"chunked twice", "PUT /v1/x HTTP/1.1\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", 400},
		{"other coding", "PUT /v1/x HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501},
		{"other expectation", "PUT /v1/x HTTP/1.1\r\nExpect: the unexpected\r\n\r\n", 417},
		{"head over 16 KiB", "GET /v1/ HTTP/1.1\r\nX-Pad: " + strings.Repeat("p", maxHeaderBytes) + "\r\n\r\n", 431},
		{"request line over 16 KiB", "GET /" + strings.Repeat("p", maxHeaderBytes) + " HTTP/1.1\r\n\r\n", 431},
		{"many empty lines", strings.Repeat("\r\n", maxHeaderBytes), 431},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := readHead(bufio.NewReader(strings.NewReader(tt.in)))
			var he *headError
			if !errors.As(err, &he) {
				t.Fatalf("readHead(%.60q): got %+v, %v; want status %d", tt.in, h, err, tt.status)
			}
			if he.status != tt.status {
				t.Errorf("readHead(%.60q): got %d (%v), want %d", tt.in, he.status, he, tt.status)
			}
		})
	}
}

// TestReadHeadLimit checks that the 16 KiB cover the request line and the
// fields with their line ends, and the final empty line.
func TestReadHeadLimit(t *testing.T) {
	head := func(n int) string {
		const start, end = "GET /v1/ HTTP/1.1\r\nX-Pad: ", "\r\n\r\n"
		return start + strings.Repeat("p", n-len(start)-len(end)) + end
	}
	if _, err := readHead(bufio.NewReader(strings.NewReader(head(maxHeaderBytes)))); err != nil {
		t.Errorf("head of exactly %d bytes: %v", maxHeaderBytes, err)
	}
	if _, err := readHead(bufio.NewReader(strings.NewReader(head(maxHeaderBytes + 1)))); err != errHeadTooLarge {
		t.Errorf("head of %d bytes: got %v, want %v", maxHeaderBytes+1, err, errHeadTooLarge)
	}
}

func TestReadHeadEnds(t *testing.T) {
	for in, want := range map[string]error{
		"":                              io.EOF,
		"GET /v1/ HT":                   io.ErrUnexpectedEOF,
		"GET /v1/ HTTP/1.1\r\nHost: ru": io.ErrUnexpectedEOF,
		"GET /v1/ HTTP/1.1\r\n":         io.EOF, // the client went away between lines
	} {
		if _, err := readHead(bufio.NewReader(strings.NewReader(in))); err != want {
			t.Errorf("readHead(%q): got %v, want %v", in, err, want)
		}
	}
}

// readBodyOf parses in as a request and reads its body; rest is what the
// connection holds after it.
func readBodyOf(t *testing.T, in string) (data, rest string, err error) {
	t.Helper()
	br := bufio.NewReader(strings.NewReader(in))
	h, err := readHead(br)
	if err != nil {
		t.Fatalf("readHead(%q): %v", in, err)
	}
	b, err := io.ReadAll(newBody(br, h, nil))
	r, _ := io.ReadAll(br)
	return string(b), string(r), err
}

func TestBody(t *testing.T) {
	const put = "PUT /v1/x HTTP/1.1\r\n"
	const chunked = put + "Transfer-Encoding: chunked\r\n\r\n"
	tests := []struct {
		name, in   string
		data, rest string
		err        error
	}{
		{"no body", put + "\r\nGET", "", "GET", nil},
		{"length", put + "Content-Length: 4\r\n\r\nabcdGET", "abcd", "GET", nil},
		{"truncated", put + "Content-Length: 8\r\n\r\nabcd", "abcd", "", io.ErrUnexpectedEOF},
		{"chunks", chunked + "4\r\nabcd\r\nA;ext=1;x\r\n0123456789\r\n0\r\n\r\nGET", "abcd0123456789", "GET", nil},
		{"bare LF", chunked + "2\nab\n0\n\nGET", "ab", "GET", nil},
		{"space before extension", chunked + "2 ;x\r\nab\r\n0\r\n\r\n", "ab", "", nil},
		{"trailer", chunked + "1\r\na\r\n0\r\nX-Sum: 1\r\nX-More: 2\r\n\r\nGET", "a", "GET", nil},
		{"not hex", chunked + "g\r\nabcd\r\n0\r\n\r\n", "", "", errBadChunk},
		{"empty size", chunked + "\r\nabcd\r\n0\r\n\r\n", "", "", errBadChunk},
		{"signed size", chunked + "+4\r\nabcd\r\n0\r\n\r\n", "", "", errBadChunk},
		{"hex prefix", chunked + "0x4\r\nabcd\r\n0\r\n\r\n", "", "", errBadChunk},
		{"huge size", chunked + "1000000000000000\r\nabcd\r\n", "", "", errBadChunk},
		{"data longer than its size", chunked + "2\r\nabcd\r\n0\r\n\r\n", "ab", "", errBadChunk},
		{"no last chunk", chunked + "2\r\nab\r\n", "ab", "", io.ErrUnexpectedEOF},
		{"truncated chunk", chunked + "4\r\nab", "ab", "", io.ErrUnexpectedEOF},
		{"no trailer end", chunked + "0\r\nX-A: 1\r\n", "", "", io.ErrUnexpectedEOF},
		{"bad trailer", chunked + "0\r\nnot a field\r\n\r\n", "", "", errBadChunk},
		{"size line over 4 KiB", chunked + "1;" + strings.Repeat("x", maxChunkLine) + "\r\na\r\n0\r\n\r\n", "", "", errBadChunk},
		{"trailer over 16 KiB", chunked + "0\r\nX-A: " + strings.Repeat("x", maxHeaderBytes) + "\r\n\r\n", "", "", errTrailerTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, rest, err := readBodyOf(t, tt.in)
			if !errors.Is(err, tt.err) || data != tt.data {
				t.Errorf("body: got %q, %v; want %q, %v", data, err, tt.data, tt.err)
			}
			if tt.err == nil && rest != tt.rest {
				t.Errorf("after the body: got %q, want %q", rest, tt.rest)
			}
		})
	}
}

// FuzzReadRequest feeds the parser arbitrary bytes: it must not panic, and
// it either parses a request whose body can then be read, or says why not.
func FuzzReadRequest(f *testing.F) {
	f.Add([]byte("GET /v1/ HTTP/1.1\r\nHost: rump\r\n\r\n"))
	f.Add([]byte("PUT http://rump/v1/node/kern.hostname?a HTTP/1.0\r\nContent-Length: 3\r\nConnection: keep-alive\r\n\r\n\"h\""))
	f.Add([]byte("POST /v1/ping HTTP/1.1\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n3;x\r\n{}\n\r\n0\r\nT: 1\r\n\r\n"))
	f.Add([]byte("garbage\r\n\r\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		br := bufio.NewReader(strings.NewReader(string(in)))
		h, err := readHead(br)
		if err != nil {
			var he *headError
			if !errors.As(err, &he) && err != io.EOF && err != io.ErrUnexpectedEOF {
				t.Fatalf("readHead(%q): unexpected error %v", in, err)
			}
			if he != nil && (he.status < 400 || he.reason == "") {
				t.Fatalf("readHead(%q): refusal %+v without an error status and reason", in, he)
			}
			return
		}
		if !isToken(h.method) || h.path == "" || h.minor > 1 || h.length < -1 || h.chunked != (h.length == -1) {
			t.Fatalf("readHead(%q): inconsistent head %+v", in, *h)
		}
		b := newBody(br, h, func() error { return nil })
		data, err := io.ReadAll(io.LimitReader(b, 1<<20))
		if err == nil && !b.done && int64(len(data)) < 1<<20 {
			t.Fatalf("body of %q: read %d bytes to the end without finishing", in, len(data))
		}
		if !h.chunked && int64(len(data)) > h.length {
			t.Fatalf("body of %q: read %d bytes, more than its length %d", in, len(data), h.length)
		}
	})
}

// ---- Connections ----

// shortTimeouts shortens the connection timeouts of the servers the test
// then starts.
func shortTimeouts(t *testing.T, header, request, idle time.Duration) {
	h, r, i := headerTimeout, requestTimeout, idleTimeout
	headerTimeout, requestTimeout, idleTimeout = header, request, idle
	t.Cleanup(func() { headerTimeout, requestTimeout, idleTimeout = h, r, i })
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
	s := New(newKernel(t), nil)
	served := make(chan error, 1)
	go func() { served <- s.Serve(l) }()
	t.Cleanup(func() { s.Close() })
	return s, path, served
}

// client is a raw connection to the server.
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

func TestKeepAlive(t *testing.T) {
	_, path, _ := serveRaw(t)
	rc := dialRaw(t, path)
	rc.send("GET /v1/node/kern.ostype HTTP/1.1\r\nHost: rump\r\n\r\n")
	resp, body := rc.response("GET")
	if resp.StatusCode != 200 || resp.Close || body != `{"name":"kern.ostype","type":"string","writable":false,"value":"rumpnet"}`+"\n" {
		t.Errorf("first request: got %s (close %v) %q", resp.Status, resp.Close, body)
	}
	if resp.Header.Get("Content-Type") != "application/json" || resp.ContentLength != int64(len(body)) || resp.Header.Get("Date") == "" {
		t.Errorf("first request: got header %v", resp.Header)
	}
	rc.send("PUT /v1/node/kern.hostname HTTP/1.1\r\nContent-Length: 3\r\n\r\n\"k\"")
	resp, body = rc.response("PUT")
	if resp.StatusCode != 200 || resp.Close || body != `{"name":"kern.hostname","old":"","new":"k"}`+"\n" {
		t.Errorf("second request: got %s (close %v) %q", resp.Status, resp.Close, body)
	}
	// An error reply keeps the connection too.
	rc.send("GET /v1/nosuch HTTP/1.1\r\n\r\nGET /v1/node/kern.hostname HTTP/1.1\r\nConnection: close\r\n\r\n")
	if resp, _ = rc.response("GET"); resp.StatusCode != 404 || resp.Close {
		t.Errorf("third request: got %s (close %v), want 404 and keep-alive", resp.Status, resp.Close)
	}
	resp, body = rc.response("GET")
	if resp.StatusCode != 200 || !resp.Close || !strings.Contains(body, `"value":"k"`) {
		t.Errorf("pipelined request with Connection: close: got %s (close %v) %q", resp.Status, resp.Close, body)
	}
	rc.wantClosed()
}

func TestHTTP10(t *testing.T) {
	_, path, _ := serveRaw(t)
	rc := dialRaw(t, path)
	rc.send("GET /v1/node/kern.ostype HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
	resp, _ := rc.response("GET")
	if resp.Proto != "HTTP/1.0" || resp.StatusCode != 200 || resp.Header.Get("Connection") != "keep-alive" {
		t.Errorf("keep-alive request: got %s %s, Connection %q", resp.Proto, resp.Status, resp.Header.Get("Connection"))
	}
	rc.send("GET /v1/node/kern.ostype HTTP/1.0\r\n\r\n")
	resp, _ = rc.response("GET")
	if resp.StatusCode != 200 || !resp.Close {
		t.Errorf("plain request: got %s, close %v; want 200 and close", resp.Status, resp.Close)
	}
	rc.wantClosed()
}

func TestChunkedRequest(t *testing.T) {
	_, path, _ := serveRaw(t)
	rc := dialRaw(t, path)
	rc.send("PUT /v1/node/kern.hostname HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n" +
		"2\r\n\"c\r\n2;last\r\nk\"\r\n0\r\n\r\n")
	resp, body := rc.response("PUT")
	if resp.StatusCode != 200 || resp.Close || body != `{"name":"kern.hostname","old":"","new":"ck"}`+"\n" {
		t.Errorf("chunked PUT: got %s (close %v) %q", resp.Status, resp.Close, body)
	}
	// A chunked body over the limit is refused once the limit is passed.
	big := strings.Repeat("a", api.MaxRequestBytes)
	rc.send("PUT /v1/node/kern.hostname HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n" +
		strconv.FormatInt(int64(len(big)), 16) + "\r\n" + big + "\r\n1\r\na\r\n0\r\n\r\n")
	resp, body = rc.response("PUT")
	if resp.StatusCode != 413 || !resp.Close || !strings.Contains(body, "EMSGSIZE") {
		t.Errorf("chunked PUT over 64 KiB: got %s (close %v) %q", resp.Status, resp.Close, body)
	}
}

func TestExpectContinue(t *testing.T) {
	_, path, _ := serveRaw(t)
	rc := dialRaw(t, path)
	rc.send("PUT /v1/node/kern.hostname HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n")
	const cont = "HTTP/1.1 100 Continue\r\n\r\n"
	got := make([]byte, len(cont))
	if _, err := io.ReadFull(rc.br, got); err != nil || string(got) != cont {
		t.Fatalf("before the body: got %q, %v; want %q", got, err, cont)
	}
	rc.send(`"e"`)
	resp, body := rc.response("PUT")
	if resp.StatusCode != 200 || resp.Close || !strings.Contains(body, `"new":"e"`) {
		t.Errorf("after the body: got %s (close %v) %q", resp.Status, resp.Close, body)
	}

	// A request refused before its body is read gets no 100, and the
	// connection ends, as the body may still come.
	rc = dialRaw(t, path)
	rc.send("POST /v1/nosuch HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n")
	resp, body = rc.response("POST")
	if resp.StatusCode != 404 || !resp.Close || !strings.Contains(body, "ENOENT") {
		t.Errorf("refused request: got %s (close %v) %q", resp.Status, resp.Close, body)
	}
	rc.wantClosed()
}

func TestHeadRequest(t *testing.T) {
	_, path, _ := serveRaw(t)
	rc := dialRaw(t, path)
	rc.send("HEAD /v1/ HTTP/1.1\r\n\r\nGET /v1/node/kern.ostype HTTP/1.1\r\n\r\n")
	resp, body := rc.response("HEAD")
	if resp.StatusCode != 405 || resp.ContentLength <= 0 || body != "" {
		t.Errorf("HEAD: got %s, length %d, body %q; want 405 with a length and no body", resp.Status, resp.ContentLength, body)
	}
	if resp, body = rc.response("GET"); resp.StatusCode != 200 || !strings.Contains(body, "rumpnet") {
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
		{"GET /v1/ HTTP/1.1\r\nX-Pad: " + strings.Repeat("p", 64<<10) + "\r\n\r\n", 431},
		{"PUT /v1/x HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", 501},
		{"GET /v1/ HTTP/3.0\r\n\r\n", 505},
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
		rc.send("GET /v1/ HTTP/1.1\r\nHost: ru")
		rc.wantClosed()
		if d := time.Since(start); d < header*3/4 || d > header+2*time.Second {
			t.Errorf("closed after %v, want about %v", d, header)
		}
	})
	t.Run("stalled body", func(t *testing.T) {
		rc := dialRaw(t, path)
		start := time.Now()
		rc.send("PUT /v1/node/kern.hostname HTTP/1.1\r\nContent-Length: 10\r\n\r\n\"ab")
		resp, body := rc.response("PUT")
		if resp.StatusCode != 400 || !resp.Close || !strings.Contains(body, "i/o timeout") {
			t.Errorf("got %s (close %v) %q, want 400 EINVAL with a timeout and close", resp.Status, resp.Close, body)
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
			rc.send("GET /v1/ HTTP/1.1\r\n\r\n")
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

// pingEvents reads a stream's events, each line a JSON event.
func pingEvents(t *testing.T, r io.Reader) []string {
	t.Helper()
	var types []string
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		var ev api.PingEvent
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			t.Fatalf("event %q: %v", sc.Text(), err)
		}
		types = append(types, ev.Type)
	}
	return types
}

func TestStreamChunked(t *testing.T) {
	_, path, _ := serveRaw(t)
	rc := dialRaw(t, path)
	req := `{"dst":"127.0.0.1","count":2,"interval":0.1,"size":56}`
	rc.send("POST /v1/ping HTTP/1.1\r\nContent-Length: " + strconv.Itoa(len(req)) + "\r\n\r\n" + req)
	resp, err := http.ReadResponse(rc.br, &http.Request{Method: "POST"})
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || !resp.Close || len(resp.TransferEncoding) != 1 || resp.TransferEncoding[0] != "chunked" ||
		resp.Header.Get("Content-Type") != api.PingContentType {
		t.Fatalf("got %s, close %v, transfer encoding %v, header %v", resp.Status, resp.Close, resp.TransferEncoding, resp.Header)
	}
	// One chunk per event, each a whole line.
	var events []string
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
		data := strings.TrimSuffix(string(chunk), "\r\n")
		if strings.Count(data, "\n") != 1 || !strings.HasSuffix(data, "\n") {
			t.Errorf("chunk %q is not one line", data)
		}
		events = append(events, pingEvents(t, strings.NewReader(data))...)
	}
	if got, want := strings.Join(events, " "), "start sent reply sent reply end"; got != want {
		t.Errorf("events: got %q, want %q", got, want)
	}
	rc.wantClosed()
}

func TestStreamHTTP10(t *testing.T) {
	_, path, _ := serveRaw(t)
	rc := dialRaw(t, path)
	req := `{"dst":"127.0.0.1","count":1,"size":56}`
	rc.send("POST /v1/ping HTTP/1.0\r\nContent-Length: " + strconv.Itoa(len(req)) + "\r\n\r\n" + req)
	resp, err := http.ReadResponse(rc.br, &http.Request{Method: "POST"})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Proto != "HTTP/1.0" || resp.StatusCode != 200 || resp.ContentLength != -1 || len(resp.TransferEncoding) != 0 {
		t.Fatalf("got %s %s, length %d, transfer encoding %v; want a stream to the end of the connection",
			resp.Proto, resp.Status, resp.ContentLength, resp.TransferEncoding)
	}
	if got, want := strings.Join(pingEvents(t, resp.Body), " "), "start sent reply end"; got != want {
		t.Errorf("events: got %q, want %q", got, want)
	}
}

// connCount is the number of connections the server tracks, and how many
// of them are in a request.
func connCount(s *Server) (all, active int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		if !c.idle {
			active++
		}
	}
	return len(s.conns), active
}

// waitConns waits until the server has all connections, active of them in a
// request.
func waitConns(t *testing.T, s *Server, all, active int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		n, a := connCount(s)
		if n == all && a == active {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("server connections: got %d, %d active; want %d, %d active", n, a, all, active)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestStreamClientGone checks that an endless ping ends, and its connection
// with it, when the client hangs up.
func TestStreamClientGone(t *testing.T) {
	s, path, _ := serveRaw(t)
	rc := dialRaw(t, path)
	req := `{"dst":"127.0.0.1","interval":0.1,"size":56}`
	rc.send("POST /v1/ping HTTP/1.1\r\nContent-Length: " + strconv.Itoa(len(req)) + "\r\n\r\n" + req)
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

func TestShutdown(t *testing.T) {
	s, path, served := serveRaw(t)

	idle := dialRaw(t, path)
	idle.send("GET /v1/ HTTP/1.1\r\n\r\n")
	idle.response("GET")
	fresh := dialRaw(t, path) // connected, nothing sent
	active := dialRaw(t, path)
	active.send("PUT /v1/node/kern.hostname HTTP/1.1\r\nContent-Length: 3\r\n")
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
	if resp.StatusCode != 200 || !resp.Close || !strings.Contains(body, `"new":"s"`) {
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
	stalled.send("GET /v1/ HTTP/1.1\r\nHost: ru")
	waitConns(t, s, 1, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if err := s.Shutdown(ctx); err != context.DeadlineExceeded {
		t.Errorf("Shutdown with a stalled request: got %v, want %v", err, context.DeadlineExceeded)
	}
	stalled.wantClosed()
	waitConns(t, s, 0, 0)
}
