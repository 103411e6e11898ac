package rump

// The Ethernet link endpoint between gVisor's stack and a frame device (a
// host tap for virt, a bus port for shmif). Data flow:
//
//	device.Read(v) ─► receive loop ─► [virtio-net header: vnet.go] ─► filter (RUNNING, MAC, group, PROMISC) ─► count ─► stack
//	stack ─► WritePackets ─► device.Write or Writev (header + packet) ─► count
//
// A bridge member's frames take the bridge instead (bridge.go): received
// ones go to Bridge.Input, the stack's through the member's queue to
// Bridge.Output, and the bridge writes with sendWire.
//
// Ownership: the endpoint owns its device from SetDevice until the next
// SetDevice or Close. Each device has exactly one receive goroutine, started
// by SetDevice and ended by closing that device; SetDevice and Close wait for
// it to exit, so no frame is delivered after they return.

//
// Link state: linkstate.go.

import (
	"sync"
	"sync/atomic"

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
	noarp   atomic.Bool                // IFF_NOARP: ARP frames are neither taken nor sent
	bridge  atomic.Pointer[bridgeHook] // set while a bridge member
	vnet    atomic.Bool                // the device's frames carry a virtio-net header
	rxMeta  vnetHdr                    // the header of the frame being bridged (receiving goroutines only)
	rxValid atomic.Bool                // the frame being delivered needs no checksum verifying
	rxmu    sync.Mutex                 // held while a frame is delivered to the stack
	carrier atomic.Bool                // frames can pass on the device (link state)
	selfRep atomic.Bool                // the device reports its link state (linkReporter)
	linkmu  sync.Mutex                 // serializes a reporting device's carrier updates

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
	// routing reports whether the kernel forwards at all (either family);
	// nil means never. Offloaded frames are then normalised (vnet.go).
	routing func() bool
}

// vnetDevice is a FrameDevice whose frames are preceded by a virtio-net
// header (a host tap). It reads a header and frame scattered over several
// slices, and writes them gathered from several, in one call each.
type vnetDevice interface {
	FrameDevice
	VnetHdrLen() int
	Readv(bufs [][]byte) (int, error)
	Writev(bufs [][]byte) (int, error)
}

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
			e.carrier.Store(lr.LinkUp())
		} else {
			e.selfRep.Store(false)
			e.carrier.Store(true)
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

// inputBridge hands a bridge member's received frame, with its
// virtio-net header, to the bridge.
func (e *ethEndpoint) inputBridge(hk *bridgeHook, frame []byte, h vnetHdr) {
	if len(frame) < header.EthernetMinimumSize {
		e.stats.ierrors.Add(1)
		return
	}
	if !e.running.Load() {
		return
	}
	e.stats.countIn(len(frame), frame[0]&1 != 0)
	if h.flags == 0 && h.gsoType == vnetGSONone {
		hk.br.Input(hk.name, frame)
		return
	}
	// The bridge calls its members before InputMeta returns. rxMeta is
	// written by the receive loop when nothing is queued behind its
	// pipe's goroutine and by that goroutine otherwise (rxPipe), so
	// never by both at once.
	e.rxMeta = h
	hk.br.InputMeta(hk.name, frame, &e.rxMeta)
}

// deliverLocal passes a frame that the bridge addressed to this member to
// the stack.
func (e *ethEndpoint) deliverLocal(frame []byte) { e.deliverStack(frame, nil, false) }

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

// writeBridged hands the stack's frames to the member's bridge, which
// sends them on the wires it chooses (sendWire counts them there). A
// super-frame (the connection began before the bridge) is cut up first.
func (e *ethEndpoint) writeBridged(h *bridgeHook, pkts stack.PacketBufferList) int {
	n := 0
	noarp := e.noarp.Load()
	for _, pkt := range pkts.AsSlice() {
		n++
		if noarp && pkt.NetworkProtocolNumber == header.ARPProtocolNumber {
			continue
		}
		v := pkt.ToView()
		f := append([]byte(nil), v.AsSlice()...)
		v.Release()
		var ok bool
		switch vh := gsoVnetHdr(pkt); {
		case vh.gsoType != vnetGSONone:
			ok = segmentTCP(f, int(vh.gsoSize), make([]byte, 0, len(f)), func(seg []byte) {
				if !h.output(append([]byte(nil), seg...)) {
					e.stats.oerrors.Add(1)
				}
			})
		case vh.flags&vnetFlagNeedsCsum != 0:
			ok = completeChecksum(f, vh) && h.output(f)
		default:
			ok = h.output(f)
		}
		if !ok {
			e.stats.oerrors.Add(1)
		}
	}
	return n
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

// sendWire writes a frame the bridge forwards out of this member.
func (e *ethEndpoint) sendWire(frame []byte) {
	dev := e.liveDevice()
	if dev == nil {
		return
	}
	if mtu := int(e.MTU()); len(frame) > mtu+header.EthernetMinimumSize {
		e.countWire(frame, writeSuper(dev, frame, mtu))
	} else {
		e.countWire(frame, devWrite(dev, frame))
	}
}

// wireVec is a write of a virtio-net header and a frame by writev.
type wireVec struct {
	hdr [vnetHdrLen]byte
	iov [2][]byte
}

var wireVecs = sync.Pool{New: func() any { return new(wireVec) }}

// sendWireMeta writes a frame the bridge forwards out of this member that
// arrived on a tap with virtio-net header meta (a *vnetHdr). A tap takes
// it with the same header, partial checksum and super-frame alike, without
// a copy; another wire gets it normalised in a copy (the frame is shared
// with the bridge's other targets).
func (e *ethEndpoint) sendWireMeta(frame []byte, meta any) {
	h, ok := meta.(*vnetHdr)
	if !ok {
		e.sendWire(frame)
		return
	}
	dev := e.liveDevice()
	if dev == nil {
		return
	}
	vd, ok := asVnet(dev)
	if !ok {
		e.countWire(frame, withNormalised(*h, frame, func(f []byte) error { return devWrite(dev, f) }))
		return
	}
	w := wireVecs.Get().(*wireVec)
	h.put(w.hdr[:])
	w.iov[0], w.iov[1] = w.hdr[:], frame
	_, err := vd.Writev(w.iov[:])
	w.iov[1] = nil
	wireVecs.Put(w)
	e.countWire(frame, err)
}

// deliverLocalMeta delivers to this member's stack a frame the bridge
// addressed to it that came with virtio-net header meta (a *vnetHdr). Its
// checksums need no verifying; if the kernel forwards, it is normalised
// in a copy first, as receiveVnet does.
func (e *ethEndpoint) deliverLocalMeta(frame []byte, meta any) {
	h, ok := meta.(*vnetHdr)
	if !ok {
		e.deliverLocal(frame)
		return
	}
	if !e.forwarding() {
		e.deliverStack(frame, nil, true)
		return
	}
	withNormalised(*h, frame, func(f []byte) error {
		e.deliverStack(f, nil, true)
		return nil
	})
}

// withNormalised calls fn with frame, or its segments, without offloads,
// working on a copy; it returns fn's last error, or errBadSuper for a
// frame normalise refuses.
func withNormalised(h vnetHdr, frame []byte, fn func([]byte) error) error {
	cp, scratch := vnetBufs.Get().(*[]byte), vnetBufs.Get().(*[]byte)
	defer vnetBufs.Put(cp)
	defer vnetBufs.Put(scratch)
	*cp = append((*cp)[:0], frame...)
	var err error
	if !normalise(h, *cp, (*scratch)[:0], func(f []byte) {
		if ferr := fn(f); ferr != nil {
			err = ferr
		}
	}) {
		return errBadSuper
	}
	return err
}

// writeSuper writes a TCP super-frame that a bridge forwards to a wire
// with the given MTU: to a tap as a super-frame with a virtio-net header
// that makes the host cut it, elsewhere cut here. frame is not modified.
func writeSuper(dev FrameDevice, frame []byte, mtu int) error {
	bp := vnetBufs.Get().(*[]byte)
	defer vnetBufs.Put(bp)
	if !hasVnetHdr(dev) {
		var werr error
		ok := segmentTCP(frame, tcpMSS(frame, mtu), (*bp)[:0], func(seg []byte) {
			if _, err := dev.Write(seg); err != nil {
				werr = err
			}
		})
		if !ok {
			return errBadSuper
		}
		return werr
	}
	h, ok := superVnetHdr(frame, mtu)
	if !ok {
		return errBadSuper
	}
	b := append(append((*bp)[:0], make([]byte, vnetHdrLen)...), frame...)
	h.put(b)
	// The host expects the pseudo-header sum in the checksum field of a
	// super-frame it is to cut.
	f := b[vnetHdrLen:]
	if !setPseudoChecksum(f, h) {
		return errBadSuper
	}
	_, err := dev.Write(b)
	*bp = b[:0]
	return err
}
