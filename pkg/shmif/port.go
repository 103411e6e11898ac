package shmif

// A Port is one interface's attachment to a bus: it writes frames tagged
// with its own sender id and reads every frame the other ports write.
//
// Reading: the port keeps its own logical read offset. With nothing new it
// sleeps on the header's seq futex (registered in waiters, so writers make
// the wake-up system call only when someone sleeps); the sleep is bounded
// so a lost wake-up costs at most a short delay. Close bumps seq and wakes
// the sleepers so a blocked Read returns at once.

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"math"
	"sync"
	"sync/atomic"
	"time"
)

// ErrClosed is returned by Read and Write after Close.
var ErrClosed = errors.New("shmif port closed")

// Port is an attachment to a bus. Read is for one goroutine at a time;
// Write may be called concurrently with Read and with other Writes.
type Port struct {
	bus    *Bus
	sender uint64
	pos    uint64 // next logical offset to read; owned by the reader
	closed atomic.Bool
	// inUse is read-held by every Read and Write while they touch the
	// mapping and write-held by Close before it unmaps.
	inUse sync.RWMutex

	// Lost counts frames the reader lost because writers overtook it;
	// Recovered counts locks taken over from dead writers.
	Lost, Recovered atomic.Uint64
}

// Attach opens the bus file at path (creating it if needed) and attaches
// a port that will read frames written from now on.
func Attach(path string) (*Port, error) {
	b, err := Open(path)
	if err != nil {
		return nil, err
	}
	return attach(b), nil
}

func attach(b *Bus) *Port {
	var id [8]byte
	rand.Read(id[:])
	p := &Port{bus: b, sender: binary.NativeEndian.Uint64(id[:]) | 1}
	p.pos = b.u64(offLast).Load()
	return p
}

// Bus returns the port's bus.
func (p *Port) Bus() *Bus { return p.bus }

// Close detaches the port and unmaps the bus. A blocked Read returns
// ErrClosed; Close waits for it and for writes in progress.
func (p *Port) Close() error {
	if p.closed.Swap(true) {
		return nil
	}
	seq := p.bus.u32(offSeq)
	seq.Add(1)
	futexWake(seq, math.MaxInt32)
	p.inUse.Lock()
	defer p.inUse.Unlock()
	return p.bus.Close()
}

// Write puts one Ethernet frame on the bus.
func (p *Port) Write(frame []byte) (int, error) {
	p.inUse.RLock()
	defer p.inUse.RUnlock()
	if p.closed.Load() {
		return 0, ErrClosed
	}
	if len(frame) > MaxFrame {
		return 0, errTooBig
	}
	if p.bus.write(frame, p.sender, time.Now()) {
		p.Recovered.Add(1)
	}
	return len(frame), nil
}

// Read copies the next frame written by another port into buf and returns
// its length (truncated to len(buf)). It blocks until there is one or the
// port is closed.
func (p *Port) Read(buf []byte) (int, error) {
	p.inUse.RLock()
	defer p.inUse.RUnlock()
	b := p.bus
	for {
		if p.closed.Load() {
			return 0, ErrClosed
		}
		f, ok, lost := b.frameAt(p.pos, buf)
		if lost {
			p.Lost.Add(1)
		}
		if !ok {
			if f.next == p.pos {
				p.wait()
			}
			p.pos = f.next
			continue
		}
		p.pos = f.next
		if f.sender == p.sender {
			continue
		}
		return f.n, nil
	}
}

// wait sleeps until a frame may have arrived past p.pos or the port closes.
func (p *Port) wait() {
	b := p.bus
	seq, waiters := b.u32(offSeq), b.u32(offWaiters)
	s := seq.Load()
	if p.closed.Load() {
		return
	}
	waiters.Add(1)
	if b.u64(offLast).Load() == p.pos {
		futexWait(seq, s, 500*time.Millisecond)
	}
	waiters.Add(^uint32(0))
}
