package ctlserver

// The control socket's HTTP/1.1 server. The control interface needs only a
// small part of HTTP, and a server of its own keeps a general-purpose HTTP
// library (with TLS and HTTP/2) out of every rump_server process, which
// saves megabytes of resident memory per kernel.
//
// What it serves: request targets in origin form (absolute form is
// accepted, its host ignored; a query is dropped), request bodies by
// Content-Length or chunked transfer coding, "Expect: 100-continue",
// keep-alive (the default for HTTP/1.1, on request for HTTP/1.0) and
// pipelined requests. Replies carry a Content-Length; a stream (a ping) is
// chunked for HTTP/1.1 and delimited by the end of the connection for
// HTTP/1.0, and the connection is closed after it.
//
// What it refuses, with a plain-text reply and the connection closed:
// anything it cannot parse (400), transfer codings other than chunked
// (501), expectations other than 100-continue (417), HTTP versions other
// than 1.0 and 1.1 (505) and request heads over maxHeaderBytes (431). It
// speaks neither TLS nor HTTP/2 and does not upgrade.
//
// Each connection is served by one goroutine, one request after the other.
// While a stream runs, a second goroutine reads the connection so that the
// stream stops when the client hangs up.

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"time"
)

// Timeouts of a connection. They are variables so that tests can shorten
// them; a server takes their values when it is made.
var (
	// headerTimeout bounds the time from the start of a request (of the
	// connection, for its first request) to the end of the request's head.
	headerTimeout = 5 * time.Second
	// requestTimeout bounds the time from the start of a request to the end
	// of its body.
	requestTimeout = 10 * time.Second
	// idleTimeout is how long a kept-alive connection waits for its next
	// request.
	idleTimeout = 10 * time.Second
)

const (
	// maxHeaderBytes limits a request's line and header fields together,
	// line ends included, and separately the trailer of a chunked body.
	maxHeaderBytes = 16 << 10
	// maxChunkLine limits a chunk-size line, chunk extensions included.
	maxChunkLine = 4 << 10
	// connBufferSize is the size of a connection's read and write buffers.
	connBufferSize = 4 << 10
	// plainContentType is the type of the replies that come from the HTTP
	// layer rather than from rumpnet.
	plainContentType = "text/plain; charset=utf-8"
)

// HTTP status codes the server sends.
const (
	statusOK                      = 200
	statusBadRequest              = 400
	statusForbidden               = 403
	statusNotFound                = 404
	statusMethodNotAllowed        = 405
	statusConflict                = 409
	statusRequestEntityTooLarge   = 413
	statusExpectationFailed       = 417
	statusHeaderFieldsTooLarge    = 431
	statusInternalServerError     = 500
	statusNotImplemented          = 501
	statusHTTPVersionNotSupported = 505
)

func statusText(code int) string {
	switch code {
	case statusOK:
		return "OK"
	case statusBadRequest:
		return "Bad Request"
	case statusForbidden:
		return "Forbidden"
	case statusNotFound:
		return "Not Found"
	case statusMethodNotAllowed:
		return "Method Not Allowed"
	case statusConflict:
		return "Conflict"
	case statusRequestEntityTooLarge:
		return "Request Entity Too Large"
	case statusExpectationFailed:
		return "Expectation Failed"
	case statusHeaderFieldsTooLarge:
		return "Request Header Fields Too Large"
	case statusInternalServerError:
		return "Internal Server Error"
	case statusNotImplemented:
		return "Not Implemented"
	case statusHTTPVersionNotSupported:
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
	upgrade        string // Upgrade, which only a socket session uses (socket.go)
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

func (e *headError) Error() string { return statusText(e.status) + ": " + e.reason }

func badRequest(reason string) error { return &headError{statusBadRequest, reason} }

var errHeadTooLarge = &headError{statusHeaderFieldsTooLarge, "request line and header fields over 16 KiB"}

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
			return &headError{statusHTTPVersionNotSupported, proto + " is not served; use HTTP/1.1"}
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
			return &headError{statusNotImplemented, "transfer coding " + strconv.Quote(value) + " is not served; only chunked is"}
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
			return &headError{statusExpectationFailed, "only the expectation 100-continue is met"}
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

// ---- Serving connections ----

// conn is one client connection.
type conn struct {
	s    *Server
	nc   net.Conn
	br   *bufio.Reader
	bw   *bufio.Writer
	peer peer
	idle bool // waiting for a request; guarded by s.mu

	// watched is closed when the goroutine that watches a stream's client
	// has ended; nil when there is none.
	watched chan struct{}
}

// serve answers the connection's requests until one of the two sides ends
// it, then closes it.
func (c *conn) serve() {
	defer c.s.forget(c)
	defer c.nc.Close()
	defer func() {
		// A bug in a handler ends its connection, not the server with all
		// its interfaces.
		if r := recover(); r != nil {
			fmt.Fprintf(os.Stderr, "ctlserver: panic serving a control connection: %v\n%s", r, debug.Stack())
		}
	}()
	c.peer = peerOf(c.nc)
	c.br = bufio.NewReaderSize(c.nc, connBufferSize)
	c.bw = bufio.NewWriterSize(c.nc, connBufferSize)
	// The first request's clock starts with the connection.
	start := time.Now()
	c.nc.SetReadDeadline(start.Add(c.s.headerTimeout))
	for first := true; ; first = false {
		if !first {
			if !c.s.setIdle(c, true) {
				return
			}
			c.nc.SetReadDeadline(time.Now().Add(c.s.idleTimeout))
		}
		// Until its first byte arrives, a request has not started: the
		// connection stays idle, and Shutdown may close it.
		if _, err := c.br.Peek(1); err != nil {
			return
		}
		if !c.s.setIdle(c, false) {
			return
		}
		if !first {
			start = time.Now()
			c.nc.SetReadDeadline(start.Add(c.s.headerTimeout))
		}
		if !c.serveRequest(start) {
			return
		}
	}
}

// serveRequest reads one request and answers it. It reports whether the
// connection can take another request.
func (c *conn) serveRequest(start time.Time) (keepAlive bool) {
	h, err := readHead(c.br)
	if err != nil {
		// A client that hangs up or stalls within the head gets no reply.
		var he *headError
		if errors.As(err, &he) {
			c.refuse(he)
		}
		return false
	}
	c.nc.SetReadDeadline(start.Add(c.s.requestTimeout))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	w := &response{c: c, head: h, cancel: cancel}
	w.body = newBody(c.br, h, w.sendContinue)
	c.s.handle(w, &request{method: h.method, path: h.path, peer: c.peer, ctx: ctx, body: w.body, length: h.length})
	if !w.wrote {
		w.reply(statusInternalServerError, plainContentType, []byte("500 Internal Server Error: no reply\n"))
	}
	if w.streaming {
		w.endStream()
		return false
	}
	// A client still waiting for "100 Continue" sends no body: nothing to
	// linger for.
	if w.err == nil && !w.body.done && w.body.sendContinue == nil {
		c.linger()
	}
	return w.err == nil && !w.close
}

// Lingering: a reply sent before the request's body was read (a body over
// the limit, say) closes the connection, but a client that is still
// writing the body would then get EPIPE or a reset instead of reading the
// reply. So the server stops writing and reads on, dropping what comes,
// until the client closes or a limit passes.
const (
	lingerBytes = 256 << 10
	lingerTime  = time.Second
)

func (c *conn) linger() {
	if cw, ok := c.nc.(interface{ CloseWrite() error }); ok {
		cw.CloseWrite()
	}
	c.nc.SetReadDeadline(time.Now().Add(lingerTime))
	io.Copy(io.Discard, io.LimitReader(c.br, lingerBytes))
}

// refuse answers a request head the server will not serve, and the
// connection is then closed.
func (c *conn) refuse(he *headError) {
	msg := he.Error() + "\n"
	c.bw.WriteString("HTTP/1.1 " + strconv.Itoa(he.status) + " " + statusText(he.status) + "\r\n" +
		"Content-Type: " + plainContentType + "\r\n" +
		"Content-Length: " + strconv.Itoa(len(msg)) + "\r\n" +
		"Connection: close\r\n\r\n" + msg)
	c.bw.Flush()
}

// watchClient reads the connection while a stream runs: the stream's
// context is cancelled when the client closes its end or the connection
// fails. Whatever the client sends meanwhile is dropped, as the connection
// ends with the stream.
func (c *conn) watchClient(cancel context.CancelFunc) {
	c.nc.SetReadDeadline(time.Time{})
	c.watched = make(chan struct{})
	go func() {
		defer close(c.watched)
		defer cancel()
		io.Copy(io.Discard, c.br)
	}()
}

// ---- Writing replies ----

// response is the replier of one request on a connection.
type response struct {
	c         *conn
	head      *requestHead
	body      *body
	cancel    context.CancelFunc // ends the request's context
	wrote     bool               // the status line has been written
	streaming bool
	close     bool  // the connection ends after the reply
	err       error // the first write error: the client is gone
}

// sendContinue tells a client that waits before sending its body to go on.
func (w *response) sendContinue() error {
	if w.wrote {
		return nil // too late: a final reply is out
	}
	w.c.bw.WriteString("HTTP/1.1 100 Continue\r\n\r\n")
	return w.c.bw.Flush()
}

// writeHead writes the status line and the fields every reply has.
func (w *response) writeHead(status int, contentType string) {
	proto := "HTTP/1.1 "
	if w.head.minor == 0 {
		proto = "HTTP/1.0 "
	}
	bw := w.c.bw
	bw.WriteString(proto + strconv.Itoa(status) + " " + statusText(status) + "\r\n")
	bw.WriteString("Content-Type: " + contentType + "\r\n")
	var date [64]byte
	bw.WriteString("Date: ")
	bw.Write(time.Now().UTC().AppendFormat(date[:0], "Mon, 02 Jan 2006 15:04:05 GMT"))
	bw.WriteString("\r\n")
}

func (w *response) reply(status int, contentType string, data []byte) {
	if w.wrote {
		return
	}
	w.wrote = true
	// The connection can carry another request only if the client wants it
	// to and this one's body has been read to its end: what is left of an
	// unread body cannot be told from the next request.
	w.close = w.head.wantsClose() || !w.body.done || w.c.s.closing()
	w.writeHead(status, contentType)
	bw := w.c.bw
	bw.WriteString("Content-Length: " + strconv.Itoa(len(data)) + "\r\n")
	switch {
	case w.close:
		bw.WriteString("Connection: close\r\n")
	case w.head.minor == 0:
		bw.WriteString("Connection: keep-alive\r\n")
	}
	bw.WriteString("\r\n")
	if w.head.method != "HEAD" {
		bw.Write(data)
	}
	w.err = bw.Flush()
}

func (w *response) stream(status int, contentType string) io.Writer {
	if w.wrote {
		return io.Discard
	}
	w.wrote, w.streaming, w.close = true, true, true
	w.writeHead(status, contentType)
	if w.head.minor == 1 {
		w.c.bw.WriteString("Transfer-Encoding: chunked\r\n")
	}
	w.c.bw.WriteString("Connection: close\r\n\r\n")
	w.err = w.c.bw.Flush()
	w.c.watchClient(w.cancel)
	return streamWriter{w}
}

// endStream ends a stream, closes the connection and waits for the
// goroutine that watched the client.
func (w *response) endStream() {
	if w.err == nil && w.head.minor == 1 {
		w.c.bw.WriteString("0\r\n\r\n")
		w.c.bw.Flush()
	}
	w.c.nc.Close()
	<-w.c.watched
}

// streamWriter sends each write at once, as a chunk of its own for HTTP/1.1.
type streamWriter struct{ w *response }

func (sw streamWriter) Write(p []byte) (int, error) {
	w := sw.w
	if w.err != nil {
		return 0, w.err
	}
	if len(p) == 0 {
		return 0, nil // an empty chunk would end the stream
	}
	bw := w.c.bw
	if w.head.minor == 1 {
		bw.WriteString(strconv.FormatInt(int64(len(p)), 16) + "\r\n")
		bw.Write(p)
		bw.WriteString("\r\n")
	} else {
		bw.Write(p)
	}
	if err := bw.Flush(); err != nil {
		// The client is gone: stop what is producing the stream.
		w.err = err
		w.cancel()
		return 0, err
	}
	return len(p), nil
}
