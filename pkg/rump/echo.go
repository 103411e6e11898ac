package rump

// The echo fast path: an ICMP (ICMPv6) echo request for one of the
// interface's own IPv4 (IPv6) addresses is answered by the receive path
// itself, before the stack sees it. The reply is the request turned round in its own buffer:
// addresses swapped (Ethernet and IP), type echo reply, TTL (hop limit) the
// kernel's default, for IPv6 the traffic class kept and the flow label
// cleared as the stack's reply has them, checksums updated; it goes back out of the same interface to the
// MAC the request came from, seen by captures and counted as the stack would
// count it (rnetstat -s: ip "packets for this host" and "packets sent from
// this host", icmp's and icmp6's echo input and output histograms).
//
// It must not change what the kernel answers, only how fast, so anything
// unusual goes to the stack as before: IP options or IPv6 extension
// headers, fragments, bad checksums, link-local IPv6 addresses, a broadcast, multicast or foreign destination, a source that
// is not unicast, a route back to the source that is not direct through
// the same interface (another interface, a gateway, reject or blackhole),
// a request too large for the interface's MTU, and any frame the receive
// path holds only the head of. Echo replies are not rate limited (NetBSD
// limits only ICMP errors, net.inet.icmp.errppslimit), so none is skipped
// here; broadcast and multicast echo, which net.inet.icmp.bmcastecho would
// govern, never take this path. The reply goes to the request's source
// MAC only when the kernel's ARP entry for the source, through the route
// back, already names that MAC (ARP or NDP alike); with no entry, an incomplete one or another
// MAC the stack answers, and resolves the address as NetBSD would.
//
// The route back, the neighbour's MAC and whether the destination is the
// interface's own come from the kernel's lookup cache (lookupcache.go),
// so a ping costs the stack no lookup while nothing changes.
//
// It must not allocate per packet, nor keep anything of the frame.

import (
	"sync/atomic"

	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/checksum"
	"gvisor.dev/gvisor/pkg/tcpip/header"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv6"
)

// fastEcho switches the fast path on for interfaces created from now on
// (tests compare it with the stack's own answer).
var fastEcho = true

// echoAnswered counts the requests the fast path has answered, in all
// kernels of the process (for tests).
var echoAnswered atomic.Uint64

// echoPath answers echo requests received by one interface.
type echoPath struct {
	k     *Kernel
	nic   tcpip.NICID
	e     *ethEndpoint
	probe neighProbe                 // the cache's neighbour lookups
	st4   atomic.Pointer[ipv4.Stats] // the interface's IPv4 counters, once looked up
	st6   atomic.Pointer[ipv6.Stats] // and IPv6 ones
}

// newEchoPath returns the fast path's hook for interface ifp, whose
// Ethernet endpoint is e, or nil if the fast path is off.
func (k *Kernel) newEchoPath(ifp *Interface, e *ethEndpoint) func([]byte) bool {
	if !fastEcho {
		return nil
	}
	p := &echoPath{k: k, nic: ifp.nic, e: e}
	return p.answer
}

// answer answers frame, an Ethernet frame addressed to the interface's
// MAC, if it is an echo request the fast path takes, and reports whether
// it did; if not, the frame is untouched and goes on to the stack.
func (p *echoPath) answer(frame []byte) bool {
	if len(frame) < header.EthernetMinimumSize || p.e.bridge.Load() != nil {
		return false
	}
	switch header.Ethernet(frame).Type() {
	case header.IPv4ProtocolNumber:
		return p.answer4(frame)
	case header.IPv6ProtocolNumber:
		return p.answer6(frame)
	}
	return false
}

func (p *echoPath) answer4(frame []byte) bool {
	if len(frame) < header.EthernetMinimumSize+header.IPv4MinimumSize+header.ICMPv4MinimumSize {
		return false
	}
	ip, ok := echoRequest4(frame[header.EthernetMinimumSize:])
	if !ok || len(ip) > int(p.e.MTU()) {
		return false
	}
	src, dst := ip.SourceAddress(), ip.DestinationAddress()
	if !unicast4(src) || !p.mine(dst, ipv4.ProtocolNumber) || !p.directBack(src, ipv4.ProtocolNumber, frame[6:12]) {
		return false
	}
	ttl := p.k.defaultTTL(ipv4.ProtocolNumber)
	if ttl <= 0 {
		return false
	}
	st := p.stats4()
	if st == nil {
		return false
	}
	reply := frame[:header.EthernetMinimumSize+len(ip)]
	turnEcho4(reply, uint8(ttl))
	gs := p.k.stack.Stats()
	inc(st.IP.PacketsReceived, gs.IP.PacketsReceived,
		st.IP.ValidPacketsReceived, gs.IP.ValidPacketsReceived,
		st.IP.PacketsDelivered, gs.IP.PacketsDelivered,
		st.ICMP.PacketsReceived.EchoRequest, gs.ICMP.V4.PacketsReceived.EchoRequest)
	if err := p.e.writeFrame(reply); err != nil {
		inc(st.ICMP.PacketsSent.Dropped, gs.ICMP.V4.PacketsSent.Dropped)
		return true
	}
	inc(st.IP.PacketsSent, gs.IP.PacketsSent, st.ICMP.PacketsSent.EchoReply, gs.ICMP.V4.PacketsSent.EchoReply)
	echoAnswered.Add(1)
	return true
}

// inc increments each counter.
func inc(cs ...*tcpip.StatCounter) {
	for _, c := range cs {
		c.Increment()
	}
}

// echoRequest4 returns the IPv4 packet in b (without link padding) if it
// is an ICMP echo request the fast path takes: no options, not a
// fragment, valid header and ICMP checksums.
func echoRequest4(b []byte) (header.IPv4, bool) {
	ip := header.IPv4(b)
	if b[0] != 0x45 { // version 4, no options
		return nil, false
	}
	n := int(ip.TotalLength())
	if n < header.IPv4MinimumSize+header.ICMPv4MinimumSize || n > len(b) {
		return nil, false
	}
	ip = ip[:n]
	if ip.Protocol() != uint8(header.ICMPv4ProtocolNumber) || ip.More() || ip.FragmentOffset() != 0 ||
		ip.CalculateChecksum() != 0xffff {
		return nil, false
	}
	icmp := header.ICMPv4(ip[header.IPv4MinimumSize:])
	if icmp.Type() != header.ICMPv4Echo || icmp.Code() != 0 || checksum.Checksum(icmp, 0) != 0xffff {
		return nil, false
	}
	return ip, true
}

// unicast4 reports whether a is a unicast address a request may come
// from: not unspecified, loopback, multicast, broadcast or class E.
func unicast4(a tcpip.Address) bool {
	b := a.As4()
	return b[0] != 0 && b[0] != 127 && b[0] < 224
}

// mine reports whether a is one of the interface's own assigned
// addresses (not a subnet broadcast, nor one still tentative).
func (p *echoPath) mine(a tcpip.Address, proto tcpip.NetworkProtocolNumber) bool {
	return p.k.fast.cache.lookup(p.k.stack, &p.probe, p.nic, a, proto, false).own
}

// directBack reports whether the kernel's route to remote is a direct
// one through the interface itself, and its neighbour entry for remote is
// complete and names srcMAC, the MAC the request came from.
func (p *echoPath) directBack(remote tcpip.Address, proto tcpip.NetworkProtocolNumber, srcMAC []byte) bool {
	c := p.k.fast.cache.lookup(p.k.stack, &p.probe, p.nic, remote, proto, true)
	return !c.local && c.route && c.nic == p.nic && !c.gw && !c.bcast && string(c.mac) == string(srcMAC)
}

// stats4 returns the interface's IPv4 counters, which the stack keeps
// per interface besides its own totals.
func (p *echoPath) stats4() *ipv4.Stats { return nicStats(p, &p.st4, ipv4.ProtocolNumber) }

// nicStats returns the interface's counters of one network protocol,
// looked up once and kept in *cache; nil if the stack has none.
func nicStats[T any](p *echoPath, cache *atomic.Pointer[T], proto tcpip.NetworkProtocolNumber) *T {
	if st := cache.Load(); st != nil {
		return st
	}
	ep, terr := p.k.stack.GetNetworkEndpoint(p.nic, proto)
	if terr != nil {
		return nil
	}
	st, ok := any(ep.Stats()).(*T)
	if !ok {
		return nil
	}
	cache.Store(st)
	return st
}

// turnEcho4 makes the echo request in frame (Ethernet and IPv4, exactly
// as long as the packet) its reply, in place.
func turnEcho4(frame []byte, ttl uint8) {
	swapMACs(frame)
	ip := header.IPv4(frame[header.EthernetMinimumSize:])
	src, dst := ip.SourceAddress(), ip.DestinationAddress()
	ip.SetSourceAddress(dst)
	ip.SetDestinationAddress(src)
	ip.SetTTL(ttl)
	ip.SetChecksum(0)
	ip.SetChecksum(^ip.CalculateChecksum())
	icmp := header.ICMPv4(ip[header.IPv4MinimumSize:])
	icmp.SetType(header.ICMPv4EchoReply)
	icmp.SetChecksum(0)
	icmp.SetChecksum(^checksum.Checksum(icmp, 0))
}

// swapMACs swaps an Ethernet frame's destination and source addresses.
func swapMACs(frame []byte) {
	var a [6]byte
	copy(a[:], frame[0:6])
	copy(frame[0:6], frame[6:12])
	copy(frame[6:12], a[:])
}
