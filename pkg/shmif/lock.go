package shmif

// The writers' lock lives in the bus header: a word holding the pid of the
// process that holds it. A writer holds it only while it copies one frame
// into the ring, so waiting is short: waiters spin briefly, then sleep on
// the word's futex.
//
// A writer that dies holding the lock must not wedge the bus. A waiter
// takes the lock over when the holder's pid no longer exists, or when the
// lock has stayed with the same holder and acquisition for stealAfter (a
// writer never legitimately holds it that long; this also covers holders
// in another pid namespace, whose pids mean nothing here). The writer
// protocol keeps the ring consistent whenever a writer stops: nothing is
// visible to readers until last is stored, and first is moved before any
// old frame is overwritten.
//
// The lock word comes from the file, so it may hold anything: a value
// that cannot be a pid (above pidMax, which also keeps kill(2) from
// taking it for a process group) is taken over at once, and a waiter
// that has waited giveUpAfter in all takes the lock whatever the word
// and lockgen do meanwhile, so a process that keeps changing them cannot
// stall writers for longer than that.

import (
	"os"
	"runtime"
	"time"

	"golang.org/x/sys/unix"
)

const (
	spinTries = 64
	pidMax    = 1 << 22 // Linux's PID_MAX_LIMIT
)

// stealAfter and giveUpAfter are variables for tests.
var (
	stealAfter  = time.Second
	giveUpAfter = 3 * time.Second
)

// lock takes the bus's writer lock for this process and reports whether
// it had to be taken over from a dead or stuck holder.
func (b *Bus) lock() (recovered bool) {
	me := uint32(os.Getpid())
	lk, gen := b.u32(offLock), b.u32(offLockGen)
	var seenHolder, seenGen uint32
	var since, start time.Time
	for i := 0; ; i++ {
		if lk.CompareAndSwap(0, me) {
			gen.Add(1)
			return recovered
		}
		if i < spinTries {
			runtime.Gosched()
			continue
		}
		holder, g := lk.Load(), gen.Load()
		if holder == 0 {
			continue
		}
		now := time.Now()
		if start.IsZero() {
			start = now
		}
		if holder != seenHolder || g != seenGen {
			seenHolder, seenGen, since = holder, g, now
		}
		stuck := now.Sub(since) >= stealAfter || now.Sub(start) >= giveUpAfter
		if holder > pidMax || (holder != me && !alive(holder)) || stuck {
			if lk.CompareAndSwap(holder, me) {
				gen.Add(1)
				return true
			}
			continue
		}
		w := b.u32(offLockWaiters)
		w.Add(1)
		futexWait(lk, holder, time.Millisecond)
		w.Add(^uint32(0))
	}
}

// unlock releases the lock if this process still holds it (it may have
// been taken over after a long stop).
func (b *Bus) unlock() {
	if b.u32(offLock).CompareAndSwap(uint32(os.Getpid()), 0) && b.u32(offLockWaiters).Load() > 0 {
		futexWake(b.u32(offLock), 1)
	}
}

// alive reports whether a process with this pid exists; EPERM means it
// does but belongs to someone else.
func alive(pid uint32) bool {
	err := unix.Kill(int(pid), 0)
	return err == nil || err == unix.EPERM
}
