package rump

// The receive path of an Ethernet interface: frames from its device up to
// the stack. Data flow:
//
//	device.Read  ─► receiveLoop ─► deliver ─► deliverStack ─► stack                         (bus port)
//	device.Readv ─► receiveVnetLoop ─► [rxPipe] ─► [receiveVnet] ─► deliver ─► deliverStack (tap)
//
// The bracketed steps are taken by some frames: the pipe by large ones and
// those queued behind them; receiveVnet, which handles the virtio-net
// header (offloads: vnet.go), by all but a large frame for the local stack
// alone. deliver is the receive filter (RUNNING, MAC, joined group,
// PROMISC) and counts what passes. A bridge member's frames turn off to the bridge in
// receiveVnet or deliver (bridgemember.go).
//
// Goroutines: each device has one receive goroutine, receiveLoop, started
// by SetDevice and ended by closing the device (link.go); a read error
// does not end it, it retries with a backoff (linkstate.go). On a tap it
// hands large frames, and the frames behind them, to its pipe's goroutine
// (rxPipe, pipe.go), which passes them up in order; the bridge delivers to
// a member's stack from its own goroutines (deliverLocal).
//
// Locking: the filter reads the endpoint's address and dispatcher under mu
// (read) and lets go of it before calling the stack; every delivery to the
// stack holds rxmu, because gVisor takes "checksums verified" from the
// endpoint and not from the packet (deliverStack).
//
// Ownership: a large frame read into pooled chunks (rxViews) goes to the
// stack in those chunks and the loop takes new ones; any other frame is
// copied into pooled chunks (pooledBuffer), so the loop's buffers stay
// its own.

import (
	"gvisor.dev/gvisor/pkg/buffer"
	"gvisor.dev/gvisor/pkg/tcpip/header"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
)

// maxFrame is the largest frame read from a device without a virtio-net
// header (NetBSD's 9018-byte limit; shmif's too).
const maxFrame = 9018

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
		e.deliver(buf[:n], nil, vnetHdr{})
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
		if n >= largeFrame && e.localOnly(iov[1][:min(n, rxHeadLen)]) {
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
		if it.copied == nil && e.localOnly(it.frame) {
			e.deliver(it.frame, &it.buf, it.hdr)
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

// forwarding reports whether the kernel may forward the packet in frame,
// received by the interface; frame needs only its headers.
func (e *ethEndpoint) forwarding(frame []byte) bool { return e.routing != nil && e.routing(frame) }

// localOnly reports whether frame, received by the interface, goes to its
// own stack alone: the interface is no bridge member and the kernel does
// not forward the packet. Only such a frame is handed over in the chunks
// it was read into.
func (e *ethEndpoint) localOnly(frame []byte) bool {
	return e.bridge.Load() == nil && !e.forwarding(frame)
}

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
	fwd := e.forwarding(frame)
	if fwd && e.fast != nil && e.fast.forward(e, e.nic, h, frame) {
		return
	}
	if !h.offloaded() || !fwd {
		e.deliver(frame, nil, h)
		return
	}
	done := h.normalised()
	if !normalise(h, frame, scratch, func(f []byte) { e.deliver(f, nil, done) }) {
		e.stats.ierrors.Add(1)
	}
}

// normalise hands emit frame as it would be without offloads: a
// super-frame cut into segments, a partial checksum completed (in place).
// It reports false for a frame it cannot make sense of.
func normalise(h vnetHdr, frame, scratch []byte, emit func([]byte)) bool {
	if isTagged(frame) {
		return normaliseTagged(h, frame, scratch, emit) // vlan.go
	}
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

// deliver passes one received frame up the stack (or to the bridge) if
// the receive filter accepts it. If buf is not nil it holds the whole frame,
// frame being only its first bytes (at least its headers), and deliver
// takes it over. h is the frame's virtio-net header (zero without one):
// whether its checksums need verifying, and its offloads for a vlan.
func (e *ethEndpoint) deliver(frame []byte, buf *buffer.Buffer, h vnetHdr) {
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
	e.taps.in(frame, buf)
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
	if !e.promisc.Load() && (!mine && !group || group && e.inGroup != nil && !e.wantsGroupFrame(frame, e.inGroup)) {
		return
	}
	e.stats.countIn(size, group)
	e.deliverStack(frame, buf, h)
}

// deliverStack passes a frame that has passed the receive filter to the
// stack; frame and buf are as for deliver, except that buf stays the
// caller's.
//
// gVisor takes "checksums verified" from the link endpoint's capabilities
// at each delivery, not from the packet; so a delivery of a frame whose
// checksums need no verifying sets rxValid for its duration, and every
// delivery through the endpoint holds rxmu, so that no other frame is
// delivered meanwhile (the bridge delivers from other goroutines).
func (e *ethEndpoint) deliverStack(frame []byte, buf *buffer.Buffer, h vnetHdr) {
	if len(frame) < header.EthernetMinimumSize {
		return
	}
	if isTagged(frame) && e.vlanInput(frame, buf, h) {
		return // for a vlan on this interface (vlan.go)
	}
	eth := header.Ethernet(frame)
	if eth.Type() == header.ARPProtocolNumber {
		if e.noarp.Load() {
			return
		}
		e.answerProxyARP(frame)
	}
	if eth.Type() == header.IPv6ProtocolNumber {
		e.answerProxyNDP(frame)
	}
	e.mu.RLock()
	mine := eth.DestinationAddress() == e.mac
	d := e.dispatcher
	e.mu.RUnlock()
	if mine && buf == nil && e.echo != nil && e.echo(frame) {
		return // answered in place (echo.go)
	}
	if mine && eth.Type() == header.IPv4ProtocolNumber && len(frame) >= header.EthernetMinimumSize+header.IPv4MinimumSize {
		e.expireLastHop(frame[header.EthernetMinimumSize:])
	}
	if mine && e.forwardHook != nil {
		switch eth.Type() {
		case header.IPv4ProtocolNumber, header.IPv6ProtocolNumber:
			e.forwardHook(frame[header.EthernetMinimumSize:], eth.Type() == header.IPv6ProtocolNumber)
		}
	}
	if d == nil {
		return
	}
	if t := eth.Type(); (t == header.IPv4ProtocolNumber || t == header.IPv6ProtocolNumber) &&
		badTCPHeader(frame[header.EthernetMinimumSize:], t == header.IPv6ProtocolNumber) {
		e.stats.ierrors.Add(1) // tcpsane.go
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
	e.rxValid.Store(h.checked())
	d.DeliverNetworkPacket(eth.Type(), pkt)
	e.rxValid.Store(false)
	e.rxmu.Unlock()
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
