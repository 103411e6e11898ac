package rump

// Matching an ICMP message to a traceroute probe, and what the answer
// means for the run. Pure functions of the message bytes, from the ICMP
// header on (the IPv4 header already stripped).

import (
	"encoding/binary"

	"gvisor.dev/gvisor/pkg/tcpip/header"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv6"
)

// answers reports whether msg answers the run's last probe.
func (p *traceRun) answers(msg []byte) bool {
	return traceMatches(p.t.proto == ipv6.ProtocolNumber, p.req.ICMP, msg, p.ident, uint16(p.req.Port+p.seq), uint16(p.seq))
}

// traceMatches reports whether ICMP message msg answers a probe: a time
// exceeded in transit or a destination unreachable quoting the probe's
// UDP ports (sport, dport) or echo identifier and sequence number
// (ident=sport, seq), or, for ICMP probes, the echo reply itself.
func traceMatches(inet6, icmpProbe bool, msg []byte, sport, dport, seq uint16) bool {
	if len(msg) < 8 {
		return false
	}
	typ, code := msg[0], msg[1]
	var quoted []byte // the quoted transport header
	var proto uint8
	if inet6 {
		switch header.ICMPv6Type(typ) {
		case header.ICMPv6EchoReply:
			return icmpProbe && binary.BigEndian.Uint16(msg[4:]) == sport && binary.BigEndian.Uint16(msg[6:]) == seq
		case header.ICMPv6TimeExceeded:
			if code != 0 {
				return false
			}
		case header.ICMPv6DstUnreachable:
		default:
			return false
		}
		ip := msg[8:]
		if len(ip) < header.IPv6MinimumSize+8 {
			return false
		}
		proto, quoted = header.IPv6(ip).NextHeader(), ip[header.IPv6MinimumSize:]
	} else {
		switch header.ICMPv4Type(typ) {
		case header.ICMPv4EchoReply:
			return icmpProbe && binary.BigEndian.Uint16(msg[4:]) == sport && binary.BigEndian.Uint16(msg[6:]) == seq
		case header.ICMPv4TimeExceeded:
			if code != 0 {
				return false
			}
		case header.ICMPv4DstUnreachable:
		default:
			return false
		}
		ip := msg[8:]
		if len(ip) < header.IPv4MinimumSize {
			return false
		}
		hl := int(header.IPv4(ip).HeaderLength())
		if hl < header.IPv4MinimumSize || len(ip) < hl+8 {
			return false
		}
		proto, quoted = header.IPv4(ip).Protocol(), ip[hl:]
	}
	if icmpProbe {
		want := uint8(header.ICMPv4ProtocolNumber)
		echo := byte(header.ICMPv4Echo)
		if inet6 {
			want, echo = uint8(header.ICMPv6ProtocolNumber), byte(header.ICMPv6EchoRequest)
		}
		return proto == want && quoted[0] == echo &&
			binary.BigEndian.Uint16(quoted[4:]) == sport && binary.BigEndian.Uint16(quoted[6:]) == seq
	}
	return proto == uint8(header.UDPProtocolNumber) &&
		binary.BigEndian.Uint16(quoted[0:]) == sport && binary.BigEndian.Uint16(quoted[2:]) == dport
}

// verdict says what an answer means for the run, as NetBSD's traceroute
// counts it: the destination was reached (port unreachable, protocol
// unreachable, echo reply), or the probe was refused on the way (any
// other unreachable); a time exceeded is neither.
func (p *traceRun) verdict(msg []byte) (reached, refused bool) {
	return traceVerdict(p.t.proto == ipv6.ProtocolNumber, msg[0], msg[1])
}

func traceVerdict(inet6 bool, typ, code byte) (reached, refused bool) {
	if inet6 {
		switch header.ICMPv6Type(typ) {
		case header.ICMPv6EchoReply:
			return true, false
		case header.ICMPv6DstUnreachable:
			if header.ICMPv6Code(code) == header.ICMPv6PortUnreachable {
				return true, false
			}
			return false, true
		}
		return false, false
	}
	switch header.ICMPv4Type(typ) {
	case header.ICMPv4EchoReply:
		return true, false
	case header.ICMPv4DstUnreachable:
		switch header.ICMPv4Code(code) {
		case header.ICMPv4PortUnreachable, header.ICMPv4ProtoUnreachable:
			return true, false
		}
		return false, true
	}
	return false, false
}
