package client

// The connection of one request and its reply (Client.do): a blocking Unix
// socket bounded by one deadline, which the kernel enforces per call
// through SO_SNDTIMEO and SO_RCVTIMEO. A tool makes one or two requests in
// its whole run; on a net.Conn each would set up the runtime's network
// poller, a timer and a goroutine to cut the connection at the deadline,
// a measurable part of a tool's start (doc/performance.md, "A tool
// call"). Streams (stream.go) stay on net.Conn: they run until their
// context ends, which a blocking read cannot wait for.

import (
	"bufio"
	"errors"
	"io"
	"syscall"
	"time"
)

// unixConn is a blocking stream socket with a deadline; zero is none.
type unixConn struct {
	fd       int
	deadline time.Time
}

// dialUnix connects to the socket at path by deadline.
func dialUnix(path string, deadline time.Time) (*unixConn, error) {
	fd, err := syscall.Socket(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	c := &unixConn{fd: fd, deadline: deadline}
	// connect(2) on a Unix socket waits, if the listener's backlog is
	// full, as long as SO_SNDTIMEO allows.
	err = c.retry(syscall.SO_SNDTIMEO, func() error {
		return syscall.Connect(fd, &syscall.SockaddrUnix{Name: path})
	})
	if err != nil {
		syscall.Close(fd)
		return nil, err
	}
	return c, nil
}

// retry runs op until it does not fail with EINTR (a socket call with a
// timeout is not restarted after a signal, and the Go runtime sends
// itself signals), with the time left until the deadline as the socket's
// timeout opt. The deadline passing, or the kernel's timeout, is
// errNoReply.
func (c *unixConn) retry(opt int, op func() error) error {
	for {
		if !c.deadline.IsZero() {
			left := time.Until(c.deadline)
			if left <= 0 {
				return errNoReply
			}
			// A timeval of zero means none: wait at least a microsecond.
			tv := syscall.NsecToTimeval(max(left.Nanoseconds(), 1000))
			if err := syscall.SetsockoptTimeval(c.fd, syscall.SOL_SOCKET, opt, &tv); err != nil {
				return err
			}
		}
		err := op()
		switch err {
		case syscall.EINTR:
			continue
		case syscall.EAGAIN, syscall.EINPROGRESS:
			return errNoReply
		}
		return err
	}
}

func (c *unixConn) Read(p []byte) (int, error) {
	var n int
	err := c.retry(syscall.SO_RCVTIMEO, func() (err error) {
		n, err = syscall.Read(c.fd, p)
		return err
	})
	switch {
	case err != nil:
		return 0, err
	case n == 0 && len(p) > 0:
		return 0, io.EOF
	}
	return n, nil
}

func (c *unixConn) Write(p []byte) (int, error) {
	done := 0
	for done < len(p) {
		var n int
		err := c.retry(syscall.SO_SNDTIMEO, func() (err error) {
			n, err = syscall.Write(c.fd, p[done:])
			return err
		})
		if err != nil {
			return done, err
		}
		done += n
	}
	return done, nil
}

func (c *unixConn) Close() error { return syscall.Close(c.fd) }

// exchange sends one request on a new blocking connection to the server at
// path and reads the reply's head; closing the reply's body closes the
// connection. The deadline bounds everything up to the end of the body: a
// call after it fails with errNoReply.
func exchange(path, method, target string, body []byte, deadline time.Time) (*reply, error) {
	c, err := dialUnix(path, deadline)
	if err != nil {
		if errors.Is(err, errNoReply) {
			return nil, err
		}
		return nil, &dialFailure{err}
	}
	if _, err := c.Write(request(method, target, body)); err != nil {
		c.Close()
		return nil, err
	}
	r, err := readReply(bufio.NewReaderSize(c, 4096))
	if err != nil {
		c.Close()
		return nil, err
	}
	r.body = struct {
		io.Reader
		io.Closer
	}{r.body, c}
	return r, nil
}
