package rump

import (
	"testing"

	"gvisor.dev/gvisor/pkg/buffer"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/checksum"
	"gvisor.dev/gvisor/pkg/tcpip/header"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
)

// tooBigPacket builds a packet too big message from src to hostA6 saying
// mtu, quoting the start of a packet from hostA6 to hostB6.
func tooBigPacket(src tcpip.Address, mtu uint32) *stack.PacketBuffer {
	quoted := make([]byte, header.IPv6MinimumSize+8)
	header.IPv6(quoted).Encode(&header.IPv6Fields{PayloadLength: 1400, TransportProtocol: header.UDPProtocolNumber,
		HopLimit: 63, SrcAddr: hostA6, DstAddr: hostB6})
	pkt := stack.NewPacketBuffer(stack.PacketBufferOptions{ReserveHeaderBytes: 64, Payload: buffer.MakeWithData(quoted)})
	icmp := header.ICMPv6(pkt.TransportHeader().Push(header.ICMPv6PacketTooBigMinimumSize))
	icmp.SetType(header.ICMPv6PacketTooBig)
	icmp.SetMTU(mtu)
	sum := header.PseudoHeaderChecksum(header.ICMPv6ProtocolNumber, src, hostA6, uint16(len(icmp)+len(quoted)))
	icmp.SetChecksum(^checksum.Checksum(icmp, checksum.Checksum(quoted, sum)))
	pkt.TransportProtocolNumber = header.ICMPv6ProtocolNumber
	header.IPv6(pkt.NetworkHeader().Push(header.IPv6MinimumSize)).Encode(&header.IPv6Fields{
		PayloadLength: uint16(len(icmp) + len(quoted)), TransportProtocol: header.ICMPv6ProtocolNumber,
		HopLimit: 64, SrcAddr: src, DstAddr: hostA6})
	pkt.NetworkProtocolNumber = header.IPv6ProtocolNumber
	return pkt
}

// TestTooBigMTU: a packet too big message the router makes with no MTU
// leaves with the outgoing link's, its checksum still right; one it
// forwards for another router, or one that has an MTU, leaves as it is.
func TestTooBigMTU(t *testing.T) {
	k, _, _ := routerKernel(t)
	setup(t, k.SetMTU("virt1", 1400))
	own := tcpip.AddrFrom16([16]byte{0xfc, 0x01, 15: 1})
	tests := []struct {
		name     string
		src      tcpip.Address
		mtu, out uint32
	}{
		{"the router's own", own, 0, 1400},
		{"another router's, forwarded", tcpip.AddrFrom16([16]byte{0xfc, 0x01, 15: 9}), 0, 0},
		{"one with an MTU", own, 1300, 1300},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pkt := tooBigPacket(tt.src, tt.mtu)
			defer pkt.DecRef()
			k.fixTooBig(pkt)
			v := pkt.ToView()
			defer v.Release()
			b := v.AsSlice()
			ip := header.IPv6(b)
			m := header.ICMPv6(ip.Payload())
			if m.MTU() != tt.out {
				t.Errorf("MTU: got %d, want %d", m.MTU(), tt.out)
			}
			sum := header.PseudoHeaderChecksum(header.ICMPv6ProtocolNumber, ip.SourceAddress(), ip.DestinationAddress(), uint16(len(m)))
			if s := checksum.Checksum(m, sum); s != 0xffff {
				t.Errorf("checksum: got sum %#x, want 0xffff", s)
			}
		})
	}
}
