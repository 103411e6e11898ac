package http1

import (
	"bufio"
	"errors"
	"io"
	"strings"
	"testing"
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
