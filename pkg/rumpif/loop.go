package rumpif

// The loopback link endpoint for lo(4): every packet written is delivered
// back to the same interface, and counted once as output and once as input,
// as NetBSD's lo0 counts (a ping to localhost shows 2 packets each way).

import (
	"sync"

	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/header"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
)

// loMTU is NetBSD's LOMTU.
const loMTU = 33624

type loopEndpoint struct {
	stats counters

	mu         sync.RWMutex
	dispatcher stack.NetworkDispatcher
	mtu        uint32
}

func newLoopEndpoint() *loopEndpoint { return &loopEndpoint{mtu: loMTU} }

// Attach implements stack.LinkEndpoint.
func (e *loopEndpoint) Attach(d stack.NetworkDispatcher) {
	e.mu.Lock()
	e.dispatcher = d
	e.mu.Unlock()
}

// IsAttached implements stack.LinkEndpoint.
func (e *loopEndpoint) IsAttached() bool {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.dispatcher != nil
}

// MTU implements stack.LinkEndpoint.
func (e *loopEndpoint) MTU() uint32 {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.mtu
}

// SetMTU implements stack.LinkEndpoint.
func (e *loopEndpoint) SetMTU(mtu uint32) {
	e.mu.Lock()
	e.mtu = mtu
	e.mu.Unlock()
}

// Capabilities implements stack.LinkEndpoint.
func (*loopEndpoint) Capabilities() stack.LinkEndpointCapabilities {
	return stack.CapabilityRXChecksumOffload | stack.CapabilityTXChecksumOffload | stack.CapabilityLoopback
}

// MaxHeaderLength implements stack.LinkEndpoint.
func (*loopEndpoint) MaxHeaderLength() uint16 { return 0 }

// LinkAddress implements stack.LinkEndpoint.
func (*loopEndpoint) LinkAddress() tcpip.LinkAddress { return "" }

// SetLinkAddress implements stack.LinkEndpoint.
func (*loopEndpoint) SetLinkAddress(tcpip.LinkAddress) {}

// Wait implements stack.LinkEndpoint.
func (*loopEndpoint) Wait() {}

// WritePackets implements stack.LinkEndpoint.
func (e *loopEndpoint) WritePackets(pkts stack.PacketBufferList) (int, tcpip.Error) {
	e.mu.RLock()
	d := e.dispatcher
	e.mu.RUnlock()
	for _, pkt := range pkts.AsSlice() {
		size := pkt.Size()
		e.stats.countOut(size, false)
		if d == nil {
			continue
		}
		in := stack.NewPacketBuffer(stack.PacketBufferOptions{Payload: pkt.ToBuffer()})
		e.stats.countIn(size, false)
		d.DeliverNetworkPacket(pkt.NetworkProtocolNumber, in)
		in.DecRef()
	}
	return pkts.Len(), nil
}

// ARPHardwareType implements stack.LinkEndpoint.
func (*loopEndpoint) ARPHardwareType() header.ARPHardwareType { return header.ARPHardwareLoopback }

// AddHeader implements stack.LinkEndpoint.
func (*loopEndpoint) AddHeader(*stack.PacketBuffer) {}

// ParseHeader implements stack.LinkEndpoint.
func (*loopEndpoint) ParseHeader(*stack.PacketBuffer) bool { return true }

// Close implements stack.LinkEndpoint.
func (*loopEndpoint) Close() {}

// SetOnCloseAction implements stack.LinkEndpoint.
func (*loopEndpoint) SetOnCloseAction(func()) {}
