package api

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// errnoInfo is one row of the errno table: the symbolic name that travels on
// the wire and the message NetBSD's strerror(3) prints for it.
type errnoInfo struct {
	errno syscall.Errno
	name  string
	text  string
}

// errnoTable lists the errnos NetBSD shares with Linux, with NetBSD's
// texts, which differ from Linux's in places (ENXIO is "Device not
// configured" on NetBSD, "No such device or address" on Linux). init adds
// the errnos only Linux has, so that every errno a host call can return has a
// name on the wire.
var errnoTable = []errnoInfo{
	{syscall.EPERM, "EPERM", "Operation not permitted"},
	{syscall.ENOENT, "ENOENT", "No such file or directory"},
	{syscall.ESRCH, "ESRCH", "No such process"},
	{syscall.EINTR, "EINTR", "Interrupted system call"},
	{syscall.EIO, "EIO", "Input/output error"},
	{syscall.ENXIO, "ENXIO", "Device not configured"},
	{syscall.E2BIG, "E2BIG", "Argument list too long"},
	{syscall.ENOEXEC, "ENOEXEC", "Exec format error"},
	{syscall.EBADF, "EBADF", "Bad file descriptor"},
	{syscall.ECHILD, "ECHILD", "No child processes"},
	{syscall.EDEADLK, "EDEADLK", "Resource deadlock avoided"},
	{syscall.ENOMEM, "ENOMEM", "Cannot allocate memory"},
	{syscall.EACCES, "EACCES", "Permission denied"},
	{syscall.EFAULT, "EFAULT", "Bad address"},
	{syscall.ENOTBLK, "ENOTBLK", "Block device required"},
	{syscall.EBUSY, "EBUSY", "Device busy"},
	{syscall.EEXIST, "EEXIST", "File exists"},
	{syscall.EXDEV, "EXDEV", "Cross-device link"},
	{syscall.ENODEV, "ENODEV", "Operation not supported by device"},
	{syscall.ENOTDIR, "ENOTDIR", "Not a directory"},
	{syscall.EISDIR, "EISDIR", "Is a directory"},
	{syscall.EINVAL, "EINVAL", "Invalid argument"},
	{syscall.ENFILE, "ENFILE", "Too many open files in system"},
	{syscall.EMFILE, "EMFILE", "Too many open files"},
	{syscall.ENOTTY, "ENOTTY", "Inappropriate ioctl for device"},
	{syscall.ETXTBSY, "ETXTBSY", "Text file busy"},
	{syscall.EFBIG, "EFBIG", "File too large"},
	{syscall.ENOSPC, "ENOSPC", "No space left on device"},
	{syscall.ESPIPE, "ESPIPE", "Illegal seek"},
	{syscall.EROFS, "EROFS", "Read-only file system"},
	{syscall.EMLINK, "EMLINK", "Too many links"},
	{syscall.EPIPE, "EPIPE", "Broken pipe"},
	{syscall.EDOM, "EDOM", "Numerical argument out of domain"},
	{syscall.ERANGE, "ERANGE", "Result too large"},
	{syscall.EAGAIN, "EAGAIN", "Resource temporarily unavailable"},
	{syscall.EINPROGRESS, "EINPROGRESS", "Operation now in progress"},
	{syscall.EALREADY, "EALREADY", "Operation already in progress"},
	{syscall.ENOTSOCK, "ENOTSOCK", "Socket operation on non-socket"},
	{syscall.EDESTADDRREQ, "EDESTADDRREQ", "Destination address required"},
	{syscall.EMSGSIZE, "EMSGSIZE", "Message too long"},
	{syscall.EPROTOTYPE, "EPROTOTYPE", "Protocol wrong type for socket"},
	{syscall.ENOPROTOOPT, "ENOPROTOOPT", "Protocol option not available"},
	{syscall.EPROTONOSUPPORT, "EPROTONOSUPPORT", "Protocol not supported"},
	{syscall.ESOCKTNOSUPPORT, "ESOCKTNOSUPPORT", "Socket type not supported"},
	{syscall.ENOTSUP, "EOPNOTSUPP", "Operation not supported"},
	{syscall.EPFNOSUPPORT, "EPFNOSUPPORT", "Protocol family not supported"},
	{syscall.EAFNOSUPPORT, "EAFNOSUPPORT", "Address family not supported by protocol family"},
	{syscall.EADDRINUSE, "EADDRINUSE", "Address already in use"},
	{syscall.EADDRNOTAVAIL, "EADDRNOTAVAIL", "Can't assign requested address"},
	{syscall.ENETDOWN, "ENETDOWN", "Network is down"},
	{syscall.ENETUNREACH, "ENETUNREACH", "Network is unreachable"},
	{syscall.ENETRESET, "ENETRESET", "Network dropped connection on reset"},
	{syscall.ECONNABORTED, "ECONNABORTED", "Software caused connection abort"},
	{syscall.ECONNRESET, "ECONNRESET", "Connection reset by peer"},
	{syscall.ENOBUFS, "ENOBUFS", "No buffer space available"},
	{syscall.EISCONN, "EISCONN", "Socket is already connected"},
	{syscall.ENOTCONN, "ENOTCONN", "Socket is not connected"},
	{syscall.ESHUTDOWN, "ESHUTDOWN", "Can't send after socket shutdown"},
	{syscall.ETOOMANYREFS, "ETOOMANYREFS", "Too many references: can't splice"},
	{syscall.ETIMEDOUT, "ETIMEDOUT", "Connection timed out"},
	{syscall.ECONNREFUSED, "ECONNREFUSED", "Connection refused"},
	{syscall.ELOOP, "ELOOP", "Too many levels of symbolic links"},
	{syscall.ENAMETOOLONG, "ENAMETOOLONG", "File name too long"},
	{syscall.EHOSTDOWN, "EHOSTDOWN", "Host is down"},
	{syscall.EHOSTUNREACH, "EHOSTUNREACH", "No route to host"},
	{syscall.ENOTEMPTY, "ENOTEMPTY", "Directory not empty"},
	{syscall.EUSERS, "EUSERS", "Too many users"},
	{syscall.EDQUOT, "EDQUOT", "Disc quota exceeded"},
	{syscall.ESTALE, "ESTALE", "Stale NFS file handle"},
	{syscall.EREMOTE, "EREMOTE", "Too many levels of remote in path"},
	{syscall.ENOLCK, "ENOLCK", "No locks available"},
	{syscall.ENOSYS, "ENOSYS", "Function not implemented"},
	{syscall.EIDRM, "EIDRM", "Identifier removed"},
	{syscall.ENOMSG, "ENOMSG", "No message of desired type"},
	{syscall.EOVERFLOW, "EOVERFLOW", "Value too large to be stored in data type"},
	{syscall.EILSEQ, "EILSEQ", "Illegal byte sequence"},
	{syscall.ECANCELED, "ECANCELED", "Operation canceled"},
	{syscall.EBADMSG, "EBADMSG", "Bad or Corrupt message"},
	{syscall.ENODATA, "ENODATA", "No message available"},
	{syscall.ENOSR, "ENOSR", "No STREAM resources"},
	{syscall.ENOSTR, "ENOSTR", "Not a STREAM"},
	{syscall.ETIME, "ETIME", "STREAM ioctl timeout"},
	{syscall.EMULTIHOP, "EMULTIHOP", "Multihop attempted"},
	{syscall.ENOLINK, "ENOLINK", "Link has been severed"},
	{syscall.EPROTO, "EPROTO", "Protocol error"},
	{syscall.EOWNERDEAD, "EOWNERDEAD", "Previous owner died"},
	{syscall.ENOTRECOVERABLE, "ENOTRECOVERABLE", "State not recoverable"},
}

// maxErrno is the largest errno Linux defines (EHWPOISON).
const maxErrno = unix.EHWPOISON

// errnoMore is errnoTable with the errnos NetBSD does not have added, with
// Linux's names and texts; it is built at its first use rather than in an
// init, which every tool (rumphijack's start among them) would pay.
var errnoMore = sync.OnceValue(func() []errnoInfo {
	errnoTable := slices.Clone(errnoTable)
	known := map[syscall.Errno]bool{}
	for _, r := range errnoTable {
		known[r.errno] = true
	}
	for e := syscall.Errno(1); e <= maxErrno; e++ {
		name := unix.ErrnoName(e)
		if known[e] || name == "" {
			continue
		}
		text := e.Error()
		if text != "" {
			text = strings.ToUpper(text[:1]) + text[1:]
		}
		errnoTable = append(errnoTable, errnoInfo{e, name, text})
	}
	return errnoTable
})

// ErrnoName returns the symbolic name of e ("EEXIST"), or "" if the
// control interface does not know it.
func ErrnoName(e syscall.Errno) string {
	for _, r := range errnoMore() {
		if r.errno == e {
			return r.name
		}
	}
	return ""
}

// ErrnoByName returns the errno called name, and false if there is none.
func ErrnoByName(name string) (syscall.Errno, bool) {
	for _, r := range errnoMore() {
		if r.name == name {
			return r.errno, true
		}
	}
	return 0, false
}

// Strerror returns NetBSD's message for e, falling back to the host's.
func Strerror(e syscall.Errno) string {
	for _, r := range errnoMore() {
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
