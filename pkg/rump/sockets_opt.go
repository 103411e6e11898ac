package rump

// Socket options of a session's sockets, by Linux's numbers, and the
// errnos of the stack's errors.

import (
	"fmt"
	"syscall"

	"github.com/rumpnet/rumpnet/pkg/api"
	"gvisor.dev/gvisor/pkg/tcpip"
)

// SetOpt sets an integer socket option (doc/sockets.md lists them);
// ENOPROTOOPT for others.
func (ss *SocketSet) SetOpt(id, level, name, value int) error {
	s, err := ss.lookup(id)
	if err != nil {
		return err
	}
	d, err := s.optDefFor(level, name)
	if err != nil {
		return err
	}
	if d.set == nil {
		return optError(level, name)
	}
	return d.set(s, value)
}

// GetOpt reads an integer socket option.
func (ss *SocketSet) GetOpt(id, level, name int) (int, error) {
	s, err := ss.lookup(id)
	if err != nil {
		return 0, err
	}
	d, err := s.optDefFor(level, name)
	if err != nil {
		return 0, err
	}
	return d.get(s)
}

type optKey struct{ level, name int }

func optError(level, name int) error {
	return api.Errorf(syscall.ENOPROTOOPT, fmt.Sprintf("option %d/%d", level, name))
}

// tcpipError is an *api.Error for a failure of the stack.
func tcpipError(what string, terr tcpip.Error) error {
	return api.Errorf(tcpipErrno(terr), what+": "+terr.String())
}

// tcpipErrno maps an error of the stack to the errno Linux's socket calls
// return for it.
func tcpipErrno(terr tcpip.Error) syscall.Errno {
	switch terr.(type) {
	case *tcpip.ErrConnectionRefused:
		return syscall.ECONNREFUSED
	case *tcpip.ErrTimeout:
		return syscall.ETIMEDOUT
	case *tcpip.ErrNetworkUnreachable, *tcpip.ErrNoNet:
		return syscall.ENETUNREACH
	case *tcpip.ErrHostUnreachable, *tcpip.ErrHostDown:
		return syscall.EHOSTUNREACH
	case *tcpip.ErrPortInUse:
		return syscall.EADDRINUSE
	case *tcpip.ErrBadLocalAddress, *tcpip.ErrNoPortAvailable:
		return syscall.EADDRNOTAVAIL
	case *tcpip.ErrAddressFamilyNotSupported:
		return syscall.EAFNOSUPPORT
	case *tcpip.ErrConnectionReset:
		return syscall.ECONNRESET
	case *tcpip.ErrConnectionAborted, *tcpip.ErrAborted:
		return syscall.ECONNABORTED
	case *tcpip.ErrNotConnected:
		return syscall.ENOTCONN
	case *tcpip.ErrAlreadyConnected:
		return syscall.EISCONN
	case *tcpip.ErrAlreadyConnecting, *tcpip.ErrConnectStarted:
		return syscall.EALREADY
	case *tcpip.ErrWouldBlock:
		return syscall.EAGAIN
	case *tcpip.ErrUnknownProtocolOption:
		return syscall.ENOPROTOOPT
	case *tcpip.ErrNotSupported, *tcpip.ErrQueueSizeNotSupported:
		return syscall.EOPNOTSUPP
	case *tcpip.ErrMessageTooLong:
		return syscall.EMSGSIZE
	case *tcpip.ErrNoBufferSpace:
		return syscall.ENOBUFS
	case *tcpip.ErrDestinationRequired:
		return syscall.EDESTADDRREQ
	case *tcpip.ErrClosedForSend:
		return syscall.EPIPE
	case *tcpip.ErrNotPermitted, *tcpip.ErrBroadcastDisabled:
		return syscall.EACCES
	case *tcpip.ErrUnknownProtocol:
		return syscall.EPROTONOSUPPORT
	case *tcpip.ErrNoSuchFile:
		return syscall.ENOENT
	}
	return syscall.EINVAL
}
