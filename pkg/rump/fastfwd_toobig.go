package rump

// Packet too big, as a router sends it: gVisor's IPv6 forwarding answers
// a packet larger than the outgoing link's MTU with an ICMPv6 packet too
// big message whose MTU field is 0, where NetBSD (ip6_forward) puts the
// outgoing link's MTU, and a Linux sender reads 0 as 1280 and shrinks its
// path MTU to that for nothing. The message is patched on its way out of
// the interface: the MTU of the link the stack's route for the quoted
// packet's destination leaves by, and the checksum adjusted for it.
//
// Patching what the stack sends, rather than answering in the fast path,
// fixes the message whichever path the packet took (the stack forwards
// every packet the fast path declines: an unresolved neighbour, an
// outgoing interface that is no tap) and leaves the rest as the stack
// does it: its rate limit, counters, source address and quoted part.
//
// Only a message the kernel made (its source is one of the kernel's
// addresses) with an MTU of 0 is touched: a message forwarded through the
// kernel, or one that already says an MTU, goes as it is.
//
// This file must not hold a packet, nor change anything else of it.

import (
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/checksum"
	"gvisor.dev/gvisor/pkg/tcpip/header"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
)

// patchTooBig fixes the packet too big messages among pkts, which the
// endpoint is about to send.
func (e *ethEndpoint) patchTooBig(pkts stack.PacketBufferList) {
	if e.kernel == nil {
		return
	}
	for _, pkt := range pkts.AsSlice() {
		if pkt.NetworkProtocolNumber == header.IPv6ProtocolNumber && pkt.TransportProtocolNumber == header.ICMPv6ProtocolNumber {
			e.kernel.fixTooBig(pkt)
		}
	}
}

// fixTooBig puts the outgoing link's MTU into pkt if it is a packet too
// big message the kernel made with none.
func (k *Kernel) fixTooBig(pkt *stack.PacketBuffer) {
	icmp := header.ICMPv6(pkt.TransportHeader().Slice())
	if len(icmp) < header.ICMPv6PacketTooBigMinimumSize || icmp.Type() != header.ICMPv6PacketTooBig || icmp.MTU() != 0 {
		return
	}
	ip := header.IPv6(pkt.NetworkHeader().Slice())
	if len(ip) < header.IPv6MinimumSize || k.stack.CheckLocalAddress(0, header.IPv6ProtocolNumber, ip.SourceAddress()) == 0 {
		return
	}
	quoted := pkt.Data().AsRange().Capped(header.IPv6MinimumSize).ToSlice()
	if len(quoted) < header.IPv6MinimumSize {
		return
	}
	mtu := k.linkMTUTo(header.IPv6(quoted).DestinationAddress())
	if mtu == 0 {
		return
	}
	setTooBigMTU(icmp, mtu)
}

// setTooBigMTU sets the MTU field of a packet too big message that had
// none, adjusting its checksum (RFC 1624: a word that was 0 adds itself).
func setTooBigMTU(icmp header.ICMPv6, mtu uint32) {
	sum := checksum.Combine(^icmp.Checksum(), checksum.Combine(uint16(mtu>>16), uint16(mtu)))
	icmp.SetMTU(mtu)
	icmp.SetChecksum(^sum)
}

// linkMTUTo is the MTU of the link the kernel's route to the IPv6
// address dst leaves by, or 0 if there is none.
func (k *Kernel) linkMTUTo(dst tcpip.Address) uint32 {
	r, terr := k.stack.FindRoute(0, tcpip.Address{}, dst, header.IPv6ProtocolNumber, false)
	if terr != nil {
		return 0
	}
	defer r.Release()
	if m := r.MTU(); m != 0 {
		return m + header.IPv6MinimumSize
	}
	return 0
}
