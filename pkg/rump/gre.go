package rump

// gre(4): IPv4 and IPv6 inside GRE (RFC 2784) over IP protocol 47, or,
// with link0 and link2 set when the tunnel is given, GRE inside UDP
// between the tunnel's address and port pairs, as NetBSD's gre does on a
// socket of its own. Only IP is carried (protocol types 0x0800 and
// 0x86dd): there is no Ethernet inside, as NetBSD's gre by default.
// The shared tunnel code is in tunnel.go.

import (
	"encoding/binary"
	"strings"
	"sync/atomic"
	"syscall"

	"github.com/rumpnet/rumpnet/pkg/api"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/adapters/gonet"
	"gvisor.dev/gvisor/pkg/tcpip/header"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv6"
)

func init() {
	registerKind(&ifKind{
		cloner:   "gre",
		attach:   func(k *Kernel, ifp *Interface) error { return k.tunnelAttach(ifp, "gre", greMTU, greEncap) },
		detach:   func(k *Kernel, ifp *Interface) { k.tunnelDetach(ifp) },
		mtuRange: func(*Interface) (int, int, error) { return greMTUMin, greMTUMax, nil },
		info:     tunnelInfo,
	})
}

// gre's MTU, NetBSD's GREMTU, and the range it takes.
const (
	greMTU    = 1476
	greMTUMin = 576
	greMTUMax = 8192
)

// greUDPFlags select GRE in UDP.
const greUDPFlags = api.IFF_LINK0 | api.IFF_LINK2

// GRE header bits (RFC 2784, RFC 2890).
const (
	greChecksum = 0x8000
	greRouting  = 0x4000
	greKey      = 0x2000
	greSeq      = 0x1000
	greVersion  = 0x0007
)

// greEncap puts the 4-byte GRE header, no options, before inner.
func greEncap(_ *tunEndpoint, inner []byte, inet6 bool) (tcpip.TransportProtocolNumber, []byte) {
	out := make([]byte, 4+len(inner))
	pt := uint16(header.IPv4ProtocolNumber)
	if inet6 {
		pt = uint16(header.IPv6ProtocolNumber)
	}
	binary.BigEndian.PutUint16(out[2:], pt)
	copy(out[4:], inner)
	return protoGRE, out
}

// greDecap checks a GRE packet and returns the IP packet inside: version
// 0, no routing, an IPv4 or IPv6 protocol type whose header fits and
// whose version is right. Checksum, key and sequence fields are skipped.
func greDecap(p []byte) ([]byte, error) {
	if len(p) < 4 {
		return nil, syscall.EINVAL
	}
	flags := binary.BigEndian.Uint16(p)
	if flags&(greRouting|greVersion) != 0 {
		return nil, syscall.EPROTONOSUPPORT
	}
	n := 4
	for _, b := range []uint16{greChecksum, greKey, greSeq} {
		if flags&b != 0 {
			n += 4
		}
	}
	if len(p) < n {
		return nil, syscall.EINVAL
	}
	inner := p[n:]
	switch binary.BigEndian.Uint16(p[2:]) {
	case uint16(header.IPv4ProtocolNumber):
		return gifDecap(protoIPIP, inner)
	case uint16(header.IPv6ProtocolNumber):
		return gifDecap(protoIPv6, inner)
	}
	return nil, syscall.EPROTONOSUPPORT
}

// greUDP is the socket of a gre interface in UDP mode, connected to the
// tunnel's destination.
type greUDP struct {
	c      *gonet.UDPConn
	closed atomic.Bool
}

// openGreUDP binds the tunnel's source address and port and connects to
// its destination: EADDRNOTAVAIL if the source is not the kernel's,
// EADDRINUSE if the port is taken.
func openGreUDP(k *Kernel, e *tunEndpoint, c *tunnelConf) (*greUDP, error) {
	np := ipv4.ProtocolNumber
	if c.dst.Is6() {
		np = ipv6.ProtocolNumber
	}
	la := tcpip.FullAddress{Addr: tcpip.AddrFromSlice(c.src.AsSlice()), Port: c.sport}
	ra := tcpip.FullAddress{Addr: tcpip.AddrFromSlice(c.dst.AsSlice()), Port: c.dport}
	conn, err := gonet.DialUDP(k.stack, &la, &ra, np)
	if err != nil {
		errno := syscall.EADDRNOTAVAIL
		if strings.Contains(err.Error(), (&tcpip.ErrPortInUse{}).String()) {
			errno = syscall.EADDRINUSE
		}
		return nil, api.Errorf(errno, "gre socket: "+err.Error())
	}
	u := &greUDP{c: conn}
	go u.receive(e)
	return u, nil
}

func (u *greUDP) receive(e *tunEndpoint) {
	buf := make([]byte, 65536)
	for {
		n, err := u.c.Read(buf)
		if err != nil {
			if u.closed.Load() {
				return
			}
			// An ICMP error for an earlier datagram (the peer's socket
			// was not there yet) fails one read of a connected socket.
			continue
		}
		inner, err := greDecap(buf[:n])
		if err != nil {
			e.stats.ierrors.Add(1)
			continue
		}
		e.input(append([]byte(nil), inner...))
	}
}

func (u *greUDP) close() {
	u.closed.Store(true)
	u.c.Close()
}
