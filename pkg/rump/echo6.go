package rump

// The echo fast path for IPv6 (see echo.go): an ICMPv6 echo request with
// no extension headers, to one of the interface's own global or unique
// local addresses, from a routable unicast source whose route back is
// direct through the same interface and whose NDP entry is complete with
// the MAC the request came from. Echo replies are not rate limited, as
// NetBSD limits only ICMPv6 errors (net.inet6.icmp6.errppslimit).

import (
	"gvisor.dev/gvisor/pkg/tcpip/checksum"
	"gvisor.dev/gvisor/pkg/tcpip/header"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv6"
)

func (p *echoPath) answer6(frame []byte) bool {
	ip, ok := echoRequest6(frame[header.EthernetMinimumSize:])
	if !ok || len(ip) > int(p.e.MTU()) {
		return false
	}
	src, dst := ip.SourceAddress(), ip.DestinationAddress()
	if !routable6(src) || !routable6(dst) || !p.mine(dst, ipv6.ProtocolNumber) ||
		!p.directBack(src, ipv6.ProtocolNumber, frame[6:12]) {
		return false
	}
	hops := p.k.defaultTTL(ipv6.ProtocolNumber)
	if hops <= 0 {
		return false
	}
	st := p.stats6()
	if st == nil {
		return false
	}
	reply := frame[:header.EthernetMinimumSize+len(ip)]
	turnEcho6(reply, uint8(hops))
	gs := p.k.stack.Stats()
	inc(st.IP.PacketsReceived, gs.IP.PacketsReceived,
		st.IP.ValidPacketsReceived, gs.IP.ValidPacketsReceived,
		st.IP.PacketsDelivered, gs.IP.PacketsDelivered,
		st.ICMP.PacketsReceived.EchoRequest, gs.ICMP.V6.PacketsReceived.EchoRequest)
	if err := p.e.writeFrame(reply); err != nil {
		inc(st.ICMP.PacketsSent.Dropped, gs.ICMP.V6.PacketsSent.Dropped)
		return true
	}
	inc(st.IP.PacketsSent, gs.IP.PacketsSent, st.ICMP.PacketsSent.EchoReply, gs.ICMP.V6.PacketsSent.EchoReply)
	echoAnswered.Add(1)
	return true
}

// echoRequest6 returns the IPv6 packet in b (without link padding) if it
// is an ICMPv6 echo request the fast path takes: no extension headers,
// a valid ICMPv6 checksum.
func echoRequest6(b []byte) (header.IPv6, bool) {
	if len(b) < header.IPv6MinimumSize+header.ICMPv6EchoMinimumSize || b[0]>>4 != 6 {
		return nil, false
	}
	ip := header.IPv6(b)
	n := header.IPv6MinimumSize + int(ip.PayloadLength())
	if n < header.IPv6MinimumSize+header.ICMPv6EchoMinimumSize || n > len(b) ||
		ip.NextHeader() != uint8(header.ICMPv6ProtocolNumber) {
		return nil, false
	}
	ip = ip[:n]
	icmp := header.ICMPv6(ip[header.IPv6MinimumSize:])
	if icmp.Type() != header.ICMPv6EchoRequest || icmp.Code() != 0 {
		return nil, false
	}
	sum := header.PseudoHeaderChecksum(header.ICMPv6ProtocolNumber, ip.SourceAddress(), ip.DestinationAddress(), uint16(len(icmp)))
	if checksum.Checksum(icmp, sum) != 0xffff {
		return nil, false
	}
	return ip, true
}

// stats6 returns the interface's IPv6 counters.
func (p *echoPath) stats6() *ipv6.Stats { return nicStats(p, &p.st6, ipv6.ProtocolNumber) }

// turnEcho6 makes the ICMPv6 echo request in frame (Ethernet and IPv6,
// exactly as long as the packet) its reply, in place: the traffic class
// stays, the flow label is cleared, as in the stack's reply.
func turnEcho6(frame []byte, hops uint8) {
	swapMACs(frame)
	ip := header.IPv6(frame[header.EthernetMinimumSize:])
	src, dst := ip.SourceAddress(), ip.DestinationAddress()
	ip.SetSourceAddress(dst)
	ip.SetDestinationAddress(src)
	ip.SetHopLimit(hops)
	ip[1] &= 0xf0
	ip[2], ip[3] = 0, 0
	icmp := header.ICMPv6(ip[header.IPv6MinimumSize:])
	icmp.SetType(header.ICMPv6EchoReply)
	icmp.SetChecksum(0)
	sum := header.PseudoHeaderChecksum(header.ICMPv6ProtocolNumber, dst, src, uint16(len(icmp)))
	icmp.SetChecksum(^checksum.Checksum(icmp, sum))
}
