package rump

// Making a socket: its endpoint on the stack, and its pair, made here or
// by the client (doc/sockets.md).

import (
	"os"
	"strconv"
	"syscall"

	"github.com/rumpnet/rumpnet/pkg/api"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv6"
	"gvisor.dev/gvisor/pkg/tcpip/transport/icmp"
	"gvisor.dev/gvisor/pkg/tcpip/transport/tcp"
	"gvisor.dev/gvisor/pkg/tcpip/transport/udp"
	"gvisor.dev/gvisor/pkg/waiter"
)

// Socket makes a socket of a family (4 or 6) and type (api.SockStream,
// SockDgram, SockICMP) and returns its number and the program's end of
// its pair, which the caller owns.
func (ss *SocketSet) Socket(family int, typ string) (int, *os.File, error) {
	ep, wq, err := ss.endpoint(family, typ)
	if err != nil {
		return 0, nil, err
	}
	s, f, err := ss.add(typ, family, ep, wq)
	if err != nil {
		return 0, nil, err
	}
	return s.id, f, nil
}

// SocketOn makes a socket as Socket does, numbered id (negative: the
// numbers a client picks, apart from the set's own, doc/sockets.md) on a
// pair the client made: own is rump_server's end (a stream or a seqpacket
// Unix socket, as the type's), which SocketOn takes in every case.
func (ss *SocketSet) SocketOn(id, family int, typ string, own *os.File) error {
	if id >= 0 {
		own.Close()
		return api.Errorf(syscall.EINVAL, "socket number "+strconv.Itoa(id)+" is not negative")
	}
	ep, wq, err := ss.endpoint(family, typ)
	if err != nil {
		own.Close()
		return err
	}
	_, _, err = ss.addOn(id, typ, family, ep, wq, own)
	return err
}

// endpoint makes the stack's endpoint of a new socket.
func (ss *SocketSet) endpoint(family int, typ string) (tcpip.Endpoint, *waiter.Queue, error) {
	var netProto tcpip.NetworkProtocolNumber
	switch {
	case family == 4 && ss.k.comps.inet():
		netProto = ipv4.ProtocolNumber
	case family == 6 && ss.k.comps.inet6():
		netProto = ipv6.ProtocolNumber
	default:
		return nil, nil, api.Errorf(syscall.EAFNOSUPPORT, "family "+strconv.Itoa(family))
	}
	var trans tcpip.TransportProtocolNumber
	switch typ {
	case api.SockStream:
		trans = tcp.ProtocolNumber
	case api.SockDgram:
		trans = udp.ProtocolNumber
	case api.SockICMP:
		trans = icmp.ProtocolNumber4
		if family == 6 {
			trans = icmp.ProtocolNumber6
		}
	default:
		return nil, nil, api.Errorf(syscall.EPROTONOSUPPORT, "socket type "+strconv.Quote(typ))
	}
	wq := new(waiter.Queue)
	ep, terr := ss.k.stack.NewEndpoint(trans, netProto, wq)
	if terr != nil {
		return nil, nil, tcpipError("socket", terr)
	}
	return ep, wq, nil
}
