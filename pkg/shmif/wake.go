package shmif

// Wake-ups: which futex word a reader sleeps on and which words a writer
// wakes (see the layout comment in layout.go).

import (
	"encoding/binary"
	"math"
	"sync/atomic"
)

// wakeAll is the key of a reader that wants every frame: it sleeps on seq.
const wakeAll = -1

// wakeKey returns the wake word a reader of frames to mac sleeps on.
func wakeKey(mac []byte) int {
	// Multiplicative hashing of the address's last four bytes (the ones
	// that differ between shmif interfaces; its first two are b2:a0).
	h := binary.LittleEndian.Uint32(mac[2:6]) ^ uint32(mac[0])<<8 ^ uint32(mac[1])
	return int((h * 0x9e3779b1) >> 25 % wakeWords)
}

// wakeSlot returns the futex word a reader with key sleeps on and its
// count of sleepers; on a bus before version 3 every key is wakeAll.
func (b *Bus) wakeSlot(key int) (word, sleepers *atomic.Uint32) {
	if key == wakeAll || b.version < version {
		return b.u32(offSeq), b.u32(offWaiters)
	}
	off := offWake + 8*key
	return b.u32(off), b.u32(off + 4)
}

// bump moves a wake word on and wakes its sleepers, if it has any.
func bump(word, sleepers *atomic.Uint32) {
	word.Add(1)
	if sleepers.Load() > 0 {
		futexWake(word, math.MaxInt32)
	}
}

// wake wakes the readers of a frame just published, whose destination
// address is dst (nil if the frame is too short to have one): those that
// want every frame, and those of dst's word or, for a group address or
// none, of every word.
func (b *Bus) wake(dst []byte) {
	bump(b.wakeSlot(wakeAll))
	if b.version < version {
		return
	}
	if len(dst) == 6 && dst[0]&1 == 0 {
		bump(b.wakeSlot(wakeKey(dst)))
		return
	}
	for k := 0; k < wakeWords; k++ {
		bump(b.wakeSlot(k))
	}
}

// destination returns the destination address of the frame gathered from
// bufs (after its offload header with vnet) in d, or nil if the frame is
// shorter than an address.
func destination(d *[6]byte, bufs [][]byte, vnet bool) []byte {
	skip, n := 0, 0
	if vnet {
		skip = VnetHdrLen
	}
	for _, buf := range bufs {
		if skip >= len(buf) {
			skip -= len(buf)
			continue
		}
		n += copy(d[n:], buf[skip:])
		skip = 0
		if n == len(d) {
			return d[:]
		}
	}
	return nil
}
