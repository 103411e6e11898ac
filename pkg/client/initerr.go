package client

// Why a tool could not reach its kernel, in the one wording every tool
// prints. A person with several kernels needs to know which socket failed
// and what to do about it, so the message names the URL, keeps NetBSD's
// "rump client init" and strerror (what scripts and the man pages match),
// and adds in parentheses the likely cause for the errnos a person meets:
//
//	RUMP_SERVER not set
//	rump client init: unix:///tmp/k1: No such file or directory (no such socket: is rump_server running?)
//	rump client init: unix:///tmp/k1: Connection refused (stale socket: no rump_server is listening)
//	rump client init: unix:///tmp/k1: Socket operation on non-socket
//	rump client init: unix:///tmp/k1: Permission denied (run as the user who started rump_server, or as root)
//	rump client init: x: Invalid argument (want unix://path)

import (
	"errors"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"syscall"

	"github.com/rumpnet/rumpnet/pkg/api"
)

// InitError is returned when the client cannot reach its server at all (no
// URL, bad URL, nothing listening): NetBSD's "rump client init" failure.
// Its Error is the whole message a tool prints after its name.
type InitError struct {
	// URL is the server that could not be reached, "" if unknown.
	URL string
	// Err is the cause; it unwraps to an errno.
	Err error
	// Hint says in a few words what is wrong, "" for nothing more than
	// strerror.
	Hint string
}

// Error returns "rump client init: URL: strerror (hint)", or the cause's
// own sentence when it is an *api.Explained ("RUMP_SERVER not set").
func (e *InitError) Error() string {
	var ex *api.Explained
	if errors.As(e.Err, &ex) {
		return ex.Msg
	}
	var b strings.Builder
	b.WriteString("rump client init: ")
	if e.URL != "" {
		b.WriteString(e.URL + ": ")
	}
	var errno syscall.Errno
	if errors.As(e.Err, &errno) {
		b.WriteString(api.Strerror(errno))
	} else {
		b.WriteString(e.Err.Error())
	}
	if e.Hint != "" {
		b.WriteString(" (" + e.Hint + ")")
	}
	return b.String()
}

// Unwrap returns the cause, which unwraps to an errno.
func (e *InitError) Unwrap() error { return e.Err }

// errNotSet is the failure of a client with no URL and no RUMP_SERVER.
func errNotSet() *InitError {
	return &InitError{Err: api.Explainf(syscall.ENOENT, "%s not set", EnvServer)}
}

// urlError is the failure of a URL that api.SocketPath refused.
func urlError(u string, err error) *InitError {
	hint := ""
	var ae *api.Error
	if errors.As(err, &ae) {
		hint = strings.TrimPrefix(ae.Detail, "url "+strconv.Quote(u)+": ")
	}
	return &InitError{URL: u, Err: err, Hint: hint}
}

// dialFailure marks a failure to connect, as opposed to one later in an
// exchange: only the first says something about the socket file.
type dialFailure struct{ err error }

func (d *dialFailure) Error() string { return d.err.Error() }
func (d *dialFailure) Unwrap() error { return d.err }

// dialError is the failure to connect to url's socket at path.
func dialError(url, path string, err error) *InitError {
	errno := api.ErrnoOf(err)
	ie := &InitError{URL: url, Err: errno}
	switch errno {
	case syscall.ENOENT:
		ie.Hint = "no such socket: is rump_server running?"
	case syscall.ECONNREFUSED:
		// Linux refuses a connect to a file that is not a socket the
		// same way as to a socket nobody listens on.
		if fi, serr := os.Stat(path); serr == nil && fi.Mode().Type() != fs.ModeSocket {
			ie.Err = syscall.ENOTSOCK
			break
		}
		ie.Hint = "stale socket: no rump_server is listening"
	case syscall.EACCES:
		ie.Hint = "run as the user who started rump_server, or as root"
	}
	return ie
}

// Reachable checks without a round trip that url names a file that exists, for a program that connects later but should report
// a mistake in RUMP_SERVER at once. It returns an *InitError or nil.
func Reachable(url string) error {
	if url == "" {
		return errNotSet()
	}
	path, err := api.SocketPath(url)
	if err != nil {
		return urlError(url, err)
	}
	if _, err := os.Stat(path); err != nil {
		return dialError(url, path, err)
	}
	return nil
}
