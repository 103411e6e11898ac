package http1

// Serving a connection: one goroutine reads a request, hands it to the
// handler and writes the reply, then the next request. Every read and write
// has a deadline (the Server's HeaderTimeout, RequestTimeout, IdleTimeout
// and WriteTimeout); the parsing is in parse.go.
//
// A handler answers through its ResponseWriter in one of three ways: a
// whole reply (Reply), a stream whose parts are sent as they are written
// (Stream), or a switch to another protocol (Upgrade), after which the
// connection is the handler's until it returns.

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"runtime/debug"
	"strconv"
	"sync/atomic"
	"time"
)

// ---- Serving connections ----

// connPanics counts the panics recovered while serving connections; tests
// (the fuzz targets) check that it stays at zero.
var connPanics atomic.Int64

// conn is one client connection.
type conn struct {
	s    *Server
	nc   net.Conn
	br   *bufio.Reader
	bw   *bufio.Writer
	peer Peer
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
			connPanics.Add(1)
			fmt.Fprintf(os.Stderr, "http1: panic serving a connection: %v\n%s", r, debug.Stack())
		}
	}()
	c.br = bufio.NewReaderSize(c.nc, connBufferSize)
	c.bw = bufio.NewWriterSize(c.nc, connBufferSize)
	// The first request's clock starts with the connection.
	start := time.Now()
	c.nc.SetReadDeadline(start.Add(c.s.headerTimeout()))
	for first := true; ; first = false {
		if !first {
			if !c.s.setIdle(c, true) {
				return
			}
			c.nc.SetReadDeadline(time.Now().Add(c.s.idleTimeout()))
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
			c.nc.SetReadDeadline(start.Add(c.s.headerTimeout()))
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
	c.nc.SetReadDeadline(start.Add(c.s.requestTimeout()))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	w := &ResponseWriter{c: c, head: h, cancel: cancel}
	w.body = newBody(c.br, h, w.sendContinue)
	c.s.Handler.ServeHTTP1(w, &Request{Method: h.method, Path: h.path, Minor: h.minor, Upgrade: h.upgrade,
		ContentLength: h.length, Body: w.body, Peer: c.peer, ctx: ctx})
	if !w.wrote {
		w.Reply(StatusInternalServerError, plainContentType, []byte("500 Internal Server Error: no reply\n"))
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
	c.bw.WriteString("HTTP/1.1 " + strconv.Itoa(he.status) + " " + StatusText(he.status) + "\r\n" +
		"Content-Type: " + plainContentType + "\r\n" +
		"Content-Length: " + strconv.Itoa(len(msg)) + "\r\n" +
		"Connection: close\r\n\r\n" + msg)
	c.flush()
}

// startWrite gives the reply about to be written its deadline. It comes
// before the first byte, as a large body goes out before the flush.
func (c *conn) startWrite() {
	c.nc.SetWriteDeadline(time.Now().Add(c.s.writeTimeout()))
}

// flush sends what is buffered within writeTimeout.
func (c *conn) flush() error {
	c.startWrite()
	return c.bw.Flush()
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

// ResponseWriter answers one request on a connection. Only the first of
// Reply, Stream and Upgrade counts; the later ones do nothing.
type ResponseWriter struct {
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
func (w *ResponseWriter) sendContinue() error {
	if w.wrote {
		return nil // too late: a final reply is out
	}
	w.c.bw.WriteString("HTTP/1.1 100 Continue\r\n\r\n")
	return w.c.flush()
}

// writeHead writes the status line and the fields every reply has.
func (w *ResponseWriter) writeHead(status int, contentType string) {
	proto := "HTTP/1.1 "
	if w.head.minor == 0 {
		proto = "HTTP/1.0 "
	}
	bw := w.c.bw
	bw.WriteString(proto + strconv.Itoa(status) + " " + StatusText(status) + "\r\n")
	bw.WriteString("Content-Type: " + contentType + "\r\n")
	var date [64]byte
	bw.WriteString("Date: ")
	bw.Write(time.Now().UTC().AppendFormat(date[:0], "Mon, 02 Jan 2006 15:04:05 GMT"))
	bw.WriteString("\r\n")
}

// Reply sends a whole reply, with a Content-Length (and no body for a
// HEAD request).
func (w *ResponseWriter) Reply(status int, contentType string, data []byte) {
	if w.wrote {
		return
	}
	w.wrote = true
	w.c.startWrite()
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
	w.err = w.c.flush()
}

// Stream sends the status line and header of a reply whose body follows in
// parts: each write to the returned writer is sent at once (as a chunk for
// HTTP/1.1). A write fails, and the request's context is cancelled, when
// the client goes away or stops reading. The connection ends with the
// stream.
func (w *ResponseWriter) Stream(status int, contentType string) io.Writer {
	if w.wrote {
		return io.Discard
	}
	w.wrote, w.streaming, w.close = true, true, true
	w.c.startWrite()
	w.writeHead(status, contentType)
	if w.head.minor == 1 {
		w.c.bw.WriteString("Transfer-Encoding: chunked\r\n")
	}
	w.c.bw.WriteString("Connection: close\r\n\r\n")
	w.err = w.c.flush()
	w.c.watchClient(w.cancel)
	return streamWriter{w}
}

// endStream ends a stream, closes the connection and waits for the
// goroutine that watched the client.
func (w *ResponseWriter) endStream() {
	if w.err == nil && w.head.minor == 1 {
		w.c.bw.WriteString("0\r\n\r\n")
		w.c.flush()
	}
	w.c.nc.Close()
	<-w.c.watched
}

// streamWriter sends each write at once, as a chunk of its own for HTTP/1.1.
type streamWriter struct{ w *ResponseWriter }

func (sw streamWriter) Write(p []byte) (int, error) {
	w := sw.w
	if w.err != nil {
		return 0, w.err
	}
	if len(p) == 0 {
		return 0, nil // an empty chunk would end the stream
	}
	bw := w.c.bw
	w.c.startWrite()
	if w.head.minor == 1 {
		bw.WriteString(strconv.FormatInt(int64(len(p)), 16) + "\r\n")
		bw.Write(p)
		bw.WriteString("\r\n")
	} else {
		bw.Write(p)
	}
	if err := w.c.flush(); err != nil {
		// The client is gone or does not read: stop what is producing
		// the stream.
		w.err = err
		w.cancel()
		return 0, err
	}
	return len(p), nil
}

// ErrUpgradeData is Upgrade's error when the client sent bytes after the
// request before the switch: they were read into the server's buffer, and
// whatever came with them (descriptors, on a Unix socket) is lost, so the
// client must wait for 101 before it speaks the new protocol.
var ErrUpgradeData = errors.New("data before 101 Switching Protocols")

// ErrServerClosed is Upgrade's error when the server shuts down as the
// connection switches.
var ErrServerClosed = errors.New("server closed")

// errUpgraded marks a response whose connection was upgraded: it is not
// kept alive and not lingered on.
var errUpgraded = errors.New("connection upgraded")

// Upgrade switches the connection to another protocol and hands it to the
// handler, which owns it until it returns; the connection is then closed.
// check, when not nil, vets the connection first: its error comes back
// with nothing sent, and so does ErrUpgradeData, and the handler may then
// reply as usual. Otherwise Upgrade answers "101 Switching Protocols" with
// "Upgrade: protocol" and clears the connection's deadlines, as the new
// protocol is long-lived. The connection then counts as idle: Shutdown
// closes it rather than wait for it (ErrServerClosed when that is already
// under way). An error after the 101 (a failed write) leaves nothing for
// the handler to do but return.
func (w *ResponseWriter) Upgrade(protocol string, check func(net.Conn) error) (net.Conn, error) {
	if w.wrote {
		return nil, errors.New("upgrade after a reply")
	}
	c := w.c
	if check != nil {
		if err := check(c.nc); err != nil {
			return nil, err
		}
	}
	if c.br.Buffered() > 0 {
		return nil, ErrUpgradeData
	}
	w.wrote, w.close, w.err = true, true, errUpgraded
	c.bw.WriteString("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: " + protocol + "\r\n\r\n")
	if err := c.bw.Flush(); err != nil {
		return nil, err
	}
	c.nc.SetDeadline(time.Time{})
	if !c.s.setIdle(c, true) {
		return nil, ErrServerClosed
	}
	return c.nc, nil
}
