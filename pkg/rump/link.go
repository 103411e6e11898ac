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

	"gvisor.dev/gvisor/pkg/buffer"
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

// maxFrame is the largest frame read from a device without a virtio-net
// header (NetBSD's 9018-byte limit; shmif's too).
const maxFrame = 9018

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

// expireLastHop makes an IPv4 packet that arrived with TTL 1 and is to be
// forwarded arrive with TTL 0 instead. gVisor's IPv4 forwarding only
// refuses TTL 0 and would send such a packet on with TTL 0; with this it
// answers ICMP time exceeded, as RFC 1812 requires and traceroute needs.
func (e *ethEndpoint) expireLastHop(ip header.IPv4) {
	if ip.TTL() != 1 || e.forwards == nil || !e.forwards(ip.DestinationAddress()) {
		return
	}
	ip.SetTTL(0)
	ip.SetChecksum(0)
	ip.SetChecksum(^ip.CalculateChecksum())
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

func (e *ethEndpoint) receiveLoop(dev FrameDevice, done, stop chan struct{}) {
	defer close(done)
	if vd, ok := asVnet(dev); ok {
		e.receiveVnetLoop(vd, stop)
		return
	}
	buf := make([]byte, maxFrame)
	wait := readRetryMin
	for {
		n, err := dev.Read(buf)
		if err != nil {
			if !e.readRetry(stop, &wait) {
				return
			}
			continue
		}
		if wait != readRetryMin {
			wait = readRetryMin
			e.ioWorked()
		}
		e.deliver(buf[:n], nil, false)
	}
}

// receiveVnetLoop reads frames with a virtio-net header: the header goes
// to its own slice and the frame, once the interface carries large ones,
// straight into pooled gVisor chunks, which a large frame for the local
// stack is then handed over in without a copy (rxViews).
func (e *ethEndpoint) receiveVnetLoop(dev vnetDevice, stop <-chan struct{}) {
	scratch := make([]byte, maxVnetFrame)
	var rx rxViews
	defer rx.release()
	pl := e.rxPipe()
	defer pl.stop()
	hdr := make([]byte, vnetHdrLen)
	frame := make([]byte, maxVnetFrame)
	iov := make([][]byte, 3)
	wait := readRetryMin
	for {
		// Until the first large frame the loop reads into frame, so an
		// idle interface holds no chunk (pooled chunks are cleared, and
		// so resident, when taken).
		iov[0] = hdr
		if rx.on {
			iov[1], iov[2] = rx.slices()
		} else {
			iov[1], iov[2] = frame[:rxHeadLen], frame[rxHeadLen:]
		}
		n, err := dev.Readv(iov)
		if err != nil {
			if !e.readRetry(stop, &wait) {
				return
			}
			continue
		}
		if wait != readRetryMin {
			wait = readRetryMin
			e.ioWorked()
		}
		if n < vnetHdrLen {
			e.stats.ierrors.Add(1)
			continue
		}
		n -= vnetHdrLen
		h := parseVnetHdr(hdr)
		if !rx.on {
			rx.on = n >= largeFrame
			e.receiveVnet(h, frame[:n], scratch)
			continue
		}
		if n >= largeFrame && e.localOnly() {
			// Only the headers are looked at on the way to the stack.
			buf := rx.take(n)
			pl.push(rxItem{frame: iov[1][:min(n, rxHeadLen)], buf: buf, hdr: h})
			continue
		}
		f := append(append(frame[:0], iov[1][:min(n, rxHeadLen)]...), iov[2][:max(n-rxHeadLen, 0)]...)
		if pl.busy() {
			// Behind frames still queued: queue a copy, to keep the order.
			pl.push(rxItem{hdr: h, copied: buffer.NewViewWithData(f)})
			continue
		}
		e.receiveVnet(h, f, scratch)
	}
}

// rxItem is one queued received frame that came with virtio-net header
// hdr: in its own chunks (buf, frame being its first bytes, as deliver
// takes them), or copied.
type rxItem struct {
	frame  []byte
	buf    buffer.Buffer
	hdr    vnetHdr
	copied *buffer.View
}

// rxPipe is the receive loop's pipe to the stack.
func (e *ethEndpoint) rxPipe() *pipe[rxItem] {
	var scratch []byte
	return &pipe[rxItem]{size: rxPipeLen, handle: func(it rxItem) {
		if it.copied == nil && e.localOnly() {
			e.deliver(it.frame, &it.buf, it.hdr.checked())
			return
		}
		if scratch == nil {
			scratch = make([]byte, maxVnetFrame)
		}
		if it.copied != nil {
			e.receiveVnet(it.hdr, it.copied.AsSlice(), scratch)
			it.copied.Release()
			return
		}
		// The interface joined a bridge, or forwarding was switched on,
		// since the frame was read: it goes the way a frame read now
		// would, with its header.
		f := it.buf.Flatten()
		it.buf.Release()
		e.receiveVnet(it.hdr, f, scratch)
	}}
}

// rxViews is a receive loop's read buffer: two pooled gVisor chunks, a
// small one that takes the frame's headers and a 64 KiB one for the rest.
// A large frame read into them goes to the stack in the chunks themselves
// and the next read gets new ones; a small frame is copied, so that a queued
// ACK does not pin 64 KiB. The headers have a chunk of their own because
// gVisor copies the chunk holding them (whole) when the IP layer first
// looks at them.
type rxViews struct {
	head, body *buffer.View
	on         bool // reads go to the chunks (a large frame has been seen)
}

const (
	// rxHeadLen is the size of the headers' chunk (Ethernet, IP and TCP
	// headers with options fit); the body's is buffer.MaxChunkSize, which
	// with it holds the largest frame a tap gives.
	rxHeadLen = 256
	// largeFrame is the smallest frame that is received into chunks and
	// handed over in them, and that goes through a pipe (either way).
	largeFrame = 8 << 10
)

func (r *rxViews) slices() (head, body []byte) {
	if r.head == nil {
		r.head = buffer.NewViewSize(rxHeadLen)
	}
	if r.body == nil {
		r.body = buffer.NewViewSize(buffer.MaxChunkSize)
	}
	return r.head.AsSlice(), r.body.AsSlice()
}

func (r *rxViews) release() {
	for _, v := range []**buffer.View{&r.head, &r.body} {
		if *v != nil {
			(*v).Release()
			*v = nil
		}
	}
}

// take hands over the chunks holding an n-byte frame (n > rxHeadLen) as a
// buffer.
func (r *rxViews) take(n int) buffer.Buffer {
	b := buffer.MakeWithView(r.head)
	r.body.CapLength(n - rxHeadLen)
	b.Append(r.body)
	r.head, r.body = nil, nil
	return b
}

// forwarding reports whether the kernel may forward what the interface
// receives.
func (e *ethEndpoint) forwarding() bool { return e.routing != nil && e.routing() }

// localOnly reports whether what the interface receives goes to its own
// stack alone: it is no bridge member and the kernel forwards nothing.
// Only such a frame is handed over in the chunks it was read into.
func (e *ethEndpoint) localOnly() bool { return e.bridge.Load() == nil && !e.forwarding() }

// receiveVnet takes a frame that came with virtio-net header h.
//
// Checksums: a frame with a partial checksum (NEEDS_CSUM) was made by the
// host itself, and one marked DATA_VALID was verified by it, so neither is
// verified again: the stack is told so per frame (deliverStack). A partial
// checksum is left as it is for the local stack, and completed only when
// the frame may be forwarded by IP; a super-frame goes to the local stack
// as one big TCP segment, but is cut into MSS-sized frames with full
// checksums first if it may be forwarded (normalise). A bridge member's
// frame goes to the bridge with its header, which taps among the other
// members take as it is (sendWireMeta).
func (e *ethEndpoint) receiveVnet(h vnetHdr, frame []byte, scratch []byte) {
	if hk := e.bridge.Load(); hk != nil {
		e.inputBridge(hk, frame, h)
		return
	}
	valid := h.checked()
	if !e.forwarding() {
		e.deliver(frame, nil, valid)
		return
	}
	if !normalise(h, frame, scratch, func(f []byte) { e.deliver(f, nil, valid) }) {
		e.stats.ierrors.Add(1)
	}
}

// normalise hands emit frame as it would be without offloads: a
// super-frame cut into segments, a partial checksum completed (in place).
// It reports false for a frame it cannot make sense of.
func normalise(h vnetHdr, frame, scratch []byte, emit func([]byte)) bool {
	switch {
	case h.gsoType&^vnetGSOECN != vnetGSONone:
		return segmentTCP(frame, int(h.gsoSize), scratch, emit)
	case h.flags&vnetFlagNeedsCsum != 0:
		if !completeChecksum(frame, h) {
			return false
		}
	}
	emit(frame)
	return true
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

// deliver passes one received frame up the stack (or to the bridge) if
// the receive filter accepts it. If buf is not nil it holds the whole frame,
// frame being only its first bytes (at least its headers), and deliver
// takes it over. valid tells that the frame's checksums need no verifying.
func (e *ethEndpoint) deliver(frame []byte, buf *buffer.Buffer, valid bool) {
	size := len(frame)
	if buf != nil {
		defer buf.Release()
		size = int(buf.Size())
	}
	if len(frame) < header.EthernetMinimumSize {
		e.stats.ierrors.Add(1)
		return
	}
	if !e.running.Load() {
		return
	}
	eth := header.Ethernet(frame)
	dst := eth.DestinationAddress()
	group := dst[0]&1 != 0
	if h := e.bridge.Load(); h != nil {
		e.stats.countIn(size, group)
		if buf != nil {
			// The interface joined a bridge since the frame was read.
			frame = buf.Flatten()
		}
		h.br.Input(h.name, frame)
		return
	}
	e.mu.RLock()
	mine := dst == e.mac
	e.mu.RUnlock()
	if !mine && !group && !e.promisc.Load() {
		return
	}
	e.stats.countIn(size, group)
	e.deliverStack(frame, buf, valid)
}

// deliverLocal passes a frame that the bridge addressed to this member to
// the stack.
func (e *ethEndpoint) deliverLocal(frame []byte) { e.deliverStack(frame, nil, false) }

// deliverStack passes a frame that has passed the receive filter to the
// stack; frame and buf are as for deliver, except that buf stays the
// caller's.
//
// gVisor takes "checksums verified" from the link endpoint's capabilities
// at each delivery, not from the packet; so a delivery of a frame whose
// checksums need no verifying sets rxValid for its duration, and every
// delivery through the endpoint holds rxmu, so that no other frame is
// delivered meanwhile (the bridge delivers from other goroutines).
func (e *ethEndpoint) deliverStack(frame []byte, buf *buffer.Buffer, valid bool) {
	if len(frame) < header.EthernetMinimumSize {
		return
	}
	eth := header.Ethernet(frame)
	if e.noarp.Load() && eth.Type() == header.ARPProtocolNumber {
		return
	}
	e.mu.RLock()
	mine := eth.DestinationAddress() == e.mac
	d := e.dispatcher
	e.mu.RUnlock()
	if mine && eth.Type() == header.IPv4ProtocolNumber && len(frame) >= header.EthernetMinimumSize+header.IPv4MinimumSize {
		e.expireLastHop(frame[header.EthernetMinimumSize:])
	}
	if d == nil {
		return
	}
	var payload buffer.Buffer
	if buf != nil {
		payload, *buf = *buf, buffer.Buffer{}
	} else {
		payload = pooledBuffer(frame)
	}
	pkt := stack.NewPacketBuffer(stack.PacketBufferOptions{Payload: payload})
	defer pkt.DecRef()
	if !e.ParseHeader(pkt) {
		e.stats.ierrors.Add(1)
		return
	}
	e.rxmu.Lock()
	e.rxValid.Store(valid)
	d.DeliverNetworkPacket(eth.Type(), pkt)
	e.rxValid.Store(false)
	e.rxmu.Unlock()
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

// WritePackets implements stack.LinkEndpoint: one device write per frame
// (with its virtio-net header on a tap). A frame that cannot be written is
// counted as an output error and dropped.
func (e *ethEndpoint) WritePackets(pkts stack.PacketBufferList) (int, tcpip.Error) {
	dev := e.liveDevice()
	if dev == nil {
		return 0, &tcpip.ErrClosedForSend{}
	}
	if h := e.bridge.Load(); h != nil {
		return e.writeBridged(h, pkts), nil
	}
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
	e.wmu.Lock()
	defer e.wmu.Unlock()
	err := devWrite(dev, frame)
	e.countWire(frame, err)
	return err
}

// pooledPiece is the largest piece of a frame copied into one buffer
// chunk: gVisor pools chunks up to 64 KiB and allocates (and clears) larger
// ones, which a 64 KiB super-frame plus headers would need.
const pooledPiece = 32 << 10

// pooledBuffer copies frame into a buffer made of pooled chunks, its first
// rxHeadLen bytes in a chunk of their own (see rxViews).
func pooledBuffer(frame []byte) buffer.Buffer {
	n := min(len(frame), rxHeadLen)
	b := buffer.MakeWithData(frame[:n])
	for frame = frame[n:]; len(frame) > 0; frame = frame[n:] {
		n = min(len(frame), pooledPiece)
		b.Append(buffer.NewViewWithData(frame[:n]))
	}
	return b
}
