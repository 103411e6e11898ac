package client

// The control interface's HTTP/1.1 as the client speaks it: one request
// per connection (Connection: close), its body sent with a Content-Length,
// and a reply whose body has a Content-Length, is chunked (a stream such as
// ping's) or runs to the end of the connection. This is all the client
// needs of HTTP; net/http would link TLS, HTTP/2 and MIME into every tool,
// and each run of a tool would pay for their initialisation.

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"strconv"
	"strings"
	"time"
)

// maxHead bounds a reply's status line and header fields.
const maxHead = 64 << 10

// reply is the head of a reply and its body.
type reply struct {
	code   int
	status string        // "404 Not Found"
	body   io.ReadCloser // closing it closes the connection
}

// errMalformed is the cause of a reply that is not HTTP/1.x.
var errMalformed = errors.New("malformed HTTP reply")

// roundTrip sends one request on a new connection to the server at path
// and reads the reply's head. The end of ctx cuts the connection: the
// exchange, and the reading of the body, then fail with ctx's error.
func roundTrip(ctx context.Context, sockPath, method, target string, body []byte) (*reply, error) {
	var d net.Dialer
	nc, err := d.DialContext(ctx, "unix", sockPath)
	if err != nil {
		return nil, &dialFailure{err}
	}
	stop := context.AfterFunc(ctx, func() { nc.SetDeadline(time.Unix(1, 0)) })
	br := bufio.NewReaderSize(nc, 4096)
	r, err := func() (*reply, error) {
		if _, err := nc.Write(request(method, target, body)); err != nil {
			return nil, err
		}
		return readReply(br)
	}()
	if err != nil {
		stop()
		nc.Close()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, err
	}
	r.body = &replyBody{r: r.body, nc: nc, ctx: ctx, stop: stop}
	return r, nil
}

// request is the request line, header and body of one request.
func request(method, target string, body []byte) []byte {
	head := method + " " + target + " HTTP/1.1\r\nHost: rump\r\n"
	if body != nil || method != "GET" {
		head += "Content-Length: " + strconv.Itoa(len(body)) + "\r\n"
	}
	return append([]byte(head+"Connection: close\r\n\r\n"), body...)
}

// readReply reads a reply's head; its body reads from br.
func readReply(br *bufio.Reader) (*reply, error) {
	left := maxHead
	line := func() (string, error) {
		s, err := br.ReadSlice('\n')
		left -= len(s)
		if err == bufio.ErrBufferFull || left < 0 {
			return "", errors.New("reply head too long")
		}
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return "", err
		}
		return strings.TrimRight(string(s), "\r\n"), nil
	}
	l, err := line()
	if err != nil {
		return nil, err
	}
	proto, status, _ := strings.Cut(l, " ")
	code, err := strconv.Atoi(status[:min(3, len(status))])
	if (proto != "HTTP/1.1" && proto != "HTTP/1.0") || err != nil || len(status) < 3 || code < 100 {
		return nil, errMalformed
	}
	length, chunked := int64(-1), false
	for {
		l, err := line()
		if err != nil {
			return nil, err
		}
		if l == "" {
			break
		}
		name, v, ok := strings.Cut(l, ":")
		if !ok {
			return nil, errMalformed
		}
		v = strings.TrimSpace(v)
		switch {
		case strings.EqualFold(name, "Content-Length"):
			if length, err = strconv.ParseInt(v, 10, 64); err != nil || length < 0 {
				return nil, errMalformed
			}
		case strings.EqualFold(name, "Transfer-Encoding"):
			if !strings.EqualFold(v, "chunked") {
				return nil, errMalformed
			}
			chunked = true
		}
	}
	r := &reply{code: code, status: status}
	switch {
	case chunked:
		r.body = io.NopCloser(&chunkedReader{br: br})
	case length >= 0:
		r.body = io.NopCloser(io.LimitReader(br, length))
	default:
		r.body = io.NopCloser(br)
	}
	return r, nil
}

// replyBody is a reply's body on its connection.
type replyBody struct {
	r    io.Reader
	nc   net.Conn
	ctx  context.Context
	stop func() bool
}

func (b *replyBody) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if err != nil && err != io.EOF && b.ctx.Err() != nil {
		err = b.ctx.Err()
	}
	return n, err
}

func (b *replyBody) Close() error {
	b.stop()
	return b.nc.Close()
}

// chunkedReader reads a chunked body: chunks of "size in hex\r\n" and
// that many bytes and "\r\n", up to a chunk of size 0 and the trailer.
type chunkedReader struct {
	br   *bufio.Reader
	left int64 // of the current chunk
	err  error
}

func (c *chunkedReader) Read(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	if c.left == 0 {
		if c.err = c.next(); c.err != nil {
			return 0, c.err
		}
	}
	n, err := c.br.Read(p[:min(int64(len(p)), c.left)])
	c.left -= int64(n)
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	if err == nil && c.left == 0 {
		err = c.crlf()
	}
	c.err = err
	return n, err
}

// next reads the size of the next chunk, and the trailer after the last.
func (c *chunkedReader) next() error {
	l, err := c.line()
	if err != nil {
		return err
	}
	l, _, _ = strings.Cut(l, ";")
	size, err := strconv.ParseInt(strings.TrimSpace(l), 16, 64)
	if err != nil || size < 0 {
		return errors.New("bad chunk size")
	}
	if size > 0 {
		c.left = size
		return nil
	}
	for {
		l, err := c.line()
		if err != nil {
			return err
		}
		if l == "" {
			return io.EOF
		}
	}
}

// crlf reads the end of a chunk's data.
func (c *chunkedReader) crlf() error {
	l, err := c.line()
	if err == nil && l != "" {
		err = errors.New("chunk longer than its size")
	}
	return err
}

func (c *chunkedReader) line() (string, error) {
	s, err := c.br.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		return "", errors.New("chunk line too long")
	}
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	if err != nil {
		return "", err
	}
	return strings.TrimRight(string(s), "\r\n"), nil
}
