package rump

// The Ethernet link endpoint between gVisor's stack and a frame device (a
// host tap for virt, a bus port for shmif): its construction, the device
// it owns, and what it tells the stack (stack.LinkEndpoint,
// stack.GSOEndpoint). The frame paths have files of their own:
//
//	linkrecv.go      device ─► receive filter ─► stack
//	linksend.go      stack ─► device
//	bridgemember.go  both, through the bridge, for a bridge member
//	linkstate.go     carrier, and retrying after device errors
//	vnet.go          a tap's virtio-net header and offloads
//	pipe.go          a second goroutine per direction for large frames
//	counters.go      statistics
//
// Ownership: the endpoint owns its device from SetDevice until the next
// SetDevice or Close. Each device has exactly one receive goroutine, started
// by SetDevice and ended by closing that device; SetDevice and Close wait for
// it to exit, so no frame is delivered after they return.
//
// Locking: mu guards the device, the address, the MTU and the dispatcher;
// the frame paths take it (read) to look them up and let go of it before
// they call the device or the stack. What they test per frame (running,
// promisc, noarp, bridge, vnet, carrier) is atomic.

import (
	"sync"
	"sync/atomic"

	"github.com/rumpnet/rumpnet/pkg/hosttap"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/header"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
)

// FrameDevice is where a virt interface's frames go, normally a host tap:
// one frame per Read and per Write. Close makes a blocked Read return an
// error.
type FrameDevice interface {
	Read([]byte) (int, error)
	Write([]byte) (int, error)
	Close() error
}

// maxVirtMTU is the largest virt MTU: what a Linux tap takes.
const maxVirtMTU = 65520

// ethEndpoint is a stack.LinkEndpoint for Ethernet frames over a FrameDevice.
type ethEndpoint struct {
	stats   counters
	running atomic.Bool // frames pass only while the interface is RUNNING
	promisc atomic.Bool
	noarp   atomic.Bool                   // IFF_NOARP: ARP frames are neither taken nor sent
	proxy   atomic.Pointer[proxyTable]    // published ARP entries (proxyarp.go)
	proxy6  atomic.Pointer[proxyNDPTable] // proxied inet6 addresses (proxyndp.go)
	bridge  atomic.Pointer[bridgeHook]    // set while a bridge member
	vnet    atomic.Bool                   // the device's frames carry a virtio-net header
	rxMeta  vnetHdr                       // the header of the frame being bridged (receiving goroutines only)
	rxValid atomic.Bool                   // the frame being delivered needs no checksum verifying
	rxmu    sync.Mutex                    // held while a frame is delivered to the stack
	carrier atomic.Bool                   // frames can pass on the device (link state)
	noMedia atomic.Bool                   // media none: the link is down and nothing is sent
	selfRep atomic.Bool                   // the device reports its link state (linkReporter)
	linkmu  sync.Mutex                    // serializes a reporting device's carrier updates
	onLink  func()                        // called when carrier changes; set before any device

	taps captureTaps // live captures (capture.go)

	trunk atomic.Pointer[vlanTrunk] // the vlans on this interface, nil for none (vlan.go)

	mu         sync.RWMutex
	dispatcher stack.NetworkDispatcher
	mac        tcpip.LinkAddress
	mtu        uint32
	dev        FrameDevice
	readerDone chan struct{} // closed when dev's receive loop exits
	readerStop chan struct{} // closed before dev is let go, to end its receive loop

	wmu  sync.Mutex // serializes the stack's writes and guards wbuf, hdr, iov, tx
	wbuf []byte
	hdr  [vnetHdrLen]byte
	iov  [][]byte
	tx   *txPipe // writes the stack's large frames to a tap; nil until the first

	// forwards reports whether the kernel would forward an IPv4 packet to
	// dst (forwarding is on and dst is not one of its addresses); nil means
	// never.
	forwards func(dst tcpip.Address) bool
	// forwardHook, if set, sees every IPv4 (inet6 false) or IPv6 packet
	// addressed to the endpoint's MAC before the stack does (redirects).
	forwardHook func(pkt []byte, inet6 bool)
	// routing reports whether the kernel may forward the packet in an
	// Ethernet frame (forwarding of its family is on and its destination
	// is not one of the kernel's addresses); nil means never. Such a frame
	// is normalised if offloaded (vnet.go).
	routing func(frame []byte) bool
	// echo, if set, answers an ICMP echo request for one of the
	// interface's own addresses in the receive path, and reports whether
	// it did (echo.go); nil means the stack answers them all.
	echo func(frame []byte) bool
	// fast, if set, is the kernel's fast forwarding path (fastfwd.go),
	// which this endpoint's frames to be forwarded try first; nic is the
	// endpoint's NIC, fwdNeigh the receive path's neighbour lookups.
	fast     *fastPath
	nic      tcpip.NICID
	fwdNeigh neighProbe
	// inGroup, if set, reports whether the interface is in a multicast
	// group: the receive filter then drops IP multicast to other groups
	// (wantsGroupFrame), as a NIC's multicast filter would.
	inGroup func(tcpip.Address) bool
	// kernel, if set, fixes the packet too big messages the endpoint
	// sends (fastfwd_toobig.go).
	kernel *Kernel
}

var (
	_ linkEndpoint      = (*ethEndpoint)(nil) // a stack.LinkEndpoint with counters
	_ stack.GSOEndpoint = (*ethEndpoint)(nil)
)

// vnetDevice is a FrameDevice whose frames are preceded by a virtio-net
// header (a host tap). It reads a header and frame scattered over several
// slices, and writes them gathered from several, in one call each.
type vnetDevice interface {
	FrameDevice
	VnetHdrLen() int
	Readv(bufs [][]byte) (int, error)
	Writev(bufs [][]byte) (int, error)
}

var _ vnetDevice = (*hosttap.Tap)(nil)

// asVnet returns dev as a vnetDevice if its frames carry our header.
func asVnet(dev FrameDevice) (vnetDevice, bool) {
	v, ok := dev.(vnetDevice)
	return v, ok && v.VnetHdrLen() == vnetHdrLen
}

func hasVnetHdr(dev FrameDevice) bool {
	_, ok := asVnet(dev)
	return ok
}

func newEthEndpoint(mac tcpip.LinkAddress, mtu uint32) *ethEndpoint {
	return &ethEndpoint{mac: mac, mtu: mtu}
}

// SetDevice replaces the endpoint's device (nil detaches), closing the old
// one and waiting for its receive loop to end.
func (e *ethEndpoint) SetDevice(dev FrameDevice) {
	e.mu.Lock()
	old, oldDone, oldStop := e.dev, e.readerDone, e.readerStop
	e.dev, e.readerDone, e.readerStop = dev, nil, nil
	e.vnet.Store(dev != nil && hasVnetHdr(dev))
	if dev != nil {
		if lr, ok := dev.(linkReporter); ok {
			e.selfRep.Store(true)
			lr.NotifyLink(func() { e.linkChanged(lr) })
			e.setCarrier(lr.LinkUp())
		} else {
			e.selfRep.Store(false)
			e.setCarrier(true)
		}
		done, stop := make(chan struct{}), make(chan struct{})
		e.readerDone, e.readerStop = done, stop
		go e.receiveLoop(dev, done, stop)
	}
	e.mu.Unlock()
	if old != nil {
		close(oldStop)
		old.Close()
		<-oldDone
		e.stopTx(old)
	}
}

// hasDevice reports whether a device is attached.
func (e *ethEndpoint) hasDevice() bool {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.dev != nil
}

// Attach implements stack.LinkEndpoint.
func (e *ethEndpoint) Attach(d stack.NetworkDispatcher) {
	e.mu.Lock()
	e.dispatcher = d
	e.mu.Unlock()
}

// IsAttached implements stack.LinkEndpoint.
func (e *ethEndpoint) IsAttached() bool {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.dispatcher != nil
}

// MTU implements stack.LinkEndpoint.
func (e *ethEndpoint) MTU() uint32 {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.mtu
}

// SetMTU implements stack.LinkEndpoint.
func (e *ethEndpoint) SetMTU(mtu uint32) {
	e.mu.Lock()
	e.mtu = mtu
	e.mu.Unlock()
}

// MaxHeaderLength implements stack.LinkEndpoint.
func (*ethEndpoint) MaxHeaderLength() uint16 { return header.EthernetMinimumSize }

// LinkAddress implements stack.LinkEndpoint.
func (e *ethEndpoint) LinkAddress() tcpip.LinkAddress {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.mac
}

// SetLinkAddress implements stack.LinkEndpoint.
func (e *ethEndpoint) SetLinkAddress(mac tcpip.LinkAddress) {
	e.mu.Lock()
	e.mac = mac
	e.mu.Unlock()
}

// Capabilities implements stack.LinkEndpoint. The stack reads RX checksum
// offload only when a frame is delivered (deliverStack).
func (e *ethEndpoint) Capabilities() stack.LinkEndpointCapabilities {
	c := stack.CapabilityResolutionRequired
	if e.rxValid.Load() {
		c |= stack.CapabilityRXChecksumOffload
	}
	return c
}

// Wait implements stack.LinkEndpoint. The receive loop is waited for by
// SetDevice, which the interface calls on destroy.
func (*ethEndpoint) Wait() {}

// ARPHardwareType implements stack.LinkEndpoint.
func (*ethEndpoint) ARPHardwareType() header.ARPHardwareType { return header.ARPHardwareEther }

// AddHeader implements stack.LinkEndpoint. The source is always the
// interface's current address, not the one a route cached, so activating a
// new link address takes effect for every connection at once.
func (e *ethEndpoint) AddHeader(pkt *stack.PacketBuffer) {
	eth := header.Ethernet(pkt.LinkHeader().Push(header.EthernetMinimumSize))
	eth.Encode(&header.EthernetFields{
		SrcAddr: e.LinkAddress(),
		DstAddr: pkt.EgressRoute.RemoteLinkAddress,
		Type:    pkt.NetworkProtocolNumber,
	})
}

// ParseHeader implements stack.LinkEndpoint.
func (*ethEndpoint) ParseHeader(pkt *stack.PacketBuffer) bool {
	_, ok := pkt.LinkHeader().Consume(header.EthernetMinimumSize)
	return ok
}

// Close implements stack.LinkEndpoint.
func (*ethEndpoint) Close() {}

// SetOnCloseAction implements stack.LinkEndpoint.
func (*ethEndpoint) SetOnCloseAction(func()) {}

// GSOMaxSize implements stack.GSOEndpoint.
func (*ethEndpoint) GSOMaxSize() uint32 { return gsoMaxSize }

// SupportedGSO implements stack.GSOEndpoint: the host segments the stack's
// super-frames when the device takes a virtio-net header and the frames go
// straight to it (not through a bridge).
func (e *ethEndpoint) SupportedGSO() stack.SupportedGSO {
	if e.vnet.Load() && e.bridge.Load() == nil {
		return stack.HostGSOSupported
	}
	return stack.GSONotSupported
}

// liveDevice returns the device while the interface is RUNNING, else nil.
func (e *ethEndpoint) liveDevice() FrameDevice {
	e.mu.RLock()
	dev := e.dev
	e.mu.RUnlock()
	if dev == nil || !e.running.Load() {
		return nil
	}
	return dev
}
