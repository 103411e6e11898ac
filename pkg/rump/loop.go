package rump

// The loopback link endpoint for lo(4): every packet written is delivered
// back to the same interface, and counted once as output and once as input,
// as NetBSD's lo0 counts (a ping to localhost shows 2 packets each way).

import (
	"sync"
	"sync/atomic"

	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/header"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
)

// loMTU is NetBSD's LOMTU.
const loMTU = 33624

// The stack's loopback NIC. gVisor sends everything addressed to one of
// the stack's own addresses through one loopback NIC, the last one created
// whose endpoint says it is loopback (CapabilityLoopback), whatever the
// address's interface. That must stay lo0: through lo1 the echo reply to a
// ping of 127.0.0.1 is lost, and NetBSD's lo1 carries nothing until it has
// an address. So a loopback endpoint hides the capability while its NIC is
// created unless it is lo0's (attached set false), and shows it from then
// on, which keeps lo1 loopback in every other respect (martian checks, no
// MLD, no DAD).

type loopEndpoint struct {
	stats counters
	// attached is false while the NIC of an endpoint other than lo0's is
	// being created; the capability is hidden then.
	attached atomic.Bool

	taps captureTaps // live captures (capture.go)

	mu         sync.RWMutex
	dispatcher stack.NetworkDispatcher
	mtu        uint32
}

var _ linkEndpoint = (*loopEndpoint)(nil) // a stack.LinkEndpoint with counters

// newLoopEndpoint makes a loopback endpoint; primary is for lo0, whose
// NIC becomes the stack's loopback NIC. Another's attached is set once its
// NIC exists.
func newLoopEndpoint(primary bool) *loopEndpoint {
	e := &loopEndpoint{mtu: loMTU}
	e.attached.Store(primary)
	return e
}

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
func (e *loopEndpoint) Capabilities() stack.LinkEndpointCapabilities {
	c := stack.CapabilityRXChecksumOffload | stack.CapabilityTXChecksumOffload
	if e.attached.Load() {
		c |= stack.CapabilityLoopback
	}
	return c
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
	e.taps.outLoop(pkts)
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
