package shmif

// Reading position and lost-frame accounting shared by a Port's reader
// and a Follower. Neither writes to the bus here: a Follower's mapping is
// read-only.

import (
	"runtime"
	"time"
)

// snapshotTries bounds how often snapshot retries while writers hold the
// lock or change the header under it: first yielding the processor, then
// sleeping snapshotNap between tries, some milliseconds in all. A writer
// holds the lock for one frame's copy, so a few tries normally do; a lock
// left by a dead writer makes snapshot give up until another writer takes
// it over.
const (
	snapshotSpins = 64
	snapshotTries = snapshotSpins + 200
	snapshotNap   = 20 * time.Microsecond
)

// counts is a consistent view of the header's offsets and frame indexes.
type counts struct {
	first, firstIndex, last, frames uint64
}

// snapshot reads first, firstindex, last and frames as one writer left
// them, without the lock: the values are taken only if the lock was free
// before and after, and no writer took it meanwhile (lockgen unchanged,
// every acquisition bumps it before touching the header). ok is false if
// that did not happen within snapshotTries.
func (b *Bus) snapshot() (c counts, ok bool) {
	lk, gen := b.u32(offLock), b.u32(offLockGen)
	for i := 0; i < snapshotTries; i++ {
		g := gen.Load()
		if lk.Load() != 0 {
			if i < snapshotSpins {
				runtime.Gosched()
			} else {
				time.Sleep(snapshotNap)
			}
			continue
		}
		c = counts{
			first:      b.u64(offFirst).Load(),
			firstIndex: b.u64(offFirstIndex).Load(),
			last:       b.u64(offLast).Load(),
			frames:     b.u64(offFrames).Load(),
		}
		if lk.Load() == 0 && gen.Load() == g {
			return c, c.first <= c.last && c.firstIndex <= c.frames
		}
	}
	return counts{}, false
}

// cursor is a reader's position: the logical offset of the next frame and,
// when known, that frame's index.
type cursor struct {
	pos     uint64
	index   uint64
	indexOK bool
}

// at puts the cursor at the frame at first (oldest) or at last (next to
// be written).
func (b *Bus) at(oldest bool) cursor {
	if c, ok := b.snapshot(); ok {
		if oldest {
			return cursor{pos: c.first, index: c.firstIndex, indexOK: true}
		}
		return cursor{pos: c.last, index: c.frames, indexOK: true}
	}
	if oldest {
		return cursor{pos: b.u64(offFirst).Load()}
	}
	return cursor{pos: b.u64(offLast).Load()}
}

// step reads the frame at the cursor into dst (as frameAt, with want) and moves the cursor on.
// ok means a whole frame was copied. lost is how many frames the cursor
// lost: those writers overwrote before it read them (or at least one when
// the counts cannot tell), and any damaged one it skipped.
func (b *Bus) step(c *cursor, dst [][]byte, want wantFunc) (f frame, ok bool, lost uint64) {
	f, ok, overtaken := b.frameAt(c.pos, dst, want)
	switch {
	case ok:
		c.pos = f.next
		c.index++
		return f, true, 0
	case !overtaken && f.next >= c.pos:
		c.pos = f.next // nothing new yet, or a wrap to the ring's start
		return f, false, 0
	}
	// Overtaken, damaged, or outside first..last: resynchronise.
	lost = 1
	snap, sok := b.snapshot()
	switch {
	case !sok:
		c.pos, c.indexOK = f.next, false
		if !overtaken {
			lost = 0
		}
	case snap.first > c.pos:
		if c.indexOK && snap.firstIndex > c.index && snap.firstIndex-c.index <= (snap.first-c.pos)/frameHdr+1 {
			lost = snap.firstIndex - c.index
		}
		*c = cursor{pos: snap.first, index: snap.firstIndex, indexOK: true}
	case c.pos > snap.last:
		// Past last: the bus was reset (made anew, or its header
		// repaired). Read whatever is on it now.
		*c = cursor{pos: snap.first, index: snap.firstIndex, indexOK: true}
		if !overtaken {
			lost = 0
		}
	case f.next == snap.last:
		*c = cursor{pos: snap.last, index: snap.frames, indexOK: true}
	default:
		c.pos, c.indexOK = f.next, false
	}
	return f, false, lost
}
