package shmif

// Writing and reading frames in the ring; see the layout comment in
// layout.go for the protocol that keeps readers consistent without a lock.

import (
	"encoding/binary"
	"errors"
	"runtime/debug"
	"time"
)

var errTooBig = errors.New("frame larger than the bus allows")

// maxOffset bounds the logical offsets: at a gigabyte a second writers
// take over a century to reach it, so a larger value is damage, and below
// it no offset arithmetic overflows.
const maxOffset = 1 << 60

// repair returns first and last made consistent, for a writer holding the
// lock: both multiples of 8, last at most maxOffset, first not after last
// and at most a ring behind it. A header that breaks any of these was not
// written by this package; the bus is then treated as reset, the way
// NetBSD's readers resynchronise when the generation shows they were
// lapped: every frame on it is dropped (first = last), and a last that is
// out of range starts over at 0. Readers find their position outside
// first..last and resynchronise at first.
func (b *Bus) repair(first, last uint64) (uint64, uint64, bool) {
	if last%8 == 0 && last <= maxOffset && first%8 == 0 && first <= last && last-first <= b.size {
		return first, last, false
	}
	if last%8 != 0 || last > maxOffset {
		last = 0
	}
	return last, last, true
}

// frame describes one frame found in the ring.
type frame struct {
	n      int  // bytes copied
	length int  // the Ethernet frame's full length
	vnet   bool // an offload header came with it: hdr
	hdr    [VnetHdrLen]byte
	// skipped: the reader did not want the frame, and it was not copied
	skipped bool
	sender  uint64 // who wrote it
	sec     uint64
	usec    uint32
	off     uint64 // ring offset of the frame's header
	next    uint64 // logical offset after it
}

// wantFunc tells, from a frame's sender and its first FilterLen bytes
// (fewer for a shorter frame), whether a reader wants the frame copied. It may
// see bytes a writer is overwriting: the copy is checked afterwards as
// any other.
type wantFunc func(sender uint64, eth []byte) bool

// FilterLen is how much of a frame a reader's filter sees: its Ethernet
// header and an IPv6 header, or an IPv4 header with its options' start.
const FilterLen = 64

// write appends one frame, gathered from bufs, under the writers' lock
// and wakes sleeping readers. With vnet the frame's bytes begin with an
// offload header (flagVnet). It reports whether the lock had to be taken
// over, and an ErrBusFault if the mapping faulted.
func (b *Bus) write(bufs [][]byte, vnet bool, sender uint64, now time.Time) (recovered bool, err error) {
	defer b.catch(debug.SetPanicOnFault(true), &err)
	size := 0
	for _, d := range bufs {
		size += len(d)
	}
	total := align8(uint64(frameHdr + size))
	if total > b.size {
		return false, errTooBig // only on a bus with a tiny ring
	}
	recovered = b.lock()
	locked := true
	defer func() {
		if locked { // the mapping faulted: free the lock if it is still there
			b.guard(b.unlock)
		}
	}()
	first, last, _ := b.repair(b.u64(offFirst).Load(), b.u64(offLast).Load())
	count, firstIndex := b.u64(offFrames).Load(), b.u64(offFirstIndex).Load()
	if first == last || firstIndex > count {
		firstIndex = count // no frames on the bus, or counts not kept
	}
	pos, off := last, last%b.size
	if off+total > b.size {
		pos += b.size - off // does not fit before the end: start over
	}
	if pos+total > b.size {
		// Drop, before overwriting them, the frames in the bytes this
		// write covers: everything older than pos+total-size. Every step
		// moves at least a frame header on, so a ring's worth of steps
		// is enough; more means the frames are damaged: drop them all.
		limit := pos + total - b.size
		for steps := b.size/frameHdr + 2; first < limit && first < last; steps-- {
			var isFrame bool
			if steps == 0 {
				first = last
				break
			}
			if first, isFrame = b.nextFrame(first, last); isFrame {
				firstIndex++
			}
		}
		if first >= last {
			first, firstIndex = pos, count
		}
	}
	b.u64(offFirstIndex).Store(min(firstIndex, count))
	b.u64(offFirst).Store(first)
	if pos != last && b.size-off >= frameHdr {
		binary.NativeEndian.PutUint32(b.ring[off:], wrapMarker)
	}
	h := b.ring[pos%b.size:]
	word := uint32(size)
	if vnet {
		word |= flagVnet
	}
	binary.NativeEndian.PutUint32(h[0:], word)
	binary.NativeEndian.PutUint32(h[4:], uint32(now.Nanosecond()/1000))
	binary.NativeEndian.PutUint64(h[8:], uint64(now.Unix()))
	binary.NativeEndian.PutUint64(h[16:], sender)
	at := h[frameHdr:]
	for _, d := range bufs {
		at = at[copy(at, d):]
	}
	b.u64(offFrames).Store(count + 1)
	b.u64(offLast).Store(pos + total) // publishes the frame
	b.u64(offGeneration).Store((pos + total) / b.size)
	b.unlock()
	locked = false

	var d [6]byte
	b.wake(destination(&d, bufs, vnet))
	return recovered, nil
}

// nextFrame returns the logical offset of the frame after the one at o,
// for a writer holding the lock (the frames before last are intact), and
// whether o held a frame (not a wrap to the ring's start).
func (b *Bus) nextFrame(o, last uint64) (uint64, bool) {
	off := o % b.size
	if b.size-off < frameHdr {
		return o + b.size - off, false
	}
	word := binary.NativeEndian.Uint32(b.ring[off:])
	if word == wrapMarker {
		return o + b.size - off, false
	}
	n, ok := frameLen(word)
	switch {
	case !ok || off+frameHdr+uint64(n) > b.size:
		return last, false // cannot happen with well-behaved writers: drop all
	}
	return o + align8(uint64(frameHdr)+uint64(n)), true
}

// frameAt reads the Ethernet frame at logical offset pos without the
// lock, scattered over dst (what does not fit is left out), and its
// offload header, if it has one, into f.hdr. A frame that want (if not
// nil) rejects is not copied: it comes back ok, with f.skipped set. ok means a whole, valid frame was copied. Otherwise f.next says
// where to continue: pos itself when there is nothing new yet, the ring's
// start after a wrap, or first after writers overtook pos (lost is then
// true).
func (b *Bus) frameAt(pos uint64, dst [][]byte, want wantFunc) (f frame, ok, lost bool) {
	last := b.u64(offLast).Load()
	if pos == last {
		return frame{next: pos}, false, false
	}
	first := b.u64(offFirst).Load()
	if first <= last && last-first > b.size {
		// Damaged offsets (writers keep them within a ring): nothing
		// can be trusted until a writer repairs them; wait.
		return frame{next: pos}, false, false
	}
	if pos < first || pos > last {
		return frame{next: first}, false, pos < first
	}
	off := pos % b.size
	if b.size-off < frameHdr {
		// No room for a header before the ring's end: skip to the start.
		return frame{next: min(pos+b.size-off, last)}, false, false
	}
	h := b.ring[off:]
	word := binary.NativeEndian.Uint32(h[0:])
	f = frame{
		usec:   binary.NativeEndian.Uint32(h[4:]),
		sec:    binary.NativeEndian.Uint64(h[8:]),
		sender: binary.NativeEndian.Uint64(h[16:]),
		off:    off,
	}
	n, valid := frameLen(word)
	f.length, f.vnet = int(n), word&flagVnet != 0 && valid
	switch {
	case word == wrapMarker:
		f.next = pos + b.size - off
	case !valid || off+frameHdr+uint64(f.length) > b.size:
		f.next = last // garbage (only if overwritten, checked below)
	default:
		f.next = pos + align8(uint64(frameHdr+f.length))
		data := h[frameHdr : frameHdr+f.length]
		if f.vnet {
			copy(f.hdr[:], data)
			data = data[VnetHdrLen:]
			f.length -= VnetHdrLen
		}
		if want != nil && !want(f.sender, data[:min(len(data), FilterLen)]) {
			f.skipped = true
		} else {
			for _, d := range dst {
				c := copy(d, data)
				f.n, data = f.n+c, data[c:]
			}
		}
		ok = true
	}
	if f.next > last {
		// Every frame before last is whole, so a step past it means
		// damage: give up on the rest and continue at last.
		f.next, ok = last, false
	}
	// Everything above was read before this check (the read-modify-write
	// is a full barrier): if a writer moved first past pos meanwhile, the
	// copy may be torn and is dropped.
	b.fence.Add(1)
	if first = b.u64(offFirst).Load(); first > pos {
		return frame{next: first}, false, true
	}
	if !ok && word != wrapMarker {
		lost = true // a corrupted frame (never written by this package)
	}
	return f, ok, lost
}
