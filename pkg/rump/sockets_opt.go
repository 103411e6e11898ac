package rump

// Socket options of a session's sockets, by Linux's numbers, and the
// errnos of the stack's errors.

import (
	"fmt"
	"syscall"

	"github.com/rumpnet/rumpnet/pkg/api"
	"golang.org/x/sys/unix"
	"gvisor.dev/gvisor/pkg/tcpip"
)

// SetOpt sets an integer socket option (doc/sockets.md lists them);
// ENOPROTOOPT for others.
func (ss *SocketSet) SetOpt(id, level, name, value int) error {
	s, err := ss.lookup(id)
	if err != nil {
		return err
	}
	so := s.ep.SocketOptions()
	on := value != 0
	switch (optKey{level, name}) {
	case optKey{unix.SOL_SOCKET, unix.SO_REUSEADDR}:
		so.SetReuseAddress(on)
	case optKey{unix.SOL_SOCKET, unix.SO_REUSEPORT}:
		so.SetReusePort(on)
	case optKey{unix.SOL_SOCKET, unix.SO_KEEPALIVE}:
		so.SetKeepAlive(on)
	case optKey{unix.SOL_SOCKET, unix.SO_BROADCAST}:
		so.SetBroadcast(on)
	case optKey{unix.SOL_SOCKET, unix.SO_RCVBUF}:
		so.SetReceiveBufferSize(int64(value), true)
	case optKey{unix.SOL_SOCKET, unix.SO_SNDBUF}:
		so.SetSendBufferSize(int64(value), true)
	case optKey{unix.IPPROTO_TCP, unix.TCP_NODELAY}:
		if s.typ != api.SockStream {
			return optError(level, name)
		}
		so.SetDelayOption(!on)
	case optKey{unix.IPPROTO_IPV6, unix.IPV6_V6ONLY}:
		if s.family != 6 {
			return optError(level, name)
		}
		so.SetV6Only(on)
	default:
		return s.setOtherOpt(level, name, value)
	}
	return nil
}

// GetOpt reads an integer socket option.
func (ss *SocketSet) GetOpt(id, level, name int) (int, error) {
	s, err := ss.lookup(id)
	if err != nil {
		return 0, err
	}
	so := s.ep.SocketOptions()
	switch (optKey{level, name}) {
	case optKey{unix.SOL_SOCKET, unix.SO_REUSEADDR}:
		return boolInt(so.GetReuseAddress()), nil
	case optKey{unix.SOL_SOCKET, unix.SO_REUSEPORT}:
		return boolInt(so.GetReusePort()), nil
	case optKey{unix.SOL_SOCKET, unix.SO_KEEPALIVE}:
		return boolInt(so.GetKeepAlive()), nil
	case optKey{unix.SOL_SOCKET, unix.SO_BROADCAST}:
		return boolInt(so.GetBroadcast()), nil
	case optKey{unix.SOL_SOCKET, unix.SO_RCVBUF}:
		return int(so.GetReceiveBufferSize()), nil
	case optKey{unix.SOL_SOCKET, unix.SO_SNDBUF}:
		return int(so.GetSendBufferSize()), nil
	case optKey{unix.SOL_SOCKET, unix.SO_ERROR}:
		if terr := so.GetLastError(); terr != nil {
			return int(tcpipErrno(terr)), nil
		}
		return 0, nil
	case optKey{unix.SOL_SOCKET, unix.SO_TYPE}:
		if s.typ == api.SockStream {
			return unix.SOCK_STREAM, nil
		}
		return unix.SOCK_DGRAM, nil
	case optKey{unix.IPPROTO_TCP, unix.TCP_NODELAY}:
		if s.typ == api.SockStream {
			return boolInt(!so.GetDelayOption()), nil
		}
	case optKey{unix.IPPROTO_IPV6, unix.IPV6_V6ONLY}:
		if s.family == 6 {
			return boolInt(so.GetV6Only()), nil
		}
	default:
		return s.getOtherOpt(level, name)
	}
	return 0, optError(level, name)
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
	}
	return syscall.EINVAL
}
