package http1

// Parsing a request: its head (the request line and the header fields the
// server acts on) and its body, by Content-Length or chunked transfer
// coding. Every line is read with a budget of bytes, so that a client
// cannot make the server buffer without end.

import (
	"bufio"
	"errors"
	"io"
	"net/url"
	"strconv"
	"strings"
)

const (
	// maxHeaderBytes limits a request's line and header fields together,
	// line ends included, and separately the trailer of a chunked body.
	maxHeaderBytes = 16 << 10
	// maxChunkLine limits a chunk-size line, chunk extensions included.
	maxChunkLine = 4 << 10
	// connBufferSize is the size of a connection's read and write buffers.
	connBufferSize = 4 << 10
	// plainContentType is the type of the replies that the server makes
	// itself rather than its handler.
	plainContentType = "text/plain; charset=utf-8"
)

// HTTP status codes the server sends itself, and the ones a handler may
// send with the text of their status line known (others get "Status N").
const (
	StatusSwitchingProtocols      = 101
	StatusOK                      = 200
	StatusBadRequest              = 400
	StatusForbidden               = 403
	StatusNotFound                = 404
	StatusMethodNotAllowed        = 405
	StatusConflict                = 409
	StatusRequestEntityTooLarge   = 413
	StatusExpectationFailed       = 417
	StatusHeaderFieldsTooLarge    = 431
	StatusInternalServerError     = 500
	StatusNotImplemented          = 501
	StatusServiceUnavailable      = 503
	StatusHTTPVersionNotSupported = 505
)

// StatusText returns the reason phrase of a status code.
func StatusText(code int) string {
	switch code {
	case StatusSwitchingProtocols:
		return "Switching Protocols"
	case StatusOK:
		return "OK"
	case StatusBadRequest:
		return "Bad Request"
	case StatusForbidden:
		return "Forbidden"
	case StatusNotFound:
		return "Not Found"
	case StatusMethodNotAllowed:
		return "Method Not Allowed"
	case StatusConflict:
		return "Conflict"
	case StatusRequestEntityTooLarge:
		return "Request Entity Too Large"
	case StatusExpectationFailed:
		return "Expectation Failed"
	case StatusHeaderFieldsTooLarge:
		return "Request Header Fields Too Large"
	case StatusInternalServerError:
		return "Internal Server Error"
	case StatusNotImplemented:
		return "Not Implemented"
	case StatusServiceUnavailable:
		return "Service Unavailable"
	case StatusHTTPVersionNotSupported:
		return "HTTP Version Not Supported"
	}
	return "Status " + strconv.Itoa(code)
}

// ---- Parsing a request head ----

// requestHead is a parsed request line and the header fields the server
// acts on; every other field is read and ignored.
type requestHead struct {
	method string
	path   string // the target's path, percent-decoded, without query
	minor  int    // HTTP/1.minor

	length         int64  // Content-Length; -1 when absent
	chunked        bool   // Transfer-Encoding: chunked
	expectContinue bool   // the client waits for "100 Continue" to send the body
	connClose      bool   // Connection: close
	connKeepAlive  bool   // Connection: keep-alive
	upgrade        string // the Upgrade field, for a handler that switches protocols
}

// wantsClose reports whether the client expects the connection to end after
// the reply.
func (h *requestHead) wantsClose() bool {
	if h.minor == 0 {
		return h.connClose || !h.connKeepAlive
	}
	return h.connClose
}

// hasBody reports whether a body follows the head.
func (h *requestHead) hasBody() bool { return h.chunked || h.length > 0 }

// headError is a request head the server refuses. It is answered with a
// plain-text reply of its status, and the connection is closed, as what
// follows the head cannot be told from the next request.
type headError struct {
	status int
	reason string
}

func (e *headError) Error() string { return StatusText(e.status) + ": " + e.reason }

func badRequest(reason string) error { return &headError{StatusBadRequest, reason} }

var errHeadTooLarge = &headError{StatusHeaderFieldsTooLarge, "request line and header fields over 16 KiB"}

// lineReader reads CRLF- (or LF-) terminated lines with a budget of bytes,
// so that a client cannot make the server buffer a line without end.
type lineReader struct {
	br     *bufio.Reader
	left   int   // bytes the lines may still take
	tooBig error // returned when they would take more
}

// line returns the next line without its end. A line cut short by the end
// of the stream is io.ErrUnexpectedEOF.
func (lr *lineReader) line() (string, error) {
	var long []byte // the line so far, when it is longer than br's buffer
	for {
		frag, err := lr.br.ReadSlice('\n')
		if len(frag) > lr.left {
			return "", lr.tooBig
		}
		lr.left -= len(frag)
		if err == bufio.ErrBufferFull {
			long = append(long, frag...)
			continue
		}
		if err != nil {
			if err == io.EOF && len(long)+len(frag) > 0 {
				err = io.ErrUnexpectedEOF
			}
			return "", err
		}
		if long != nil {
			frag = append(long, frag...)
		}
		frag = frag[:len(frag)-1]
		if n := len(frag); n > 0 && frag[n-1] == '\r' {
			frag = frag[:n-1]
		}
		return string(frag), nil
	}
}

// readHead reads and parses a request line and its header fields. Errors
// are a *headError for a request the server refuses, or the connection's
// read error (io.EOF when the client closed before a request).
func readHead(br *bufio.Reader) (*requestHead, error) {
	lr := &lineReader{br: br, left: maxHeaderBytes, tooBig: errHeadTooLarge}
	line, err := lr.line()
	// Empty lines before a request line are allowed (RFC 9112, 2.2): some
	// clients send a CRLF after a body.
	for err == nil && line == "" {
		line, err = lr.line()
	}
	if err != nil {
		return nil, err
	}
	h := &requestHead{length: -1}
	if err := h.parseRequestLine(line); err != nil {
		return nil, err
	}
	for {
		line, err := lr.line()
		if err != nil {
			return nil, err
		}
		if line == "" {
			break
		}
		if err := h.parseField(line); err != nil {
			return nil, err
		}
	}
	if h.chunked && h.length >= 0 {
		// A message framed two ways is a smuggling attempt or a broken
		// client (RFC 9112, 6.1); either way it cannot be trusted.
		return nil, badRequest("both Content-Length and Transfer-Encoding")
	}
	if h.length < 0 && !h.chunked {
		h.length = 0 // a request without framing has no body
	}
	if !h.hasBody() {
		h.expectContinue = false
	}
	return h, nil
}

// parseRequestLine parses "METHOD SP request-target SP HTTP-version".
func (h *requestHead) parseRequestLine(line string) error {
	method, rest, ok1 := strings.Cut(line, " ")
	target, proto, ok2 := strings.Cut(rest, " ")
	if !ok1 || !ok2 || !isToken(method) || target == "" {
		return badRequest("malformed request line")
	}
	switch proto {
	case "HTTP/1.1":
		h.minor = 1
	case "HTTP/1.0":
		h.minor = 0
	default:
		if len(proto) == 8 && strings.HasPrefix(proto, "HTTP/") && isDigit(proto[5]) && proto[6] == '.' && isDigit(proto[7]) {
			return &headError{StatusHTTPVersionNotSupported, proto + " is not served; use HTTP/1.1"}
		}
		return badRequest("malformed HTTP version")
	}
	path, err := targetPath(target)
	if err != nil {
		return err
	}
	h.method, h.path = method, path
	return nil
}

// targetPath returns the decoded path of a request target in origin form
// ("/v1/list?x") or absolute form ("http://rump/v1/list"), and "*" for
// asterisk form; the query is dropped. Authority form (CONNECT's) is
// refused.
func targetPath(target string) (string, error) {
	for i := 0; i < len(target); i++ {
		if c := target[i]; c <= ' ' || c == 0x7f {
			return "", badRequest("control character in request target")
		}
	}
	if target == "*" {
		return target, nil
	}
	if !strings.HasPrefix(target, "/") {
		rest, ok := cutSchemeHTTP(target)
		if !ok {
			return "", badRequest("request target is neither a path nor an http URL")
		}
		i := strings.IndexAny(rest, "/?")
		if i < 0 || rest[i] == '?' {
			return "/", nil
		}
		target = rest[i:]
	}
	target, _, _ = strings.Cut(target, "?")
	path, err := url.PathUnescape(target)
	if err != nil {
		return "", badRequest("bad percent-encoding in request target")
	}
	return path, nil
}

// cutSchemeHTTP removes a leading "http://" or "https://", whatever the
// case of the scheme.
func cutSchemeHTTP(s string) (string, bool) {
	for _, scheme := range []string{"http://", "https://"} {
		if len(s) >= len(scheme) && strings.EqualFold(s[:len(scheme)], scheme) {
			return s[len(scheme):], true
		}
	}
	return s, false
}

// parseField parses one "name: value" header field and notes the ones the
// server acts on.
func (h *requestHead) parseField(line string) error {
	name, value, ok := strings.Cut(line, ":")
	// A name must be a token: this also refuses whitespace before the colon
	// and obsolete line folding (RFC 9112, 5.1 and 5.2).
	if !ok || !isToken(name) {
		return badRequest("malformed header field")
	}
	value = strings.Trim(value, " \t")
	if !isFieldValue(value) {
		return badRequest("control character in header field " + name)
	}
	switch {
	case strings.EqualFold(name, "Content-Length"):
		n, err := parseContentLength(value)
		if err != nil {
			return err
		}
		if h.length >= 0 && h.length != n {
			return badRequest("conflicting Content-Length fields")
		}
		h.length = n
	case strings.EqualFold(name, "Transfer-Encoding"):
		if h.chunked {
			return badRequest("more than one Transfer-Encoding field")
		}
		if !strings.EqualFold(value, "chunked") {
			return &headError{StatusNotImplemented, "transfer coding " + strconv.Quote(value) + " is not served; only chunked is"}
		}
		h.chunked = true
	case strings.EqualFold(name, "Connection"):
		for _, opt := range strings.Split(value, ",") {
			opt = strings.Trim(opt, " \t")
			h.connClose = h.connClose || strings.EqualFold(opt, "close")
			h.connKeepAlive = h.connKeepAlive || strings.EqualFold(opt, "keep-alive")
		}
	case strings.EqualFold(name, "Upgrade"):
		h.upgrade = value
	case strings.EqualFold(name, "Expect"):
		if !strings.EqualFold(value, "100-continue") {
			return &headError{StatusExpectationFailed, "only the expectation 100-continue is met"}
		}
		// An HTTP/1.0 client cannot take a 100 reply (RFC 9110, 10.1.1).
		h.expectContinue = h.minor == 1
	}
	return nil
}

func parseContentLength(v string) (int64, error) {
	// Only digits: no sign, no list of values, no more than an int64 holds.
	if v == "" || len(v) > 18 {
		return 0, badRequest("bad Content-Length")
	}
	for i := 0; i < len(v); i++ {
		if !isDigit(v[i]) {
			return 0, badRequest("bad Content-Length")
		}
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, badRequest("bad Content-Length")
	}
	return n, nil
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// isToken reports whether s is an HTTP token (RFC 9110, 5.6.2): a method or
// a field name.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || isDigit(c) {
			continue
		}
		if !strings.ContainsRune("!#$%&'*+-.^_`|~", rune(c)) {
			return false
		}
	}
	return true
}

// isFieldValue reports whether s has no control characters but tabs
// (RFC 9110, 5.5); a bare CR could otherwise end the line for one reader
// and not for another.
func isFieldValue(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < ' ' && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}

// ---- Reading a request body ----

// errBadChunk is a chunked body that does not follow the chunked coding.
var errBadChunk = errors.New("malformed chunked body")

// errTrailerTooLarge is a chunked body whose trailer fields exceed
// maxHeaderBytes.
var errTrailerTooLarge = errors.New("chunked body trailer over 16 KiB")

// body is a request body as it arrives on the connection: Content-Length
// bytes, or chunks. Before it first reads, it calls sendContinue (if set)
// to tell a client that waits for "100 Continue" to send the body.
type body struct {
	br           *bufio.Reader
	chunked      bool
	left         int64 // bytes left in the body, or in the current chunk
	inChunk      bool  // between a chunk's size line and the CRLF after its data
	done         bool  // the whole body (and trailer) has been read
	err          error // the first error, returned from then on
	sendContinue func() error
}

func newBody(br *bufio.Reader, h *requestHead, sendContinue func() error) *body {
	b := &body{br: br, chunked: h.chunked, done: !h.hasBody()}
	if !h.chunked {
		b.left = h.length
	}
	if h.expectContinue {
		b.sendContinue = sendContinue
	}
	return b
}

func (b *body) Read(p []byte) (int, error) {
	if b.done {
		return 0, io.EOF
	}
	if b.err != nil {
		return 0, b.err
	}
	if b.sendContinue != nil {
		send := b.sendContinue
		b.sendContinue = nil
		if err := send(); err != nil {
			b.err = err
			return 0, err
		}
	}
	var n int
	var err error
	if b.chunked {
		n, err = b.readChunked(p)
	} else {
		n, err = b.readData(p)
		b.done = b.left == 0
	}
	if err != nil && err != io.EOF {
		b.err = err
	}
	return n, err
}

// readData reads from the current chunk or the Content-Length body.
func (b *body) readData(p []byte) (int, error) {
	if b.left == 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.br.Read(p)
	b.left -= int64(n)
	if n > 0 {
		// An error with data comes back on the next read.
		return n, nil
	}
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return n, err
}

func (b *body) readChunked(p []byte) (int, error) {
	if b.left == 0 {
		if b.inChunk {
			if err := b.chunkEnd(); err != nil {
				return 0, err
			}
			b.inChunk = false
		}
		size, err := b.chunkSize()
		if err != nil {
			return 0, err
		}
		if size == 0 {
			if err := b.trailer(); err != nil {
				return 0, err
			}
			b.done = true
			return 0, io.EOF
		}
		b.left, b.inChunk = size, true
	}
	return b.readData(p)
}

func (b *body) chunkLine() (string, error) {
	lr := &lineReader{br: b.br, left: maxChunkLine, tooBig: errBadChunk}
	line, err := lr.line()
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return line, err
}

// chunkSize reads a chunk-size line: hex digits, then optional extensions,
// which are ignored.
func (b *body) chunkSize() (int64, error) {
	line, err := b.chunkLine()
	if err != nil {
		return 0, err
	}
	digits, _, _ := strings.Cut(line, ";")
	digits = strings.TrimRight(digits, " \t")
	if digits == "" || len(digits) > 15 {
		return 0, errBadChunk
	}
	n, err := strconv.ParseInt(digits, 16, 64)
	if err != nil || strings.HasPrefix(digits, "+") || strings.HasPrefix(digits, "-") {
		return 0, errBadChunk
	}
	return n, nil
}

// chunkEnd reads the line end after a chunk's data.
func (b *body) chunkEnd() error {
	line, err := b.chunkLine()
	if err != nil {
		return err
	}
	if line != "" {
		return errBadChunk
	}
	return nil
}

// trailer reads the header fields after the last chunk, up to an empty line;
// the server has no use for them.
func (b *body) trailer() error {
	lr := &lineReader{br: b.br, left: maxHeaderBytes, tooBig: errTrailerTooLarge}
	for {
		line, err := lr.line()
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		if err != nil {
			return err
		}
		if line == "" {
			return nil
		}
		if name, _, ok := strings.Cut(line, ":"); !ok || !isToken(name) {
			return errBadChunk
		}
	}
}
