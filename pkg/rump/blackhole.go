package rump

// The discard NIC behind -blackhole routes. gVisor's routes have no
// blackhole kind, so the stack's table sends a blackhole route's
// destination to a NIC of its own whose link endpoint drops every packet
// it is given: a local sender's packets vanish without an error, as
// NetBSD's blackhole routes make them, and forwarded packets vanish
// without an ICMP error.
//
// The NIC is the kernel's own: it is not in Kernel.ifaces, so ifconfig,
// netstat -i and routing listings never show it; the routes through it
// are listed with the interface they were added with. gVisor picks the
// source address of a route from the route's NIC, so the NIC holds one
// address per family, from ranges no packet can legitimately carry:
// 240.0.0.1 (reserved, RFC 1112) and 100::1 (discard only, RFC 6666).
// Packets from them never leave the NIC.
//
// Ownership: created on first use by updateRoutesLocked under Kernel.mu,
// removed with the stack when the kernel halts.

import (
	"sync/atomic"

	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/header"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv6"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
)

// discardNIC is the discard NIC's id, far above any interface index.
const discardNIC tcpip.NICID = 1 << 30

// Source addresses of packets routed into the discard NIC.
var (
	discardAddr4 = tcpip.AddrFrom4([4]byte{240, 0, 0, 1})
	discardAddr6 = tcpip.AddrFrom16([16]byte{0: 0x01, 15: 0x01})
)

// discardEndpoint is a link endpoint that drops what it is given,
// counting the packets.
type discardEndpoint struct {
	dropped atomic.Uint64
	attach  atomic.Bool
}

var _ stack.LinkEndpoint = (*discardEndpoint)(nil)

// Attach implements stack.LinkEndpoint.
func (e *discardEndpoint) Attach(d stack.NetworkDispatcher) { e.attach.Store(d != nil) }

// IsAttached implements stack.LinkEndpoint.
func (e *discardEndpoint) IsAttached() bool { return e.attach.Load() }

// MTU implements stack.LinkEndpoint: as large as IPv4 allows, so nothing
// is fragmented on its way to be dropped.
func (e *discardEndpoint) MTU() uint32 { return 0xffff }

// SetMTU implements stack.LinkEndpoint.
func (e *discardEndpoint) SetMTU(uint32) {}

// Capabilities implements stack.LinkEndpoint: no link resolution.
func (*discardEndpoint) Capabilities() stack.LinkEndpointCapabilities {
	return stack.CapabilityRXChecksumOffload | stack.CapabilityTXChecksumOffload
}

// MaxHeaderLength implements stack.LinkEndpoint.
func (*discardEndpoint) MaxHeaderLength() uint16 { return 0 }

// LinkAddress implements stack.LinkEndpoint.
func (*discardEndpoint) LinkAddress() tcpip.LinkAddress { return "" }

// SetLinkAddress implements stack.LinkEndpoint.
func (*discardEndpoint) SetLinkAddress(tcpip.LinkAddress) {}

// Wait implements stack.LinkEndpoint.
func (*discardEndpoint) Wait() {}

// WritePackets implements stack.LinkEndpoint: every packet is dropped.
// The stack keeps its references to them.
func (e *discardEndpoint) WritePackets(pkts stack.PacketBufferList) (int, tcpip.Error) {
	e.dropped.Add(uint64(pkts.Len()))
	return pkts.Len(), nil
}

// ARPHardwareType implements stack.LinkEndpoint.
func (*discardEndpoint) ARPHardwareType() header.ARPHardwareType { return header.ARPHardwareNone }

// AddHeader implements stack.LinkEndpoint.
func (*discardEndpoint) AddHeader(*stack.PacketBuffer) {}

// ParseHeader implements stack.LinkEndpoint.
func (*discardEndpoint) ParseHeader(*stack.PacketBuffer) bool { return true }

// Close implements stack.LinkEndpoint.
func (*discardEndpoint) Close() {}

// SetOnCloseAction implements stack.LinkEndpoint.
func (*discardEndpoint) SetOnCloseAction(func()) {}

// discardNICLocked makes the discard NIC if it does not exist yet and
// reports whether it exists.
func (k *Kernel) discardNICLocked() bool {
	if k.discard != nil {
		return true
	}
	ep := &discardEndpoint{}
	if err := k.stack.CreateNICWithOptions(discardNIC, ep, stack.NICOptions{Name: "discard"}); err != nil {
		return false
	}
	if nep, err := k.stack.GetNetworkEndpoint(discardNIC, ipv6.ProtocolNumber); err == nil {
		if d, ok := nep.(interface {
			SetDADConfigurations(stack.DADConfigurations)
		}); ok {
			d.SetDADConfigurations(stack.DADConfigurations{})
		}
	}
	for proto, a := range map[tcpip.NetworkProtocolNumber]tcpip.Address{
		ipv4.ProtocolNumber: discardAddr4, ipv6.ProtocolNumber: discardAddr6,
	} {
		if !k.stack.CheckNetworkProtocol(proto) {
			continue
		}
		pa := tcpip.ProtocolAddress{Protocol: proto, AddressWithPrefix: a.WithPrefix()}
		k.stack.AddProtocolAddress(discardNIC, pa, stack.AddressProperties{})
	}
	k.discard = ep
	return true
}
