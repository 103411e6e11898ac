package rump

// Interface statistics, as netstat -i shows them: one set of counters in
// every link endpoint (Ethernet, loopback, bridge).
//
// Each counter is an atomic, added to without a lock by the goroutine that
// moves the frame: the receive loop or its pipe's goroutine for input; the
// stack's sending goroutine, the transmit pipe's goroutine or the bridge's
// for output. Status requests read them, and ifconfig -z zeroes them,
// while frames go on passing, so a reader may see a frame's packet counted
// and not yet its bytes.
//
// fwd4 and fwd6 count the IPv4 and IPv6 packets the stack forwarded out of
// the interface (netstat -s "packets forwarded"): gVisor keeps no such
// counter, so the transmit path counts the packets it is handed that the
// stack marked as forwarded. ifconfig -z leaves them alone, as NetBSD's
// SIOCZIFDATA leaves the protocol counters.

import (
	"sync/atomic"

	"gvisor.dev/gvisor/pkg/tcpip/header"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
)

// counters are an interface's statistics, updated without locks on the
// frame path.
type counters struct {
	ipackets, ibytes, imcasts, ierrors, iqdrops atomic.Uint64
	opackets, obytes, omcasts, oerrors          atomic.Uint64
	fwd4, fwd6                                  atomic.Uint64 // by the stack
	fast4, fast6                                atomic.Uint64 // by the fast path (fastfwd.go)
}

// countForwarded counts the packets of pkts the stack forwards. A forwarded
// datagram the stack cuts into fragments is not counted: the fragments
// carry no mark.
func (c *counters) countForwarded(pkts stack.PacketBufferList) {
	for _, pkt := range pkts.AsSlice() {
		if !pkt.NetworkPacketInfo.IsForwardedPacket {
			continue
		}
		switch pkt.NetworkProtocolNumber {
		case header.IPv4ProtocolNumber:
			c.fwd4.Add(1)
		case header.IPv6ProtocolNumber:
			c.fwd6.Add(1)
		}
	}
}

func (c *counters) countIn(n int, group bool) {
	c.ipackets.Add(1)
	c.ibytes.Add(uint64(n))
	if group {
		c.imcasts.Add(1)
	}
}

func (c *counters) countOut(n int, group bool) {
	c.opackets.Add(1)
	c.obytes.Add(uint64(n))
	if group {
		c.omcasts.Add(1)
	}
}

// uncountOut takes back a countOut (not of a group frame) whose write
// then failed.
func (c *counters) uncountOut(n int) {
	c.opackets.Add(^uint64(0))
	c.obytes.Add(-uint64(n))
}

func (c *counters) zero() {
	for _, v := range []*atomic.Uint64{&c.ipackets, &c.ibytes, &c.imcasts,
		&c.ierrors, &c.iqdrops, &c.opackets, &c.obytes, &c.omcasts, &c.oerrors} {
		v.Store(0)
	}
}
