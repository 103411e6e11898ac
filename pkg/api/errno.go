package api

import (
	"errors"
	"fmt"
	"syscall"
)

// errnoInfo is one row of the errno table: the symbolic name that travels on
// the wire and the message NetBSD's strerror(3) prints for it.
type errnoInfo struct {
	errno syscall.Errno
	name  string
	text  string
}

// errnoTable lists the errnos the control interface uses. The texts are
// NetBSD's, which differ from Linux's in places (ENXIO is "Device not
// configured" on NetBSD, "No such device or address" on Linux).
var errnoTable = []errnoInfo{
	{syscall.EPERM, "EPERM", "Operation not permitted"},
	{syscall.ENOENT, "ENOENT", "No such file or directory"},
	{syscall.ESRCH, "ESRCH", "No such process"},
	{syscall.EIO, "EIO", "Input/output error"},
	{syscall.ENXIO, "ENXIO", "Device not configured"},
	{syscall.E2BIG, "E2BIG", "Argument list too long"},
	{syscall.EBADF, "EBADF", "Bad file descriptor"},
	{syscall.ENOMEM, "ENOMEM", "Cannot allocate memory"},
	{syscall.EACCES, "EACCES", "Permission denied"},
	{syscall.EFAULT, "EFAULT", "Bad address"},
	{syscall.EBUSY, "EBUSY", "Device busy"},
	{syscall.EEXIST, "EEXIST", "File exists"},
	{syscall.ENODEV, "ENODEV", "Operation not supported by device"},
	{syscall.ENOTDIR, "ENOTDIR", "Not a directory"},
	{syscall.EISDIR, "EISDIR", "Is a directory"},
	{syscall.EINVAL, "EINVAL", "Invalid argument"},
	{syscall.ENOTTY, "ENOTTY", "Inappropriate ioctl for device"},
	{syscall.ENOSPC, "ENOSPC", "No space left on device"},
	{syscall.EROFS, "EROFS", "Read-only file system"},
	{syscall.ERANGE, "ERANGE", "Result too large"},
	{syscall.EAGAIN, "EAGAIN", "Resource temporarily unavailable"},
	{syscall.ENOTSUP, "EOPNOTSUPP", "Operation not supported"},
	{syscall.EAFNOSUPPORT, "EAFNOSUPPORT", "Address family not supported by protocol family"},
	{syscall.EADDRINUSE, "EADDRINUSE", "Address already in use"},
	{syscall.EADDRNOTAVAIL, "EADDRNOTAVAIL", "Can't assign requested address"},
	{syscall.ENETDOWN, "ENETDOWN", "Network is down"},
	{syscall.ENETUNREACH, "ENETUNREACH", "Network is unreachable"},
	{syscall.ECONNREFUSED, "ECONNREFUSED", "Connection refused"},
	{syscall.ENAMETOOLONG, "ENAMETOOLONG", "File name too long"},
	{syscall.EHOSTUNREACH, "EHOSTUNREACH", "No route to host"},
	{syscall.ETIMEDOUT, "ETIMEDOUT", "Connection timed out"},
	{syscall.EMSGSIZE, "EMSGSIZE", "Message too long"},
	{syscall.EPROTO, "EPROTO", "Protocol error"},
	{syscall.EPROTONOSUPPORT, "EPROTONOSUPPORT", "Protocol not supported"},
	{syscall.ENOSYS, "ENOSYS", "Function not implemented"},
	{syscall.EMFILE, "EMFILE", "Too many open files"},
	{syscall.EPIPE, "EPIPE", "Broken pipe"},
	{syscall.EINPROGRESS, "EINPROGRESS", "Operation now in progress"},
	{syscall.EALREADY, "EALREADY", "Operation already in progress"},
	{syscall.EDESTADDRREQ, "EDESTADDRREQ", "Destination address required"},
	{syscall.ENOPROTOOPT, "ENOPROTOOPT", "Protocol option not available"},
	{syscall.ECONNABORTED, "ECONNABORTED", "Software caused connection abort"},
	{syscall.ECONNRESET, "ECONNRESET", "Connection reset by peer"},
	{syscall.ENOBUFS, "ENOBUFS", "No buffer space available"},
	{syscall.EISCONN, "EISCONN", "Socket is already connected"},
	{syscall.ENOTCONN, "ENOTCONN", "Socket is not connected"},
}

// ErrnoName returns the symbolic name of e ("EEXIST"), or "" if the
// control interface does not know it.
func ErrnoName(e syscall.Errno) string {
	for _, r := range errnoTable {
		if r.errno == e {
			return r.name
		}
	}
	return ""
}

// ErrnoByName returns the errno called name, and false if there is none.
func ErrnoByName(name string) (syscall.Errno, bool) {
	for _, r := range errnoTable {
		if r.name == name {
			return r.errno, true
		}
	}
	return 0, false
}

// Strerror returns NetBSD's message for e, falling back to the host's.
func Strerror(e syscall.Errno) string {
	for _, r := range errnoTable {
		if r.errno == e {
			return r.text
		}
	}
	return e.Error()
}

// Error is a failure reported by the control interface or the kernel: an
// errno and a message. It unwraps to the syscall.Errno, so callers branch with
// errors.Is(err, syscall.EEXIST).
type Error struct {
	// Errno is the error number the failure maps to.
	Errno syscall.Errno
	// Detail says what failed, for logs and the raw protocol; the CLIs print
	// NetBSD's strerror of Errno instead.
	Detail string
}

// Errorf returns an *Error with errno e and the given detail.
func Errorf(e syscall.Errno, detail string) *Error {
	return &Error{Errno: e, Detail: detail}
}

func (e *Error) Error() string {
	if e.Detail == "" {
		return Strerror(e.Errno)
	}
	return e.Detail + ": " + Strerror(e.Errno)
}

// Unwrap returns the errno.
func (e *Error) Unwrap() error { return e.Errno }

// ErrnoOf finds the errno in err's chain; EIO if there is none.
func ErrnoOf(err error) syscall.Errno {
	var e syscall.Errno
	if errors.As(err, &e) {
		return e
	}
	return syscall.EIO
}

// Explained is a failure whose message is written for the person at the
// terminal and is printed as it is, without an operation name or strerror
// ("metric: the Linux host has no interface metric"). It unwraps to its
// errno.
type Explained struct {
	Errno syscall.Errno
	Msg   string
}

// Explainf returns an *Explained with errno e.
func Explainf(e syscall.Errno, format string, a ...any) *Explained {
	return &Explained{Errno: e, Msg: fmt.Sprintf(format, a...)}
}

func (e *Explained) Error() string { return e.Msg }

// Unwrap returns the errno.
func (e *Explained) Unwrap() error { return e.Errno }
