package rump

// Live capture (bpf(4)'s part for rtcpdump): an interface's frames, both
// directions, as the interface sees them, copied to each capture that
// listens.
//
// Hooks: each kind of interface keeps a captureTaps, and calls it at one
// point per direction:
//
//	ethEndpoint (virt, shmif)  in:  deliver (linkrecv.go), inputBridge (bridgemember.go)
//	                           out: WritePackets and writeFrame past the bridge test
//	                                (linksend.go), sendWire and sendWireMeta (bridgemember.go)
//	loopEndpoint (lo)          out: WritePackets (loop.go), once per packet, as
//	                                NetBSD's looutput taps it; nothing "in"
//	bridge                     in:  what the engine forwards (bridge.SetTap)
//
// A frame a bridge member's stack sends is seen on the member it leaves
// by, as on NetBSD (bridge_output hands it to that member's driver).
//
// Cost: while nobody captures, a hook is one atomic load of a nil list.
// While a capture runs, each frame of its direction is copied (up to the
// snapshot length) into the capture's queue under the capture's own lock,
// which nothing holds for longer than an append; a queue over its byte
// bound drops the frame and counts it. The frame paths never wait for a
// reader.
//
// Ownership: a Capture belongs to whoever started it (the control server's
// stream) and stops on Close; the taps list holds it until then.

import (
	"context"
	"io"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/rumpnet/rumpnet/pkg/api"
	"github.com/rumpnet/rumpnet/pkg/pcap"
	"gvisor.dev/gvisor/pkg/buffer"
	"gvisor.dev/gvisor/pkg/tcpip/header"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
)

// captureTaps is the captures listening on one interface.
type captureTaps struct {
	list atomic.Pointer[[]*Capture] // nil while nobody captures
	mu   sync.Mutex                 // serializes changes of list
}

// in gives the captures a received frame; buf, if not nil, holds the whole
// frame and frame only its first bytes (as deliver takes them).
func (t *captureTaps) in(frame []byte, buf *buffer.Buffer) {
	if l := t.list.Load(); l != nil {
		tapFrame(*l, frame, buf, false)
	}
}

// out gives the captures a sent frame.
func (t *captureTaps) out(frame []byte) {
	if l := t.list.Load(); l != nil {
		tapFrame(*l, frame, nil, true)
	}
}

// outPkts gives the captures the stack's packets, link header included.
func (t *captureTaps) outPkts(pkts stack.PacketBufferList) {
	if l := t.list.Load(); l != nil {
		tapPkts(*l, pkts, nil)
	}
}

// outLoop gives the captures the packets sent on a loopback interface,
// each behind the 4-byte address family of LINKTYPE_NULL.
func (t *captureTaps) outLoop(pkts stack.PacketBufferList) {
	if l := t.list.Load(); l != nil {
		tapPkts(*l, pkts, loopHeader)
	}
}

func loopHeader(pkt *stack.PacketBuffer) []byte {
	af := uint32(pcap.AFInet)
	if pkt.NetworkProtocolNumber == header.IPv6ProtocolNumber {
		af = pcap.AFInet6
	}
	return []byte{byte(af), byte(af >> 8), byte(af >> 16), byte(af >> 24)} // the host's (little-endian) order
}

func tapFrame(caps []*Capture, frame []byte, buf *buffer.Buffer, out bool) {
	if buf != nil {
		frame = buf.Flatten()
	}
	now := time.Now()
	for _, c := range caps {
		c.add(now, out, len(frame), frame)
	}
}

func tapPkts(caps []*Capture, pkts stack.PacketBufferList, head func(*stack.PacketBuffer) []byte) {
	now := time.Now()
	for _, pkt := range pkts.AsSlice() {
		var f []byte
		if head != nil {
			f = head(pkt)
		}
		for _, s := range pkt.AsSlices() {
			f = append(f, s...)
		}
		for _, c := range caps {
			c.add(now, true, len(f), f)
		}
	}
}

// add and remove change the list; a new slice each time, so that the frame
// paths read theirs without a lock. active, if not nil, is called (under
// the lock) when the list turns non-empty or empty.
func (t *captureTaps) add(c *Capture, active func(bool)) {
	t.mu.Lock()
	defer t.mu.Unlock()
	var l []*Capture
	if old := t.list.Load(); old != nil {
		l = append(l, *old...)
	} else if active != nil {
		active(true)
	}
	l = append(l, c)
	t.list.Store(&l)
}

func (t *captureTaps) remove(c *Capture, active func(bool)) {
	t.mu.Lock()
	defer t.mu.Unlock()
	old := t.list.Load()
	if old == nil {
		return
	}
	var l []*Capture
	for _, x := range *old {
		if x != c {
			l = append(l, x)
		}
	}
	if len(l) > 0 {
		t.list.Store(&l)
		return
	}
	t.list.Store(nil)
	if active != nil {
		active(false)
	}
}

// CaptureOptions are a capture's settings; zero values choose defaults.
type CaptureOptions struct {
	Direction string // api.CaptureIn, api.CaptureOut or api.CaptureInOut ("" is both)
	Snaplen   int    // bytes kept of each frame, pcap.DefaultSnaplen if 0
	Buffer    int    // bytes queued for the reader, DefaultCaptureBuffer if 0
}

// DefaultCaptureBuffer is the default bound of a capture's queue, as
// tcpdump's default buffer on Linux.
const DefaultCaptureBuffer = 2 << 20

// minCaptureBuffer is the least bound a capture takes.
const minCaptureBuffer = 4 << 10

// Capture is a running capture of one interface's frames.
type Capture struct {
	in, out  bool
	snaplen  int
	bound    int
	linkType int
	alive    func() bool // whether the interface still exists
	detach   func()

	received atomic.Uint64 // frames of the capture's direction seen
	dropped  atomic.Uint64 // of them, lost because the queue was full

	mu     sync.Mutex
	q      []pcap.Packet
	qbytes int
	closed bool
	ready  chan struct{} // a token when q turns non-empty
}

// add queues a copy of (the first snaplen bytes of) frame.
func (c *Capture) add(now time.Time, out bool, origLen int, frame []byte) {
	if out && !c.out || !out && !c.in {
		return
	}
	c.received.Add(1)
	frame = frame[:min(len(frame), c.snaplen)]
	c.mu.Lock()
	if c.closed || c.qbytes+len(frame) > c.bound {
		c.mu.Unlock()
		c.dropped.Add(1)
		return
	}
	c.q = append(c.q, pcap.Packet{Time: now, Out: out, OrigLen: origLen, Data: append([]byte(nil), frame...)})
	c.qbytes += len(frame)
	first := len(c.q) == 1
	c.mu.Unlock()
	if first {
		select {
		case c.ready <- struct{}{}:
		default:
		}
	}
}

// LinkType is the pcap link type of the capture's frames.
func (c *Capture) LinkType() int { return c.linkType }

// Snaplen is the capture's snapshot length.
func (c *Capture) Snaplen() int { return c.snaplen }

// Stats returns how many frames of the capture's direction the interface
// has seen since it began, and how many of them were dropped because the
// reader was behind.
func (c *Capture) Stats() (received, dropped uint64) {
	return c.received.Load(), c.dropped.Load()
}

// captureAliveCheck is how often a waiting Read checks that the interface
// still exists.
const captureAliveCheck = time.Second

// Read waits for frames and returns all that are queued, appended to dst.
// It returns ctx's error when ctx ends, and io.EOF once the capture is
// closed or its interface destroyed.
func (c *Capture) Read(ctx context.Context, dst []pcap.Packet) ([]pcap.Packet, error) {
	tick := time.NewTicker(captureAliveCheck)
	defer tick.Stop()
	for {
		c.mu.Lock()
		q, closed := c.q, c.closed
		c.q, c.qbytes = nil, 0
		c.mu.Unlock()
		if len(q) > 0 {
			return append(dst, q...), nil
		}
		if closed {
			return dst, io.EOF
		}
		select {
		case <-c.ready:
		case <-tick.C:
			if !c.alive() {
				return dst, io.EOF
			}
		case <-ctx.Done():
			return dst, ctx.Err()
		}
	}
}

// Close stops the capture; frames still queued are let go.
func (c *Capture) Close() {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	c.closed = true
	c.q = nil
	c.mu.Unlock()
	c.detach()
	select {
	case c.ready <- struct{}{}:
	default:
	}
}

// StartCapture begins capturing the frames of the interface called name.
// Errors: ENXIO for no such interface, EINVAL for bad options.
func (k *Kernel) StartCapture(name string, o CaptureOptions) (*Capture, error) {
	c := &Capture{snaplen: o.Snaplen, bound: o.Buffer, ready: make(chan struct{}, 1)}
	switch o.Direction {
	case "", api.CaptureInOut:
		c.in, c.out = true, true
	case api.CaptureIn:
		c.in = true
	case api.CaptureOut:
		c.out = true
	default:
		return nil, api.Errorf(syscall.EINVAL, "capture direction "+o.Direction+": not in, out or inout")
	}
	if c.snaplen <= 0 || c.snaplen > pcap.MaxSnaplen {
		c.snaplen = pcap.DefaultSnaplen
	}
	if c.bound <= 0 {
		c.bound = DefaultCaptureBuffer
	}
	c.bound = max(c.bound, minCaptureBuffer)
	err := k.withInterface(name, func(ifp *Interface) error {
		t, linkType := ifp.captureTaps()
		if t == nil {
			return api.Errorf(syscall.EOPNOTSUPP, name+" cannot be captured")
		}
		c.linkType = linkType
		ep := ifp.ep
		c.alive = func() bool {
			k.mu.Lock()
			defer k.mu.Unlock()
			cur, err := k.lookupLocked(name)
			return err == nil && cur.ep == ep
		}
		var active func(bool)
		if br := ifp.br; br != nil {
			active = func(on bool) {
				if on {
					br.SetTap(func(f []byte) { t.in(f, nil) })
				} else {
					br.SetTap(nil)
				}
			}
		}
		t.add(c, active)
		c.detach = func() { t.remove(c, active) }
		return nil
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// captureTaps returns the interface's taps and the link type of its
// frames, nil for a kind of interface that has none.
func (ifp *Interface) captureTaps() (*captureTaps, int) {
	switch {
	case ifp.eth != nil:
		return &ifp.eth.taps, pcap.LinkTypeEthernet
	case ifp.br != nil:
		return &ifp.brTaps, pcap.LinkTypeEthernet
	case ifp.wg != nil:
		return &ifp.wg.ep.taps, pcap.LinkTypeNull
	}
	if lo, ok := ifp.ep.(*loopEndpoint); ok {
		return &lo.taps, pcap.LinkTypeNull
	}
	if t, ok := ifp.ep.(interface{ nullTaps() *captureTaps }); ok {
		return t.nullTaps(), pcap.LinkTypeNull // gif, gre
	}
	return nil, 0
}
