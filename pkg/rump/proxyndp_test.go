package rump

import (
	"testing"
	"time"

	"github.com/rumpnet/rumpnet/pkg/api"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/header"
)

// nsFrame builds a neighbour solicitation for target from src (MAC asker).
func nsFrame(asker tcpip.LinkAddress, src, target tcpip.Address, hops uint8) []byte {
	icmpLen := header.ICMPv6NeighborSolicitMinimumSize
	frame := make([]byte, header.EthernetMinimumSize+header.IPv6MinimumSize+icmpLen)
	header.Ethernet(frame).Encode(&header.EthernetFields{SrcAddr: asker,
		DstAddr: header.EthernetAddressFromMulticastIPv6Address(header.SolicitedNodeAddr(target)),
		Type:    header.IPv6ProtocolNumber})
	header.IPv6(frame[header.EthernetMinimumSize:]).Encode(&header.IPv6Fields{PayloadLength: uint16(icmpLen),
		TransportProtocol: header.ICMPv6ProtocolNumber, HopLimit: hops, SrcAddr: src, DstAddr: header.SolicitedNodeAddr(target)})
	ns := header.ICMPv6(frame[header.EthernetMinimumSize+header.IPv6MinimumSize:])
	ns.SetType(header.ICMPv6NeighborSolicit)
	header.NDPNeighborSolicit(ns.MessageBody()).SetTargetAddress(target)
	ns.SetChecksum(header.ICMPv6Checksum(header.ICMPv6ChecksumParams{Header: ns, Src: src, Dst: header.SolicitedNodeAddr(target)}))
	return frame
}

func TestProxyAdvert(t *testing.T) {
	self := tcpip.LinkAddress("\xb2\x0a\x02\x0b\x0e\x00")
	asker := tcpip.LinkAddress("\xb2\x0a\x01\x0b\x0e\x00")
	src := tcpip.AddrFrom16Slice([]byte("\xfe\x80\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02"))
	proxied := tcpip.AddrFrom16Slice([]byte("\xfc\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x60"))
	other := tcpip.AddrFrom16Slice([]byte("\xfc\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x61"))
	asked := tcpip.AddrFrom16Slice([]byte("\xfc\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01"))
	table := &proxyNDPTable{targets: map[tcpip.Address]bool{proxied: true}, src: src}
	tests := []struct {
		name  string
		frame []byte
		want  bool
	}{
		{"proxied", nsFrame(asker, asked, proxied, 255), true},
		{"not proxied", nsFrame(asker, asked, other, 255), false},
		{"DAD probe", nsFrame(asker, header.IPv6Any, proxied, 255), false},
		{"forwarded", nsFrame(asker, asked, proxied, 64), false},
		{"short", nsFrame(asker, asked, proxied, 255)[:60], false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reply := proxyAdvert(tt.frame, table, self)
			if got := reply != nil; got != tt.want {
				t.Fatalf("answered: got %v, want %v", got, tt.want)
			}
			if reply == nil {
				return
			}
			ip := header.IPv6(reply[header.EthernetMinimumSize:])
			na := header.ICMPv6(ip.Payload())
			body := header.NDPNeighborAdvert(na.MessageBody())
			opts, err := body.Options().Iter(true)
			if err != nil {
				t.Fatal(err)
			}
			opt, _, _ := opts.Next()
			tlla, _ := opt.(header.NDPTargetLinkLayerAddressOption)
			sum := header.ICMPv6Checksum(header.ICMPv6ChecksumParams{Header: na, Src: ip.SourceAddress(), Dst: ip.DestinationAddress()})
			if na.Type() != header.ICMPv6NeighborAdvert || body.TargetAddress() != proxied || !body.SolicitedFlag() ||
				body.OverrideFlag() || tcpip.LinkAddress(tlla) != self || ip.SourceAddress() != src ||
				ip.DestinationAddress() != asked || header.Ethernet(reply).DestinationAddress() != asker || sum != na.Checksum() {
				t.Errorf("got advert %x, want a solicited advert of %s at %s from %s to %s", reply, proxied, self, src, asked)
			}
		})
	}
}

// TestProxyRoute6 follows NetBSD's proxy NDP for a route with
// RTF_ANNOUNCE: kb answers ka's neighbour solicitations for a -proxy host
// route's destination with its own link address until the route goes.
func TestProxyRoute6(t *testing.T) {
	ka, kb := linkedKernels(t) // ka fc00::1, kb fc00::2 on one link
	waitAssigned(t, ka)
	waitAssigned(t, kb)
	r := api.Route{Dest: "fc00::60/128", Gateway: "fc00::2", Flags: api.RTF_STATIC | api.RTF_ANNOUNCE}
	if err := kb.AddRoute(6, r); err != nil {
		t.Fatal(err)
	}
	var virt0 *Interface
	for _, ifp := range kb.ifaces {
		if ifp.name == "virt0" {
			virt0 = ifp
		}
	}
	mac := macString(virt0.eth.LinkAddress())
	mac6 := func() string {
		for _, n := range ka.Neighbors(6) {
			if n.Addr == "fc00::60" {
				return n.LinkAddr
			}
		}
		return ""
	}
	deadline := time.Now().Add(15 * time.Second)
	for mac6() != mac {
		if time.Now().After(deadline) {
			t.Fatalf("ka's entry for fc00::60: got %q, want %s", mac6(), mac)
		}
		pingAll(t, ka, api.PingRequest{Dst: "fc00::60", Count: 1, Wait: 0.2})
	}
	if err := kb.DeleteRoute(6, r); err != nil {
		t.Fatal(err)
	}
	if p := virt0.eth.proxy6.Load(); p != nil {
		t.Errorf("after delete: got proxy table %+v, want none", *p)
	}
}
