package rump

// The paths of a bridge member, a virt or shmif interface in a bridge:
// what its endpoint does instead of its own receive and transmit paths
// while its bridgeHook is set (bridge.go adds and removes members). Data
// flow:
//
//	wire ─► receive loop ─► deliver or inputBridge ─► Bridge.Input(Meta)
//	stack ─► WritePackets ─► writeBridged ─► hook queue ─► outputLoop ─► Bridge.Output
//	Bridge ─► Send(Meta) ─► sendWire(Meta) ─► device           (a member's wire)
//	Bridge ─► Deliver(Meta) ─► deliverLocal(Meta) ─► deliverStack (a member's stack)
//
// Frames are counted on the member: received ones before the bridge takes
// them, sent ones when sendWire writes them, which counts them as the
// bridge interface's output too (countBridged).
//
// Goroutines: Bridge.Input runs on the member's receive goroutine (or its
// pipe's), Bridge.Output on the hook's own goroutine (outputLoop), which
// runs from newBridgeHook until stop; the bridge calls sendWire and
// deliverLocal on the goroutine that gave it the frame, before Input or
// Output returns. Frames from a member's stack reach
// Bridge.Output through that queue, never on the stack's sending
// goroutine: the stack may send while holding its protocol locks (NDP and
// MLD do), and the bridge may deliver the frame to another member's stack
// at once, which takes that member's locks. Two members doing so at the
// same time would deadlock; the queue breaks the cycle.
//
// Locking: the endpoint finds its hook in an atomic pointer, so the frame
// path takes no kernel lock. rxMeta, the header of the frame being
// bridged, is written by one receiving goroutine at a time (inputBridge).
//
// Offloads: a frame from a tap goes through the bridge with its
// virtio-net header, and another tap takes it as it is; any other wire,
// or a stack that forwards, gets it normalised in a copy (withNormalised,
// writeSuper), since the frame is shared with the bridge's other targets.

import (
	"sync"

	"github.com/rumpnet/rumpnet/pkg/bridge"
	"gvisor.dev/gvisor/pkg/tcpip/header"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
)

// bridgeHook is a member endpoint's link to its bridge. Its goroutine
// (outputLoop) runs from newBridgeHook until stop.
type bridgeHook struct {
	br    *bridge.Bridge
	name  string      // the member's name, the bridge's key for it
	stats *counters   // the bridge interface's counters
	out   chan []byte // frames from the member's stack, for Bridge.Output
	done  chan struct{}
	gone  chan struct{} // closed when outputLoop has returned
}

// bridgeQueue bounds the frames a member's stack may have waiting for its
// bridge; beyond it frames are dropped and counted as output errors.
const bridgeQueue = 512

func newBridgeHook(br *bridge.Bridge, name string, stats *counters) *bridgeHook {
	h := &bridgeHook{br: br, name: name, stats: stats, out: make(chan []byte, bridgeQueue),
		done: make(chan struct{}), gone: make(chan struct{})}
	go h.outputLoop()
	return h
}

func (h *bridgeHook) outputLoop() {
	defer close(h.gone)
	for {
		select {
		case f := <-h.out:
			h.br.Output(h.name, f)
		case <-h.done:
			return
		}
	}
}

// output queues a frame (which it now owns) for the bridge.
func (h *bridgeHook) output(f []byte) bool {
	select {
	case h.out <- f:
		return true
	case <-h.done:
	default:
	}
	return false
}

// stop ends the hook's goroutine and waits for it.
func (h *bridgeHook) stop() {
	close(h.done)
	<-h.gone
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
	e.taps.in(frame, nil)
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

// sendWire writes a frame the bridge forwards out of this member.
func (e *ethEndpoint) sendWire(frame []byte) {
	dev := e.liveDevice()
	if dev == nil {
		return
	}
	e.taps.out(frame)
	if mtu := e.bridgedMTU(dev, len(frame)); len(frame) > mtu+header.EthernetMinimumSize {
		e.countBridged(frame, writeSuper(dev, frame, mtu))
	} else {
		e.countBridged(frame, devWrite(dev, frame))
	}
}

// bridgedMTU is the MTU a frame of n bytes the bridge forwards out of this
// member must fit: the member's, but for an l2tp member, whose MTU need not
// be the bridge's (as in NetBSD), the larger of its own and the bridge's,
// so that a frame the size of the LAN's crosses whole and its outer packet
// is fragmented.
func (e *ethEndpoint) bridgedMTU(dev FrameDevice, n int) int {
	mtu := int(e.MTU())
	if n <= mtu+header.EthernetMinimumSize {
		return mtu
	}
	if _, ok := dev.(*l2tpPort); ok {
		if h := e.bridge.Load(); h != nil {
			mtu = max(mtu, h.br.MTU())
		}
	}
	return mtu
}

// countBridged counts a frame the bridge sent out of this member, or the
// error writing it, on the member and on the bridge interface.
func (e *ethEndpoint) countBridged(frame []byte, err error) {
	e.countWire(frame, err)
	h := e.bridge.Load()
	if h == nil || h.stats == nil {
		return
	}
	if err != nil {
		h.stats.oerrors.Add(1)
		return
	}
	h.stats.countOut(len(frame), frame[0]&1 != 0)
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
	e.taps.out(frame)
	vd, ok := asVnet(dev)
	if !ok {
		e.countBridged(frame, withNormalised(*h, frame, func(f []byte) error { return devWrite(dev, f) }))
		return
	}
	w := wireVecs.Get().(*wireVec)
	h.put(w.hdr[:])
	w.iov[0], w.iov[1] = w.hdr[:], frame
	_, err := vd.Writev(w.iov[:])
	w.iov[1] = nil
	wireVecs.Put(w)
	e.countBridged(frame, err)
}

// deliverLocal passes a frame that the bridge addressed to this member to
// the stack.
func (e *ethEndpoint) deliverLocal(frame []byte) { e.deliverStack(frame, nil, vnetHdr{}) }

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
	if !e.forwarding(frame) {
		e.deliverStack(frame, nil, *h)
		return
	}
	done := h.normalised()
	withNormalised(*h, frame, func(f []byte) error {
		e.deliverStack(f, nil, done)
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
