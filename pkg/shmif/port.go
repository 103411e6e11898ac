package shmif

// A Port is one interface's attachment to a bus: it writes frames tagged
// with its own sender id and reads every frame the other ports write.
//
// Reading: the port keeps its own logical read offset. With nothing new it
// sleeps on a futex word of the header: seq, which every frame wakes, or,
// once the interface above has told it its address (SetWakeAddr), the
// wake word of that address, which only frames to it and group frames
// wake (layout.go). No wake-up is lost; the sleep is still bounded
// (readWait), so that a reader notices a bus file cut short, and an
// address change made while it sleeps, within that time. Close wakes the
// reader's word so a blocked Read returns at once.
//
// Errors: Read and Write return ErrClosed after Close, Write returns an
// error for a frame larger than MaxFrame, and both return an error that
// matches ErrBusFault (errors.Is) when the bus file was damaged under the
// mapping: truncated, or its storage gone. A Read blocked on the bus
// notices within its bounded sleep and returns the error. Such errors are
// not permanent: while the port is faulted every call checks the file
// first (a Read that finds it still damaged waits up to faultRetry first,
// so a caller retrying in a loop does not spin), and once the file covers
// the bus again Read and Write work again, the reader resynchronising at
// the oldest frame on the bus. The interface above decides what a fault
// means for the link. Frames lost meanwhile, or because the reader fell
// more than a ring behind, are counted in Lost; writers never wait for
// readers.

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"io"
	"math"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"
)

// faultRetry is how long a Read on a faulted port waits before it checks
// the file again.
const faultRetry = 250 * time.Millisecond

// readWait bounds a reader's sleep on the bus (see the top of the file).
// Wake-ups are not lost, so it is long: an idle reader wakes for nothing
// but it.
var readWait = 2 * time.Second

// ErrClosed is returned by Read and Write after Close.
var ErrClosed = errors.New("shmif port closed")

// Port is an attachment to a bus. Read is for one goroutine at a time;
// Write may be called concurrently with Read and with other Writes.
type Port struct {
	bus    *Bus
	sender uint64
	cur    cursor // where to read next; owned by the reader
	closed atomic.Bool
	done   chan struct{} // closed by Close
	// faulted is set when an access faulted; until check passes again
	// nothing touches the mapping.
	faulted atomic.Bool
	// inUse is read-held by every Read and Write while they touch the
	// mapping and write-held by Close before it unmaps.
	inUse sync.RWMutex

	// Lost counts frames the reader lost because writers overtook it;
	// Recovered counts locks taken over from dead writers.
	Lost, Recovered atomic.Uint64
	onLost          atomic.Pointer[func(uint64)]
	filter          atomic.Pointer[func([]byte) bool]
	wakeAddr        atomic.Pointer[func() ([6]byte, bool)]
	want            wantFunc // p.wants, made once
	// slot is the wake key of the word the reader sleeps on, or last
	// slept on; Close wakes it.
	slot atomic.Int32
}

// SetFilter has the reader skip, without copying them, the frames for
// which fn, given the frame's first bytes (its headers: FilterLen bytes,
// or fewer for a shorter frame), returns false: the frames the interface
// above would drop for their destination. fn is called on the reading
// goroutine; nil takes every frame. The bus itself filters nothing.
func (p *Port) SetFilter(fn func(eth []byte) bool) {
	if fn == nil {
		p.filter.Store(nil)
		return
	}
	p.filter.Store(&fn)
}

// SetWakeAddr has the reader, when it sleeps for want of frames, woken
// only by frames to the address fn returns and by group frames; fn
// returning false, or a nil fn, has it woken by every frame. fn is
// called on the reading goroutine before each sleep, so it must return
// false whenever the filter (SetFilter) takes frames to other addresses. A
// change while the reader sleeps takes effect when it next wakes, at the
// latest after readWait.
func (p *Port) SetWakeAddr(fn func() (mac [6]byte, ok bool)) {
	if fn == nil {
		p.wakeAddr.Store(nil)
		return
	}
	p.wakeAddr.Store(&fn)
}

// wakeKey is the wake key of the word the reader sleeps on now.
func (p *Port) wakeKey() int {
	if fn := p.wakeAddr.Load(); fn != nil {
		if mac, ok := (*fn)(); ok && mac[0]&1 == 0 {
			return wakeKey(mac[:])
		}
	}
	return wakeAll
}

// wants is the port's wantFunc: another port's frames that the filter
// takes. A port never reads its own frames.
func (p *Port) wants(sender uint64, eth []byte) bool {
	if sender == p.sender {
		return false
	}
	fn := p.filter.Load()
	return fn == nil || (*fn)(eth)
}

// OnLost has fn called, on the reading goroutine, with the number of
// frames each time the reader loses some (as Lost counts them). The
// interface above counts them as input drops.
func (p *Port) OnLost(fn func(n uint64)) { p.onLost.Store(&fn) }

func (p *Port) lost(n uint64) {
	p.Lost.Add(n)
	if fn := p.onLost.Load(); fn != nil {
		(*fn)(n)
	}
}

// Port is a rump.FrameDevice: one frame per Read and per Write.
var _ io.ReadWriteCloser = (*Port)(nil)

// Attach opens the bus file at path (creating it if needed) and attaches
// a port that will read frames written from now on.
func Attach(path string) (*Port, error) { return AttachSize(path, DefaultSize) }

// AttachSize is Attach with the ring size a bus it creates gets (see
// OpenSize).
func AttachSize(path string, size uint64) (*Port, error) {
	b, err := OpenSize(path, size)
	if err != nil {
		return nil, err
	}
	return attach(b), nil
}

func attach(b *Bus) *Port {
	var id [8]byte
	rand.Read(id[:])
	p := &Port{bus: b, sender: binary.NativeEndian.Uint64(id[:]) | 1, done: make(chan struct{})}
	p.want = p.wants
	p.slot.Store(wakeAll)
	if b.guard(func() { p.cur = b.at(false) }) != nil {
		p.faulted.Store(true)
	}
	return p
}

// Close detaches the port and unmaps the bus. A blocked Read returns
// ErrClosed; Close waits for it and for writes in progress.
func (p *Port) Close() error {
	if p.closed.Swap(true) {
		return nil
	}
	close(p.done)
	p.bus.guard(func() {
		word, _ := p.bus.wakeSlot(int(p.slot.Load()))
		word.Add(1)
		futexWake(word, math.MaxInt32)
	})
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
	return p.write([][]byte{frame}, false, len(frame))
}

// write puts a frame gathered from bufs, n bytes in all, on the bus;
// vnet says that it begins with an offload header. The caller holds
// inUse (read).
func (p *Port) write(bufs [][]byte, vnet bool, n int) (int, error) {
	if err := p.recover(); err != nil {
		return 0, err
	}
	recovered, err := p.bus.write(bufs, vnet, p.sender, time.Now())
	if recovered {
		p.Recovered.Add(1)
	}
	if err != nil {
		if errors.Is(err, ErrBusFault) {
			p.faulted.Store(true)
		}
		return 0, err
	}
	return n, nil
}

// recover checks a faulted port's file and clears the fault if the file
// covers the bus again.
func (p *Port) recover() error {
	if !p.faulted.Load() {
		return nil
	}
	if err := p.bus.check(); err != nil {
		return err
	}
	p.faulted.Store(false)
	return nil
}

// Read copies the next frame written by another port into buf and returns
// its length (truncated to len(buf)). It blocks until there is one, the
// port is closed, or the bus file is found damaged. An offloaded frame
// comes without its header and with its checksum completed; a TCP
// super-frame comes whole, as one frame larger than the MTU (a reader
// that wants the header uses Offload).
func (p *Port) Read(buf []byte) (int, error) {
	f, err := p.readv([][]byte{buf})
	if err != nil {
		return 0, err
	}
	if f.vnet && f.n == f.length {
		completeChecksum(buf[:f.n], f.hdr[:])
	}
	return f.n, nil
}

// readv is Read scattering the frame over dst; the frame's offload header,
// if any, is in the frame returned.
func (p *Port) readv(dst [][]byte) (f frame, err error) {
	p.inUse.RLock()
	defer p.inUse.RUnlock()
	if p.closed.Load() {
		return f, ErrClosed
	}
	if p.faulted.Load() {
		if p.recover() != nil {
			select {
			case <-p.done:
				return f, ErrClosed
			case <-time.After(faultRetry):
			}
			if err := p.recover(); err != nil {
				return f, err
			}
		}
	}
	defer func() {
		if errors.Is(err, ErrBusFault) {
			p.faulted.Store(true)
		}
	}()
	defer p.bus.catch(debug.SetPanicOnFault(true), &err)
	return p.read(dst)
}

// read is readv on a healthy port; the mapping may fault under it.
func (p *Port) read(dst [][]byte) (frame, error) {
	b := p.bus
	for {
		if p.closed.Load() {
			return frame{}, ErrClosed
		}
		// The word is loaded before looking for a frame: one published
		// after the look has moved it on, and the sleep ends at once.
		key := p.wakeKey()
		word, sleepers := b.wakeSlot(key)
		s := word.Load()
		before := p.cur.pos
		f, ok, lost := b.step(&p.cur, dst, p.want)
		if lost > 0 {
			p.lost(lost)
		}
		if !ok {
			if p.cur.pos == before && p.wait(key, word, sleepers, s) {
				// Quiet for a while: the bus may be quiet because its
				// file was cut short, which no access here would show.
				if err := b.covered(); err != nil {
					return frame{}, err
				}
			}
			continue
		}
		if f.skipped {
			continue
		}
		return f, nil
	}
}

// wait sleeps until the reader's wake word moves on from s (a frame may
// have arrived past the read position) or the port closes, and reports
// whether the sleep timed out. s was loaded before the reader found
// nothing to read, so a frame written since then ends the wait at once.
// The word's key is published in slot before closed is checked, so Close
// either sees it and wakes that word or is seen here.
func (p *Port) wait(key int, word, sleepers *atomic.Uint32, s uint32) (timedOut bool) {
	p.slot.Store(int32(key))
	if p.closed.Load() {
		return false
	}
	sleepers.Add(1)
	timedOut = futexWait(word, s, readWait)
	sleepers.Add(^uint32(0))
	return timedOut
}
