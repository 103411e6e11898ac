package rump

// Proxy NDP: the destinations of inet6 host routes added with -proxy
// (RTF_ANNOUNCE) are answered for on the route's interface, as NetBSD's
// nd6_ns_input does for such a route: a neighbour solicitation for one of
// them gets a solicited advertisement, without the override flag, giving
// the interface's own link address, sent from the interface's link-local
// address. Like proxy ARP (proxyarp.go) the table is an immutable value
// behind an atomic pointer on the endpoint, replaced under Kernel.mu, and
// the solicitation still goes on to the stack, which ignores it.
// Solicitations from the unspecified address (DAD probes) are not
// answered.

import (
	"github.com/rumpnet/rumpnet/pkg/api"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/header"
)

// proxyNDPTable is an interface's proxied inet6 addresses and the
// link-local address it answers from.
type proxyNDPTable struct {
	targets map[tcpip.Address]bool
	src     tcpip.Address
}

// answerProxyNDP answers a neighbour solicitation in frame (Ethernet
// header included) whose target is proxied on this interface.
func (e *ethEndpoint) answerProxyNDP(frame []byte) {
	t := e.proxy6.Load()
	if t == nil {
		return
	}
	if reply := proxyAdvert(frame, t, e.LinkAddress()); reply != nil {
		e.writeFrame(reply)
	}
}

// proxyAdvert returns the advertisement answering a neighbour
// solicitation in frame for a target t proxies, sent from self; nil for
// any other frame.
func proxyAdvert(frame []byte, t *proxyNDPTable, self tcpip.LinkAddress) []byte {
	const ipOff = header.EthernetMinimumSize
	if len(frame) < ipOff+header.IPv6MinimumSize+header.ICMPv6NeighborSolicitMinimumSize ||
		header.Ethernet(frame).Type() != header.IPv6ProtocolNumber {
		return nil
	}
	ip := header.IPv6(frame[ipOff:])
	if int(ip.PayloadLength()) > len(ip)-header.IPv6MinimumSize || ip.TransportProtocol() != header.ICMPv6ProtocolNumber ||
		ip.HopLimit() != header.NDPHopLimit {
		return nil
	}
	ns := header.ICMPv6(ip.Payload())
	if len(ns) < header.ICMPv6NeighborSolicitMinimumSize || ns.Type() != header.ICMPv6NeighborSolicit || ns.Code() != 0 {
		return nil
	}
	target := header.NDPNeighborSolicit(ns.MessageBody()).TargetAddress()
	asker := ip.SourceAddress()
	if !t.targets[target] || asker == header.IPv6Any {
		return nil
	}
	opts := header.NDPOptionsSerializer{header.NDPTargetLinkLayerAddressOption(self)}
	icmpLen := header.ICMPv6NeighborAdvertMinimumSize + opts.Length()
	reply := make([]byte, ipOff+header.IPv6MinimumSize+icmpLen)
	header.Ethernet(reply).Encode(&header.EthernetFields{
		SrcAddr: self,
		DstAddr: header.Ethernet(frame).SourceAddress(),
		Type:    header.IPv6ProtocolNumber,
	})
	header.IPv6(reply[ipOff:]).Encode(&header.IPv6Fields{
		PayloadLength:     uint16(icmpLen),
		TransportProtocol: header.ICMPv6ProtocolNumber,
		HopLimit:          header.NDPHopLimit,
		SrcAddr:           t.src,
		DstAddr:           asker,
	})
	na := header.ICMPv6(reply[ipOff+header.IPv6MinimumSize:])
	na.SetType(header.ICMPv6NeighborAdvert)
	body := header.NDPNeighborAdvert(na.MessageBody())
	body.SetSolicitedFlag(true)
	body.SetTargetAddress(target)
	body.Options().Serialize(opts)
	na.SetChecksum(header.ICMPv6Checksum(header.ICMPv6ChecksumParams{Header: na, Src: t.src, Dst: asker}))
	return reply
}

// syncProxyNDPLocked gives the interface's receive path the proxied
// destinations of its -proxy inet6 host routes; none while it has no
// link-local address to answer from.
func (k *Kernel) syncProxyNDPLocked(ifp *Interface) {
	if ifp.eth == nil {
		return
	}
	t := &proxyNDPTable{targets: map[tcpip.Address]bool{}}
	for _, a := range ifp.addrs {
		if p := a.prefix.Addr(); p.Is6() && p.IsLinkLocalUnicast() && t.src.BitLen() == 0 {
			t.src = tcpip.AddrFrom16(p.As16())
		}
	}
	for _, r := range k.routes {
		if r.ifp == ifp && r.flags&(api.RTF_ANNOUNCE|api.RTF_HOST) == api.RTF_ANNOUNCE|api.RTF_HOST &&
			r.dest.Addr().Is6() {
			t.targets[tcpip.AddrFrom16(r.dest.Addr().As16())] = true
		}
	}
	if len(t.targets) == 0 || t.src.BitLen() == 0 {
		ifp.eth.proxy6.Store(nil)
		return
	}
	ifp.eth.proxy6.Store(t)
}
