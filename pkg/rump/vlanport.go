package rump

// A vlan's frame device (vlanPort) and the parent's side of it: the
// vlan's frames tagged onto the parent's wire, the parent's tagged frames
// untagged for the vlan, each with its virtio-net header (vlan.go says
// why). The header's offsets count from the frame's start, so the tag
// moves them: csum_start and hdr_len grow by the tag on the way out and
// shrink by it on the way in, as a Linux tap's header counts a tag in
// front of the headers; gso_type and gso_size, which describe the TCP
// segments, stay as they are.
//
// Goroutines: Writev runs on the vlan's sending goroutines (its stack's,
// its transmit pipe's, a bridge's); vlanInput on the parent's receiving
// ones; Readv on the vlan's receive loop.
//
// Ownership: a frame queued for the vlan is a pooled copy (vlanBufs) the
// port owns until Readv has copied it out.

import (
	"encoding/binary"
	"net"
	"sync"
	"syscall"

	"gvisor.dev/gvisor/pkg/buffer"
	"gvisor.dev/gvisor/pkg/tcpip/header"
)

// vlanQueue bounds the frames waiting for a vlan's receive loop; beyond
// it they are dropped and counted.
const vlanQueue = 256

// vlanFrame is a frame queued for a vlan's receive loop, with its
// virtio-net header (zero if the parent gave none): untagged in a pooled
// copy, or a large one still tagged in the chunks the parent read it into
// (the tag is left out when it is read).
type vlanFrame struct {
	hdr    vnetHdr
	buf    *[]byte // from vlanBuf, or nil for tagged
	tagged buffer.Buffer
}

// copyTo copies the untagged frame over bufs and lets go of it; it
// returns the bytes copied.
func (f *vlanFrame) copyTo(bufs [][]byte) int {
	n := 0
	if f.buf != nil {
		rest := *f.buf
		for _, b := range bufs {
			c := copy(b, rest)
			n, rest = n+c, rest[c:]
		}
		putVlanBuf(f.buf)
		return n
	}
	size := int(f.tagged.Size()) - vlanEncapLen
	for _, d := range bufs {
		for len(d) > 0 && n < size {
			src, end := n+vlanEncapLen, size
			if n < ethAddrsLen {
				src, end = n, ethAddrsLen
			}
			k := min(len(d), end-n)
			f.tagged.ReadAt(d[:k], int64(src))
			d, n = d[k:], n+k
		}
	}
	f.tagged.Release()
	return n
}

// release lets go of a frame that is not read.
func (f *vlanFrame) release() {
	if f.buf != nil {
		putVlanBuf(f.buf)
		return
	}
	f.tagged.Release()
}

// vlanPort is a vlan's device: writes are tagged onto the parent's wire,
// reads take what the parent's receive path handed over. Its frames
// carry a virtio-net header both ways.
type vlanPort struct {
	parent *ethEndpoint
	vid    uint16
	stats  *counters // the vlan's, for frames its queue could not take
	in     chan vlanFrame
	done   chan struct{}
	once   sync.Once
}

var _ vnetDevice = (*vlanPort)(nil)

func newVlanPort(parent *ethEndpoint, vid uint16, stats *counters) *vlanPort {
	return &vlanPort{parent: parent, vid: vid, stats: stats,
		in: make(chan vlanFrame, vlanQueue), done: make(chan struct{})}
}

// VnetHdrLen implements vnetDevice: every frame, read or written, comes
// after a virtio-net header.
func (*vlanPort) VnetHdrLen() int { return vnetHdrLen }

// Read implements FrameDevice: the header, then the frame.
func (p *vlanPort) Read(b []byte) (int, error) {
	if len(b) < vnetHdrLen {
		return 0, syscall.EINVAL
	}
	return p.Readv([][]byte{b[:vnetHdrLen], b[vnetHdrLen:]})
}

// Readv implements vnetDevice: the header into bufs[0], which must be a
// header long, and the frame over the rest.
func (p *vlanPort) Readv(bufs [][]byte) (int, error) {
	if len(bufs) == 0 || len(bufs[0]) != vnetHdrLen {
		return 0, syscall.EINVAL
	}
	select {
	case f := <-p.in:
		f.hdr.put(bufs[0])
		return vnetHdrLen + f.copyTo(bufs[1:]), nil
	case <-p.done:
		return 0, net.ErrClosed
	}
}

// Write implements FrameDevice: b is a header and a frame.
func (p *vlanPort) Write(b []byte) (int, error) {
	if len(b) < vnetHdrLen {
		return 0, syscall.EINVAL
	}
	return p.Writev([][]byte{b[:vnetHdrLen], b[vnetHdrLen:]})
}

// Writev implements vnetDevice: the header in bufs[0], the frame gathered
// from the rest, goes out tagged on the parent.
func (p *vlanPort) Writev(bufs [][]byte) (int, error) {
	n := 0
	for _, b := range bufs {
		n += len(b)
	}
	if len(bufs) == 0 || len(bufs[0]) != vnetHdrLen || n < vnetHdrLen+header.EthernetMinimumSize {
		return 0, syscall.EINVAL
	}
	p.parent.sendTagged(parseVnetHdr(bufs[0]), bufs[1:], n-vnetHdrLen, p.vid)
	return n, nil
}

// Close implements FrameDevice.
func (p *vlanPort) Close() error {
	p.once.Do(func() { close(p.done) })
	return nil
}

// input queues an untagged frame, which the port now owns.
func (p *vlanPort) input(f vlanFrame) {
	select {
	case p.in <- f:
	default:
		p.stats.iqdrops.Add(1)
		f.release()
	}
}

// Frame buffers: small ones for ordinary frames, large ones for
// super-frames, so that a queue of small frames does not hold 64 KiB each.
var (
	vlanSmallBufs = sync.Pool{New: func() any { b := make([]byte, 0, maxFrame+vlanEncapLen); return &b }}
	vlanLargeBufs = sync.Pool{New: func() any { b := make([]byte, 0, maxVnetFrame+vlanEncapLen); return &b }}
)

// vlanBuf returns an empty pooled buffer that holds n bytes.
func vlanBuf(n int) *[]byte {
	if n <= maxFrame+vlanEncapLen {
		return vlanSmallBufs.Get().(*[]byte)
	}
	bp := vlanLargeBufs.Get().(*[]byte)
	if cap(*bp) < n {
		*bp = make([]byte, 0, n)
	}
	return bp
}

func putVlanBuf(bp *[]byte) {
	*bp = (*bp)[:0]
	if cap(*bp) == maxFrame+vlanEncapLen {
		vlanSmallBufs.Put(bp)
	} else if cap(*bp) >= maxVnetFrame+vlanEncapLen {
		vlanLargeBufs.Put(bp)
	}
}

// vlanOut is h for its frame once a tag is put in front of its headers.
func (h vnetHdr) vlanOut() vnetHdr {
	if h.flags&vnetFlagNeedsCsum != 0 {
		h.csumStart += vlanEncapLen
	}
	if h.hdrLen != 0 {
		h.hdrLen += vlanEncapLen
	}
	return h
}

// vlanIn is h for its frame once the tag is taken out, and false if h's
// checksum would start inside the Ethernet header then.
func (h vnetHdr) vlanIn() (vnetHdr, bool) {
	if h.flags&vnetFlagNeedsCsum != 0 {
		if h.csumStart < header.EthernetMinimumSize+vlanEncapLen {
			return h, false
		}
		h.csumStart -= vlanEncapLen
	}
	if h.hdrLen >= header.EthernetMinimumSize+vlanEncapLen {
		h.hdrLen -= vlanEncapLen
	}
	return h, true
}

// vlanEncapv is vlanEncap of the frame gathered from slices.
func vlanEncapv(dst []byte, frame [][]byte, vid uint16) []byte {
	need := ethAddrsLen
	for _, s := range frame {
		if need > 0 {
			k := min(need, len(s))
			dst, s, need = append(dst, s[:k]...), s[k:], need-k
			if need == 0 {
				dst = binary.BigEndian.AppendUint16(dst, etherTypeVLAN)
				dst = binary.BigEndian.AppendUint16(dst, vid&vlanIDMask)
			}
		}
		dst = append(dst, s...)
	}
	return dst
}

// sendTagged writes a frame of one of the endpoint's vlans (size bytes
// in slices, with virtio-net header h) tagged to its device, seen by its
// captures and counted as its output. A parent that takes the header gets
// it, offsets moved by the tag; another gets an offloaded frame cut into
// segments with complete checksums, each tagged. Nothing goes out while
// the parent is not running.
func (e *ethEndpoint) sendTagged(h vnetHdr, frame [][]byte, size int, vid uint16) {
	dev := e.liveDevice()
	if dev == nil || e.noMedia.Load() {
		e.stats.oerrors.Add(1)
		return
	}
	vd, vnet := asVnet(dev)
	// The tag may make the largest super-frame the stack sends longer
	// than a device with offloads takes (an IP packet of 64 KiB): such a
	// frame is cut here instead.
	tooBig := size+vlanEncapLen > maxTaggedSuper
	if vnet && !tooBig && e.taps.list.Load() == nil {
		e.writeTaggedv(vd, h, frame, size, vid)
		return
	}
	bp := vlanBuf(size + vlanEncapLen)
	defer putVlanBuf(bp)
	if (!vnet || tooBig) && h.offloaded() {
		e.sendNormalised(dev, h, frame, bp, vid)
		return
	}
	tagged := vlanEncapv((*bp)[:0], frame, vid)
	*bp = tagged
	e.taps.out(tagged)
	var err error
	e.wmu.Lock()
	if vnet {
		w := wireVecs.Get().(*wireVec)
		h.vlanOut().put(w.hdr[:])
		w.iov[0], w.iov[1] = w.hdr[:], tagged
		_, err = vd.Writev(w.iov[:])
		w.iov[1] = nil
		wireVecs.Put(w)
	} else {
		_, err = dev.Write(tagged)
	}
	e.wmu.Unlock()
	e.countWire(tagged, err)
}

// tagVec is a write of a tagged frame by writev without a copy: the
// header, the frame's slices cut after its addresses, and the tag.
type tagVec struct {
	hdr [vnetHdrLen]byte
	tag [vlanEncapLen]byte
	iov [][]byte
}

var tagVecs = sync.Pool{New: func() any { return new(tagVec) }}

// writeTaggedv writes a vlan's frame to a device that takes the
// virtio-net header, the tag put in by the write itself.
func (e *ethEndpoint) writeTaggedv(vd vnetDevice, h vnetHdr, frame [][]byte, size int, vid uint16) {
	w := tagVecs.Get().(*tagVec)
	h.vlanOut().put(w.hdr[:])
	binary.BigEndian.PutUint16(w.tag[:], etherTypeVLAN)
	binary.BigEndian.PutUint16(w.tag[2:], vid&vlanIDMask)
	iov, need := append(w.iov[:0], w.hdr[:]), ethAddrsLen
	for _, s := range frame {
		if need > 0 {
			k := min(need, len(s))
			iov, s, need = append(iov, s[:k]), s[k:], need-k
			if need == 0 {
				iov = append(iov, w.tag[:])
			}
		}
		if len(s) > 0 {
			iov = append(iov, s)
		}
	}
	group := false
	for _, s := range frame {
		if len(s) > 0 {
			group = s[0]&1 != 0
			break
		}
	}
	e.wmu.Lock()
	_, err := vd.Writev(iov)
	e.wmu.Unlock()
	clear(iov) // the frame's buffers are the caller's
	w.iov = iov[:0]
	tagVecs.Put(w)
	if err != nil {
		e.stats.oerrors.Add(1)
		e.ioFailed()
		return
	}
	e.ioWorked()
	e.stats.countOut(size+vlanEncapLen, group)
}

// maxTaggedSuper is the longest tagged frame a device with offloads
// takes: an Ethernet header and a 64 KiB IP packet (shmif's
// MaxOffloadFrame; a tap reads no more).
const maxTaggedSuper = header.EthernetMinimumSize + 65535

// sendNormalised writes an offloaded frame of a vlan to a parent that
// does not take offloads, or not so long a frame: normalised untagged (bp
// is a buffer for it), then each piece tagged.
func (e *ethEndpoint) sendNormalised(dev FrameDevice, h vnetHdr, frame [][]byte, bp *[]byte, vid uint16) {
	f := (*bp)[:0]
	for _, s := range frame {
		f = append(f, s...)
	}
	*bp = f
	scratch, out := vnetBufs.Get().(*[]byte), vlanBuf(maxFrame+vlanEncapLen)
	defer vnetBufs.Put(scratch)
	defer putVlanBuf(out)
	ok := normalise(h, f, (*scratch)[:0], func(seg []byte) {
		t := vlanEncap((*out)[:0], seg, vid)
		*out = t[:0]
		e.taps.out(t)
		e.wmu.Lock()
		err := devWrite(dev, t)
		e.wmu.Unlock()
		e.countWire(t, err)
	})
	if !ok {
		e.stats.oerrors.Add(1)
	}
}

// vlanInput is the parent's receive hook: it takes a tagged frame that
// passed the parent's filter (frame its first bytes if buf holds it
// whole), with its virtio-net header h, and reports whether it did. A
// frame whose tag no vlan of the parent has is dropped, as NetBSD's
// vlan_input does; without vlans the frame is not taken.
func (e *ethEndpoint) vlanInput(frame []byte, buf *buffer.Buffer, h vnetHdr) bool {
	t := e.trunk.Load()
	if t == nil {
		return false
	}
	size := len(frame)
	if buf != nil {
		size = int(buf.Size())
	}
	const tagEnd = ethAddrsLen + vlanEncapLen
	if !isTagged(frame) || len(frame) < tagEnd+2 || size < tagEnd+2 {
		e.stats.ierrors.Add(1)
		return true
	}
	p := (*t)[binary.BigEndian.Uint16(frame[ethAddrsLen+2:])&vlanIDMask]
	if p == nil {
		return true
	}
	h, ok := h.vlanIn()
	if !ok {
		e.stats.ierrors.Add(1)
		return true
	}
	if buf != nil {
		// A large frame in the parent's chunks: the vlan takes them over
		// (as the stack would), and its read leaves the tag out.
		f := vlanFrame{hdr: h, tagged: *buf}
		*buf = buffer.Buffer{}
		p.input(f)
		return true
	}
	bp := vlanBuf(size - vlanEncapLen)
	*bp = append(append((*bp)[:0], frame[:ethAddrsLen]...), frame[tagEnd:]...)
	p.input(vlanFrame{hdr: h, buf: bp})
	return true
}

// normaliseTagged is normalise of a tagged frame: its untagged copy is
// normalised, and each piece handed to emit with the frame's tag. A frame
// with a second tag inside (QinQ, which no vlan here makes) is refused,
// so that nested tags cannot multiply the work.
func normaliseTagged(h vnetHdr, frame, scratch []byte, emit func([]byte)) bool {
	const tagEnd = ethAddrsLen + vlanEncapLen
	uh, ok := h.vlanIn()
	if !ok || len(frame) < tagEnd+2 || binary.BigEndian.Uint16(frame[tagEnd:]) == etherTypeVLAN {
		return false
	}
	tci := binary.BigEndian.Uint16(frame[ethAddrsLen+2:])
	in, out := vlanBuf(len(frame)), vlanBuf(maxFrame+vlanEncapLen)
	defer putVlanBuf(in)
	defer putVlanBuf(out)
	*in = append(append((*in)[:0], frame[:ethAddrsLen]...), frame[tagEnd:]...)
	return normalise(uh, *in, scratch, func(seg []byte) {
		t := vlanEncap((*out)[:0], seg, 0)
		binary.BigEndian.PutUint16(t[ethAddrsLen+2:], tci)
		*out = t[:0]
		emit(t)
	})
}
