package shmif

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

var (
	macA   = []byte{0xb2, 0xa0, 0, 0, 0, 1}
	macB   = []byte{0xb2, 0xa0, 0, 0, 0, 2}
	macAll = []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}
	mac33  = []byte{0x33, 0x33, 0, 0, 0, 0x16}
)

// ethFrame is a frame of n bytes to dst.
func ethFrame(dst []byte, n int) []byte {
	f := make([]byte, n)
	copy(f, dst)
	return f
}

// words returns every wake word's value, seq's first.
func words(b *Bus) []uint32 {
	out := []uint32{b.u32(offSeq).Load()}
	for k := 0; k < wakeWords; k++ {
		out = append(out, b.u32(offWake+8*k).Load())
	}
	return out
}

// A frame moves seq and the wake word of its destination, a group frame
// (or one too short to have a destination) every wake word, and on a
// version 2 bus only seq.
func TestWriteWakesItsDestinationsWord(t *testing.T) {
	if wakeKey(macA) == wakeKey(macB) {
		t.Fatalf("wakeKey: got %d for both test addresses, want different words", wakeKey(macA))
	}
	for _, tc := range []struct {
		name    string
		version uint32
		frame   []byte
		vnet    bool
		moved   func(k int) bool // which wake words move (seq always does)
	}{
		{"unicast", version, ethFrame(macA, 60), false, func(k int) bool { return k == wakeKey(macA) }},
		{"unicast, offloaded", version, append(make([]byte, VnetHdrLen), ethFrame(macB, 60)...), true, func(k int) bool { return k == wakeKey(macB) }},
		{"broadcast", version, ethFrame(macAll, 60), false, func(int) bool { return true }},
		{"multicast", version, ethFrame(mac33, 60), false, func(int) bool { return true }},
		{"too short", version, []byte{0xb2, 0xa0, 0}, false, func(int) bool { return true }},
		{"version 2 bus", version2, ethFrame(macA, 60), false, func(int) bool { return false }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "bus")
			w := attachSize(t, path, 1<<20)
			w.bus.version = tc.version
			before := words(w.bus)
			if _, err := w.bus.write([][]byte{tc.frame}, tc.vnet, w.sender, time.Now()); err != nil {
				t.Fatal(err)
			}
			after := words(w.bus)
			if after[0] != before[0]+1 {
				t.Errorf("seq: got %d, want %d", after[0], before[0]+1)
			}
			for k := 0; k < wakeWords; k++ {
				want := before[k+1]
				if tc.moved(k) {
					want++
				}
				if after[k+1] != want {
					t.Errorf("wake word %d: got %d, want %d", k, after[k+1], want)
				}
			}
		})
	}
}

// withReadWait sets readWait for a test: a long one shows that readers
// do not depend on it to see frames.
func withReadWait(d time.Duration) func() {
	old := readWait
	readWait = d
	return func() { readWait = old }
}

// macOf is the address of reader i of the hammering test.
func macOf(i int) []byte { return []byte{0xb2, 0xa0, 1, 2, byte(i >> 8), byte(i)} }

// Readers that sleep on their address's wake word (and one that sleeps
// on seq) get every frame meant for them while writers hammer the bus,
// although their sleep has no useful bound: no wake-up is lost.
func TestNoLostWakeUps(t *testing.T) {
	defer withReadWait(time.Hour)()
	for _, tc := range []struct {
		name     string
		version  uint32
		readers  int
		writers  int
		perWrite int
	}{
		{"wake words", version, 6, 3, 20000},
		{"version 2 bus", version2, 3, 2, 10000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "bus")
			rs := make([]*Port, tc.readers)
			want := make([]int, tc.readers+1) // the last: the reader of every frame
			for i := range rs {
				rs[i] = attachSize(t, path, 16<<20)
				rs[i].bus.version = tc.version
				mac := macOf(i)
				if i == tc.readers-1 {
					mac = nil // wakes for everything
				}
				rs[i].SetFilter(func(eth []byte) bool { return mac == nil || eth[0]&1 != 0 || bytes.Equal(eth[:6], mac) })
				rs[i].SetWakeAddr(wakeFn(mac))
			}
			ws := make([]*Port, tc.writers)
			plans := make([][]int, tc.writers)
			for i := range ws {
				ws[i] = attachSize(t, path, 16<<20)
				ws[i].bus.version = tc.version
				r := rand.New(rand.NewPCG(uint64(i), 1))
				for j := 0; j < tc.perWrite; j++ {
					dst := r.IntN(tc.readers + 1) // == readers: a group frame
					plans[i] = append(plans[i], dst)
					switch {
					case dst == tc.readers:
						for k := range want {
							want[k]++
						}
					case dst == tc.readers-1:
						want[dst]++
					default:
						want[dst]++
						want[tc.readers-1]++ // the reader of every frame gets it too
					}
				}
			}
			got := make([]int, tc.readers)
			var wg sync.WaitGroup
			for i, r := range rs {
				wg.Add(1)
				go func() {
					defer wg.Done()
					buf := make([]byte, MaxFrame)
					for got[i] < want[i] {
						if _, err := r.Read(buf); err != nil {
							return
						}
						got[i]++
					}
				}()
			}
			for i, w := range ws {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for j, dst := range plans[i] {
						mac := macAll
						if dst < tc.readers {
							mac = macOf(dst)
						}
						if _, err := w.Write(ethFrame(mac, 60)); err != nil {
							t.Errorf("write: %v", err)
							return
						}
						if j%7 == 0 {
							time.Sleep(time.Duration(j%3) * 10 * time.Microsecond) // let readers fall asleep
						}
					}
				}()
			}
			done := make(chan struct{})
			go func() { wg.Wait(); close(done) }()
			select {
			case <-done:
			case <-time.After(60 * time.Second):
				for _, r := range rs {
					r.Close() // ends the blocked reads
				}
				<-done
			}
			for i := range rs {
				if got[i] != want[i] || rs[i].Lost.Load() != 0 {
					t.Errorf("reader %d: got %d frames (%d lost), want %d", i, got[i], rs[i].Lost.Load(), want[i])
				}
			}
		})
	}
}

// Close ends a Read asleep on a wake word at once, whatever readWait is.
func TestCloseWakesReaderOnItsWord(t *testing.T) {
	defer withReadWait(time.Hour)()
	for _, mac := range [][]byte{macA, nil} {
		t.Run(fmt.Sprintf("%x", mac), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "bus")
			r := attachSize(t, path, 1<<20)
			r.SetWakeAddr(wakeFn(mac))
			errc := make(chan error, 1)
			go func() {
				_, err := r.Read(make([]byte, MaxFrame))
				errc <- err
			}()
			_, sleepers := r.bus.wakeSlot(wakeKey(macA))
			if mac == nil {
				_, sleepers = r.bus.wakeSlot(wakeAll)
			}
			deadline := time.Now().Add(10 * time.Second)
			for sleepers.Load() == 0 && time.Now().Before(deadline) {
				time.Sleep(time.Millisecond)
			}
			r.Close()
			select {
			case err := <-errc:
				if err != ErrClosed {
					t.Errorf("Read: got %v, want ErrClosed", err)
				}
			case <-time.After(30 * time.Second):
				t.Fatal("Read still blocked 30 s after Close")
			}
		})
	}
}

// wakeFn is a SetWakeAddr function for mac, nil for every frame.
func wakeFn(mac []byte) func() ([6]byte, bool) {
	var a [6]byte
	copy(a[:], mac)
	return func() ([6]byte, bool) { return a, mac != nil }
}
