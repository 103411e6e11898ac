package rump

// The transmit path of an Ethernet interface: the stack's frames down to
// its device. Data flow:
//
//	stack ─► WritePackets ─┬─► copy into wbuf ─► device.Write                         (bus port)
//	                       └─► [txPipe] ─► writeVnet: header + packet ─► device.Writev (tap)
//
// and each frame counted, a failed write as an output error. Frames built
// outside the stack (a gratuitous ARP) take writeFrame. A bridge member's
// go to the bridge instead (writeBridged, bridgemember.go).
//
// Goroutines: WritePackets runs on whichever of the stack's goroutines
// sends. On a tap a large frame, and any frame behind one, is queued for
// the transmit pipe's goroutine (txPipe, pipe.go), which writes it while
// the sender goes on. The pipe belongs to one device and is stopped when
// SetDevice lets that device go (stopTx).
//
// Locking: wmu serializes the stack's writes and guards their scratch
// (wbuf, hdr, iov) and the pipe; the device is looked up under mu (read)
// and written without it.
//
// Ownership: a packet queued on the pipe carries a reference that the
// pipe's goroutine drops once it is written; a packet written at once is
// the stack's throughout, its slices written without a copy on a tap.

import (
	"sync"

	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/header"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
)

// WritePackets implements stack.LinkEndpoint: one device write per frame
// (with its virtio-net header on a tap). A frame that cannot be written is
// counted as an output error and dropped.
func (e *ethEndpoint) WritePackets(pkts stack.PacketBufferList) (int, tcpip.Error) {
	dev := e.liveDevice()
	if dev == nil {
		return 0, &tcpip.ErrClosedForSend{}
	}
	if e.noMedia.Load() {
		// Media none: the frames are dropped, as NetBSD's shmif drops them.
		e.stats.oerrors.Add(uint64(pkts.Len()))
		return pkts.Len(), nil
	}
	e.patchTooBig(pkts)
	e.stats.countForwarded(pkts)
	if h := e.bridge.Load(); h != nil {
		return e.writeBridged(h, pkts), nil
	}
	e.taps.outPkts(pkts)
	vd, vnet := asVnet(dev)
	e.wmu.Lock()
	defer e.wmu.Unlock()
	n := 0
	noarp := e.noarp.Load()
	for _, pkt := range pkts.AsSlice() {
		if noarp && pkt.NetworkProtocolNumber == header.ARPProtocolNumber {
			n++ // dropped on purpose, as an interface without ARP does
			continue
		}
		if vnet {
			if tx := e.txFor(vd, pkt); tx != nil {
				pkt.IncRef() // the pipe's goroutine releases it
				tx.push(pkt)
				n++
				continue
			}
			var ok bool
			if e.iov, ok = e.writeVnet(vd, pkt, e.hdr[:], e.iov); ok {
				n++
			}
			continue
		}
		e.wbuf = e.wbuf[:0]
		for _, s := range pkt.AsSlices() {
			e.wbuf = append(e.wbuf, s...)
		}
		if _, err := dev.Write(e.wbuf); err != nil {
			e.stats.oerrors.Add(1)
			e.ioFailed()
			continue
		}
		e.ioWorked()
		e.stats.countOut(len(e.wbuf), len(e.wbuf) > 0 && e.wbuf[0]&1 != 0)
		n++
	}
	return n, nil
}

// txPipe is a tap's pipe from the stack: its goroutine writes the frames
// the stack's goroutines queue (pipe).
type txPipe struct {
	pipe[*stack.PacketBuffer]
	dev vnetDevice
}

// txFor returns the pipe to queue pkt on for dev, or nil to write it
// directly: a frame of largeFrame bytes or more is queued, a smaller one
// only behind queued ones. The caller holds wmu.
func (e *ethEndpoint) txFor(dev vnetDevice, pkt *stack.PacketBuffer) *txPipe {
	tx := e.tx
	if tx != nil && tx.dev != dev {
		return nil // the device is being replaced; SetDevice stops that pipe
	}
	if tx != nil && tx.busy() {
		return tx
	}
	if pkt.Size() < largeFrame {
		return nil
	}
	if tx == nil {
		tx = &txPipe{pipe: pipe[*stack.PacketBuffer]{size: txPipeLen}, dev: dev}
		var hdr [vnetHdrLen]byte
		var iov [][]byte
		tx.handle = func(pkt *stack.PacketBuffer) {
			iov, _ = e.writeVnet(dev, pkt, hdr[:], iov)
			pkt.DecRef()
		}
		e.tx = tx
	}
	return tx
}

// stopTx ends the transmit pipe of a device that has been replaced.
func (e *ethEndpoint) stopTx(old FrameDevice) {
	e.wmu.Lock()
	tx := e.tx
	if tx == nil || FrameDevice(tx.dev) != old {
		e.wmu.Unlock()
		return
	}
	e.tx = nil
	e.wmu.Unlock()
	tx.stop() // what is queued fails to be written: output errors
}

// writeVnet writes one of the stack's packets to a tap with its
// virtio-net header, from the packet's own slices (no copy), and counts
// it (an error as an output error); hdr and iov are the caller's scratch,
// iov returned for reuse.
func (e *ethEndpoint) writeVnet(dev vnetDevice, pkt *stack.PacketBuffer, hdr []byte, iov [][]byte) ([][]byte, bool) {
	gsoVnetHdr(pkt).put(hdr)
	iov = append(append(iov[:0], hdr), pkt.AsSlices()...)
	_, err := dev.Writev(iov)
	group := len(iov) > 1 && len(iov[1]) > 0 && iov[1][0]&1 != 0
	clear(iov) // the packet's buffers go back to their pool
	if err != nil {
		e.stats.oerrors.Add(1)
		e.ioFailed()
		return iov, false
	}
	e.ioWorked()
	e.stats.countOut(pkt.Size(), group)
	return iov, true
}

// writeFrame sends a frame built outside the stack (a gratuitous ARP),
// counted like any other output.
func (e *ethEndpoint) writeFrame(frame []byte) error {
	dev := e.liveDevice()
	if dev == nil {
		return nil
	}
	if h := e.bridge.Load(); h != nil {
		if !h.output(append([]byte(nil), frame...)) {
			e.stats.oerrors.Add(1)
		}
		return nil
	}
	e.taps.out(frame)
	e.wmu.Lock()
	defer e.wmu.Unlock()
	err := devWrite(dev, frame)
	e.countWire(frame, err)
	return err
}

// vnetBufs holds write buffers for frames that need a virtio-net header
// put in front of them outside the stack's write path.
var vnetBufs = sync.Pool{New: func() any { b := make([]byte, 0, maxVnetFrame); return &b }}

// devWrite writes a frame built outside the stack, with an empty
// virtio-net header if the device takes one.
func devWrite(dev FrameDevice, frame []byte) error {
	if !hasVnetHdr(dev) {
		_, err := dev.Write(frame)
		return err
	}
	bp := vnetBufs.Get().(*[]byte)
	b := append(append((*bp)[:0], make([]byte, vnetHdrLen)...), frame...)
	_, err := dev.Write(b)
	*bp = b[:0]
	vnetBufs.Put(bp)
	return err
}

// countWire counts a frame written to the wire, or the error writing it.
func (e *ethEndpoint) countWire(frame []byte, err error) {
	if err != nil {
		e.stats.oerrors.Add(1)
		e.ioFailed()
		return
	}
	e.ioWorked()
	e.stats.countOut(len(frame), frame[0]&1 != 0)
}
