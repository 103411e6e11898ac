package shmif

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"
)

// drain reads frames from r until it has caught up with the bus and
// returns how many it got.
func drain(t *testing.T, r *Port) int {
	t.Helper()
	buf := make([]byte, MaxFrame)
	got := 0
	for r.cur.pos != r.bus.u64(offLast).Load() {
		n, err := readWithin(r, buf, 5*time.Second)
		if err != nil {
			t.Fatalf("read after %d frames: %v", got, err)
		}
		if _, ok := checkPayload(buf[:n]); !ok {
			t.Fatalf("frame %d corrupted", got)
		}
		got++
	}
	return got
}

// A reader that does not read while a writer laps it counts exactly the
// frames it missed: what it reads and what it counts lost add up to what
// was written.
func TestLappedReaderCountsEveryLostFrame(t *testing.T) {
	for _, tc := range []struct {
		name   string
		ring   uint64
		frames int
		size   func(i int) int
	}{
		{"fits, none lost", 16384, 40, func(int) int { return 200 }},
		{"one lap", 16384, 100, func(int) int { return 200 }},
		{"many laps", 8192, 2000, func(int) int { return 300 }},
		{"mixed sizes", 16384, 1000, func(i int) int { return 60 + i*37%1400 }},
		{"largest frames", 65536, 50, func(int) int { return MaxFrame }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "bus")
			w, r := attachSize(t, path, tc.ring), attachSize(t, path, tc.ring)
			var hook uint64
			r.OnLost(func(n uint64) { hook += n })
			for i := 0; i < tc.frames; i++ {
				if _, err := w.Write(payload(uint32(i+1), tc.size(i))); err != nil {
					t.Fatal(err)
				}
			}
			got := drain(t, r)
			lost := r.Lost.Load()
			if uint64(got)+lost != uint64(tc.frames) {
				t.Errorf("got %d read + %d lost = %d, want %d written", got, lost, uint64(got)+lost, tc.frames)
			}
			if hook != lost {
				t.Errorf("OnLost saw %d, want %d (Lost)", hook, lost)
			}
		})
	}
}

// With the writer running while the reader reads and sometimes stalls,
// reads and losses still add up to the frames written.
func TestConcurrentLossesAddUp(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bus")
	w, r := attachSize(t, path, 8192), attachSize(t, path, 8192)
	const frames = 5000
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 1; i <= frames; i++ {
			w.Write(payload(uint32(i), 60+i*53%1000))
		}
	}()
	buf := make([]byte, MaxFrame)
	got := 0
	for {
		if uint64(got)+r.Lost.Load() == frames {
			break
		}
		n, err := readWithin(r, buf, 10*time.Second)
		if err != nil {
			t.Fatalf("read %d, lost %d of %d: %v", got, r.Lost.Load(), frames, err)
		}
		if _, ok := checkPayload(buf[:n]); !ok {
			t.Fatal("corrupted frame")
		}
		if got++; got%100 == 0 {
			time.Sleep(time.Millisecond) // fall behind now and then
		}
	}
	wg.Wait()
	if total := uint64(got) + r.Lost.Load(); total != frames {
		t.Errorf("got %d read + %d lost = %d, want %d", got, r.Lost.Load(), total, frames)
	}
}

// Counts that do not add up (a writer that does not keep them) make a
// lapped reader count at least one lost frame, never a huge number.
func TestLostWithCountsNotKept(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bus")
	w, r := attachSize(t, path, 8192), attachSize(t, path, 8192)
	for i := 0; i < 200; i++ {
		w.Write(payload(uint32(i+1), 300))
		w.bus.u64(offFrames).Store(0) // as a writer that does not count
		w.bus.u64(offFirstIndex).Store(0)
	}
	got := drain(t, r)
	if lost := r.Lost.Load(); lost == 0 || lost > 200 {
		t.Errorf("lost %d (read %d), want 1..200", lost, got)
	}
}

// A Follower gets every frame from every sender, in order, from the
// oldest on the bus when asked to, and counts what it missed.
func TestFollower(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bus")
	a, b := attachSize(t, path, 16384), attachSize(t, path, 16384)
	a.Write(payload(1, 100))
	ro, err := OpenReadOnly(path)
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	followers := map[bool]*Follower{}
	for _, oldest := range []bool{true, false} {
		if followers[oldest], err = ro.Follow(oldest); err != nil {
			t.Fatal(err)
		}
	}
	b.Write(payload(2, 100))
	a.Write(payload(3, 100))
	for _, tc := range []struct {
		oldest bool
		want   []uint32
	}{
		{true, []uint32{1, 2, 3}},
		{false, []uint32{2, 3}},
	} {
		f := followers[tc.oldest]
		var got []uint32
		for len(got) < len(tc.want) {
			_, data, ok, lost, err := f.Next(5 * time.Second)
			if err != nil || !ok || lost != 0 {
				t.Fatalf("next: ok %v, lost %d, err %v; got %v so far", ok, lost, err, got)
			}
			seq, _ := checkPayload(data)
			got = append(got, seq)
		}
		if fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("oldest=%v: got %v, want %v", tc.oldest, got, tc.want)
		}
		if _, _, ok, _, err := f.Next(0); ok || err != nil {
			t.Errorf("oldest=%v: next on a quiet bus: got ok %v, err %v, want nothing", tc.oldest, ok, err)
		}
	}

	// Lapped: the writer fills the ring many times before the next call.
	f, _ := ro.Follow(false)
	for i := 0; i < 500; i++ {
		a.Write(payload(uint32(i+1), 200))
	}
	var read, lost uint64
	for {
		_, _, ok, l, err := f.Next(0)
		if err != nil {
			t.Fatal(err)
		}
		lost += l
		if !ok {
			break
		}
		read++
	}
	if read+lost != 500 || lost == 0 {
		t.Errorf("follower read %d + lost %d, want 500 with some lost", read, lost)
	}
}

func TestOpenSizeBounds(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		size uint64
		ok   bool
	}{
		{MinSize, true},
		{4 << 20, true},
		{MaxSize, true},
		{MinSize - 4096, false},
		{MaxSize + 4096, false},
		{MinSize + 8, false},
		{0, false},
	} {
		path := filepath.Join(dir, "bus")
		b, err := OpenSize(path, tc.size)
		if !tc.ok {
			if !errors.Is(err, syscall.EINVAL) {
				t.Errorf("size %d: got %v, want EINVAL", tc.size, err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("size %d: %v", tc.size, err)
		}
		h, _ := b.Header()
		b.Close()
		if h.DataSize != tc.size {
			t.Errorf("size %d: got a ring of %d", tc.size, h.DataSize)
		}
		// An existing bus keeps its size whatever the next opener asks.
		b, err = OpenSize(path, MinSize)
		if err != nil {
			t.Fatal(err)
		}
		h, _ = b.Header()
		b.Close()
		if h.DataSize != tc.size {
			t.Errorf("reopened with %d: got a ring of %d, want %d (the existing size)", MinSize, h.DataSize, tc.size)
		}
		os.Remove(path)
	}
}
