package shmif

// Offloaded frames (layout.go): a port's frames with a virtio-net header,
// as a Linux tap with IFF_VNET_HDR reads and writes them, so that a kernel
// can hand the bus TCP super-frames with partial checksums and take them
// from it, as it does with its host. The bus only carries the header; it
// never segments a frame or checks what the header says, except that a
// plain Read completes a partial checksum (the header is the writer's
// word, and the bytes are the frame's: a lie costs only the frame).

import (
	"encoding/binary"
	"errors"
	"io"
)

// virtio-net header fields used here.
const (
	vnetNeedsCsum = 1 // flags: the checksum at csum_start+csum_offset is partial
)

var errShortHdr = errors.New("frame shorter than its offload header")

// OffloadPort is a Port whose frames, read and written, begin with a
// VnetHdrLen-byte virtio-net header: the interface a kernel uses to pass
// TCP super-frames and partial checksums over the bus. Its methods are
// safe to use as the Port's.
type OffloadPort struct{ *Port }

var _ io.ReadWriteCloser = OffloadPort{}

// Offload returns the port's offloading view, and false if the bus cannot
// carry offloaded frames (a version 1 bus, or a ring too small for
// super-frames); plain frames are then the only kind to write.
func (p *Port) Offload() (OffloadPort, bool) {
	return OffloadPort{p}, p.bus.version >= version && p.bus.size >= offloadMinSize
}

// VnetHdrLen returns the size of the header in front of every frame.
func (OffloadPort) VnetHdrLen() int { return VnetHdrLen }

// Write puts one frame on the bus: a header and the Ethernet frame. A
// frame whose header asks for nothing (all zero) goes on the bus as a
// plain frame, which every reader takes as it is.
func (o OffloadPort) Write(b []byte) (int, error) { return o.Writev([][]byte{b}) }

// Writev is Write gathering the header and the frame from bufs.
func (o OffloadPort) Writev(bufs [][]byte) (int, error) {
	p := o.Port
	p.inUse.RLock()
	defer p.inUse.RUnlock()
	if p.closed.Load() {
		return 0, ErrClosed
	}
	n := 0
	for _, b := range bufs {
		n += len(b)
	}
	if n < VnetHdrLen {
		return 0, errShortHdr
	}
	var hdr [VnetHdrLen]byte
	rest := gather(hdr[:], bufs)
	if hdr == ([VnetHdrLen]byte{}) {
		if n-VnetHdrLen > MaxFrame {
			return 0, errTooBig
		}
		if _, err := p.write(rest, false, n); err != nil {
			return 0, err
		}
		return n, nil
	}
	if n-VnetHdrLen > MaxOffloadFrame {
		return 0, errTooBig
	}
	return p.write(bufs, true, n)
}

// gather copies the first len(hdr) bytes of bufs into hdr and returns the
// slices of the rest.
func gather(hdr []byte, bufs [][]byte) [][]byte {
	got := 0
	for i, b := range bufs {
		c := copy(hdr[got:], b)
		got += c
		if got == len(hdr) {
			rest := bufs[i:]
			if c == len(b) {
				return rest[1:]
			}
			out := make([][]byte, 0, len(rest))
			return append(append(out, b[c:]), rest[1:]...)
		}
	}
	return nil
}

// Read copies the next frame with its header into b and returns the
// length of both (truncated to len(b)); a plain frame comes with a header
// of zeros.
func (o OffloadPort) Read(b []byte) (int, error) {
	if len(b) < VnetHdrLen {
		return 0, errShortHdr
	}
	return o.Readv([][]byte{b[:VnetHdrLen], b[VnetHdrLen:]})
}

// Readv is Read scattering the header into bufs[0], which must be
// VnetHdrLen bytes, and the frame over the rest.
func (o OffloadPort) Readv(bufs [][]byte) (int, error) {
	if len(bufs) == 0 || len(bufs[0]) != VnetHdrLen {
		return 0, errShortHdr
	}
	f, err := o.Port.readv(bufs[1:])
	if err != nil {
		return 0, err
	}
	copy(bufs[0], f.hdr[:]) // zero for a plain frame
	return VnetHdrLen + f.n, nil
}

// completeChecksum finishes a partial transport checksum in frame as the
// offload header hdr describes it (the field holds the pseudo-header's
// sum; the rest is summed from csum_start on). A header that does not fit
// the frame leaves it as it is.
func completeChecksum(frame, hdr []byte) {
	if hdr[0]&vnetNeedsCsum == 0 {
		return
	}
	start := int(binary.LittleEndian.Uint16(hdr[6:]))
	at := start + int(binary.LittleEndian.Uint16(hdr[8:]))
	if start >= len(frame) || at+2 > len(frame) || at < start {
		return
	}
	binary.BigEndian.PutUint16(frame[at:], ^onesSum(frame[start:]))
}

// onesSum is the Internet checksum's one's complement sum of b (RFC 1071).
func onesSum(b []byte) uint16 {
	var s uint64
	for len(b) >= 8 {
		v := binary.BigEndian.Uint64(b)
		s += v >> 32
		s += v & 0xffffffff
		b = b[8:]
	}
	for len(b) >= 2 {
		s += uint64(binary.BigEndian.Uint16(b))
		b = b[2:]
	}
	if len(b) == 1 {
		s += uint64(b[0]) << 8
	}
	for s > 0xffff {
		s = s>>16 + s&0xffff
	}
	return uint16(s)
}
