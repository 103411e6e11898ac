package client

import (
	"bufio"
	"io"
	"strings"
	"testing"
)

func TestReadReply(t *testing.T) {
	tests := []struct {
		name, in   string
		code       int
		status     string
		body       string
		headErr    bool
		bodyErrMsg string
	}{
		{"length", "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n{}\nextra", 200, "200 OK", "{}\n", false, ""},
		{"chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\nT: 1\r\n\r\n", 200, "200 OK", "abcde", false, ""},
		{"to eof", "HTTP/1.0 404 Not Found\r\n\r\nnone", 404, "404 Not Found", "none", false, ""},
		{"lf only", "HTTP/1.1 500 Internal Server Error\nContent-Length: 1\n\nx", 500, "500 Internal Server Error", "x", false, ""},
		{"chunk cut", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab", 200, "200 OK", "ab", false, "unexpected EOF"},
		{"chunk too long", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nab\r\n0\r\n\r\n", 200, "200 OK", "a", false, "chunk longer than its size"},
		{"bad size", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 200, "200 OK", "", false, "bad chunk size"},
		{"not http", "SSH-2.0-x\r\n\r\n", 0, "", "", true, ""},
		{"bad length", "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", 0, "", "", true, ""},
		{"gzip", "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", 0, "", "", true, ""},
		{"no field colon", "HTTP/1.1 200 OK\r\nbad\r\n\r\n", 0, "", "", true, ""},
		{"cut head", "HTTP/1.1 200 OK\r\nContent-", 0, "", "", true, ""},
		{"empty", "", 0, "", "", true, ""},
	}
	for _, tt := range tests {
		r, err := readReply(bufio.NewReaderSize(strings.NewReader(tt.in), 4096))
		if tt.headErr {
			if err == nil {
				t.Errorf("%s: got reply %d, want an error", tt.name, r.code)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: got %v, want a reply", tt.name, err)
			continue
		}
		body, err := io.ReadAll(r.body)
		msg := ""
		if err != nil {
			msg = err.Error()
		}
		if r.code != tt.code || r.status != tt.status || string(body) != tt.body || msg != tt.bodyErrMsg {
			t.Errorf("%s: got %d %q %q (err %q), want %d %q %q (err %q)", tt.name,
				r.code, r.status, body, msg, tt.code, tt.status, tt.body, tt.bodyErrMsg)
		}
	}
}
