package rump

// gif(4): IPv4 and IPv6 inside IPv4 or IPv6 (IP protocols 4 and 41), the
// outer header straight before the inner packet (tunnel.go).

import (
	"syscall"

	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/header"
)

func init() {
	registerKind(&ifKind{
		cloner:   "gif",
		attach:   func(k *Kernel, ifp *Interface) error { return k.tunnelAttach(ifp, "gif", gifMTU, gifEncap) },
		detach:   func(k *Kernel, ifp *Interface) { k.tunnelDetach(ifp) },
		mtuRange: func(*Interface) (int, int, error) { return gifMTUMin, gifMTUMax, nil },
		info:     tunnelInfo,
	})
}

// gif's MTUs, NetBSD's GIF_MTU, GIF_MTU_MIN and GIF_MTU_MAX.
const (
	gifMTU    = 1280
	gifMTUMin = 1280
	gifMTUMax = 8192
)

// IP protocol numbers of IP inside IP.
const (
	protoIPIP tcpip.TransportProtocolNumber = 4  // IPv4 inside
	protoIPv6 tcpip.TransportProtocolNumber = 41 // IPv6 inside
	protoGRE  tcpip.TransportProtocolNumber = 47
)

func gifEncap(_ *tunEndpoint, inner []byte, inet6 bool) (tcpip.TransportProtocolNumber, []byte) {
	if inet6 {
		return protoIPv6, inner
	}
	return protoIPIP, inner
}

// gifDecap checks the payload of an outer packet of protocol proto and
// returns the inner packet: an IPv4 packet for 4, IPv6 for 41, whose
// header fits and whose version is right.
func gifDecap(proto tcpip.TransportProtocolNumber, p []byte) ([]byte, error) {
	switch proto {
	case protoIPIP:
		if len(p) < header.IPv4MinimumSize || p[0]>>4 != 4 {
			return nil, syscall.EINVAL
		}
	case protoIPv6:
		if len(p) < header.IPv6MinimumSize || p[0]>>4 != 6 {
			return nil, syscall.EINVAL
		}
	default:
		return nil, syscall.EPROTONOSUPPORT
	}
	return p, nil
}
