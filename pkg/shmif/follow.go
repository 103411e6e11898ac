package shmif

// A Follower reads every frame on a bus as it is written, for
// shmif_dumpbus -f. It works on a read-only mapping and never writes to
// the bus: it takes no lock, does not register as a sleeping reader, and
// so is not woken by writers directly; it sleeps on the seq futex with a
// short bound instead, and wakes early when writers wake the readers that
// sleep on the same word (those of promiscuous interfaces).

import (
	"runtime/debug"
	"time"
)

// Follower reads a bus's frames in order, all senders' alike. It is for
// one goroutine.
type Follower struct {
	bus *Bus
	cur cursor
	buf []byte
	dst [][]byte
	fr  frame // the last frame returned
}

// Follow returns a Follower that starts at the oldest frame on the bus,
// or with oldest false at the next frame written.
func (b *Bus) Follow(oldest bool) (*Follower, error) {
	f := &Follower{bus: b, buf: make([]byte, MaxOffloadFrame)}
	f.dst = [][]byte{f.buf}
	if err := b.guard(func() { f.cur = b.at(oldest) }); err != nil {
		return nil, err
	}
	return f, nil
}

// Next returns the next frame, waiting at most wait for one to be
// written; ok is false if none was. lost is the number of frames the
// Follower lost before this call returned, because writers overwrote
// them before it read them (it may be non-zero with ok false). data is
// valid until the next call. An error matches ErrBusFault if the file
// no longer covers the bus.
func (f *Follower) Next(wait time.Duration) (info FrameInfo, data []byte, ok bool, lost uint64, err error) {
	defer f.bus.catch(debug.SetPanicOnFault(true), &err)
	b := f.bus
	seq := b.u32(offSeq)
	deadline := time.Now().Add(wait)
	for {
		s := seq.Load()
		before := f.cur.pos
		fr, got, l := b.step(&f.cur, f.dst, nil)
		lost += l
		if got {
			f.fr = fr
			return f.fr.info(b), f.buf[:fr.n], true, lost, nil
		}
		if f.cur.pos != before {
			continue // moved on (a wrap, a resynchronisation): look again
		}
		left := time.Until(deadline)
		if left <= 0 {
			if err := b.covered(); err != nil {
				return FrameInfo{}, nil, false, lost, err
			}
			return FrameInfo{}, nil, false, lost, nil
		}
		futexWait(seq, s, min(left, followPoll))
	}
}

// followPoll bounds a Follower's sleep: writers wake it only when a
// reader of every frame sleeps on the bus too.
const followPoll = 10 * time.Millisecond
