package shmif

import (
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"
	"time"
)

// within runs fn and fails the test if it has not returned after d (a
// hang, not a slow run: d is generous).
func within(t *testing.T, d time.Duration, what string, fn func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn()
	}()
	select {
	case <-done:
	case <-time.After(d):
		t.Fatalf("%s did not return within %v", what, d)
	}
}

// A bus file truncated under attached ports makes Read and Write return
// ErrBusFault instead of killing the process with SIGBUS, a Read blocked
// on the bus returns, and once the file is grown back the ports work
// again. Without the fault handling the test binary dies.
func TestTruncatedBusFaultsAndRecovers(t *testing.T) {
	const ring = 8192
	for _, tc := range []struct {
		name string
		size int64 // the file is truncated to this
	}{
		{"to zero", 0},
		{"header only", headerSize},
		{"half the ring", headerSize + ring/2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "bus")
			w, r := attachSize(t, path, ring), attachSize(t, path, ring)
			for i := 0; i < 100; i++ { // fill the ring, so its end is in use
				w.Write(payload(uint32(i+1), 200))
			}
			for r.cur.pos != r.bus.u64(offLast).Load() {
				readTimeout(t, r, 5*time.Second)
			}
			blocked := make(chan error, 1)
			go func() {
				_, err := r.Read(make([]byte, MaxFrame))
				blocked <- err
			}()

			if err := os.Truncate(path, tc.size); err != nil {
				t.Fatal(err)
			}
			select {
			case err := <-blocked:
				if !errors.Is(err, ErrBusFault) {
					t.Errorf("blocked read: got %v, want ErrBusFault", err)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("a read blocked on the bus did not return after truncation")
			}
			// Every write reaches the ring's end within a few frames.
			var err error
			for i := 0; i < 100 && err == nil; i++ {
				_, err = w.Write(payload(1, 1000))
			}
			if !errors.Is(err, ErrBusFault) || !errors.Is(err, syscall.ENXIO) {
				t.Fatalf("write: got %v, want ErrBusFault with ENXIO", err)
			}
			if _, err := r.Read(make([]byte, MaxFrame)); !errors.Is(err, ErrBusFault) {
				t.Fatalf("read: got %v, want ErrBusFault", err)
			}

			if err := os.Truncate(path, headerSize+ring); err != nil {
				t.Fatal(err)
			}
			if _, err := w.Write([]byte("again")); err != nil {
				t.Fatalf("write after the file was grown back: %v", err)
			}
			if got := readTimeout(t, r, 5*time.Second); string(got) != "again" {
				t.Errorf("read after the file was grown back: got %q, want %q", got, "again")
			}
			if l := w.bus.u32(offLock).Load(); l != 0 {
				t.Errorf("lock word %d after recovery, want 0", l)
			}
		})
	}
}

// A bus file whose header holds values no writer of this package stores
// must not stall writers or readers: the writer repairs the header (the
// bus is treated as reset) and returns, and the reader gets the frame.
func TestDamagedHeaderDoesNotStall(t *testing.T) {
	defer setLockTimes(10*time.Millisecond, 50*time.Millisecond)()
	const huge = 1 << 62
	for _, tc := range []struct {
		name string
		set  func(b *Bus)
	}{
		{"first huge", func(b *Bus) { b.u64(offFirst).Store(huge) }},
		{"last huge", func(b *Bus) { b.u64(offLast).Store(huge) }},
		{"first and last huge", func(b *Bus) { b.u64(offFirst).Store(huge); b.u64(offLast).Store(huge) }},
		{"last near wrap-around", func(b *Bus) { b.u64(offFirst).Store(^uint64(0) - 7); b.u64(offLast).Store(^uint64(0) - 7) }},
		{"last ahead of first by far", func(b *Bus) { b.u64(offFirst).Store(0); b.u64(offLast).Store(huge) }},
		{"first after last", func(b *Bus) { b.u64(offFirst).Store(1 << 20); b.u64(offLast).Store(64) }},
		{"misaligned", func(b *Bus) { b.u64(offFirst).Store(3); b.u64(offLast).Store(4093) }},
		{"generation huge", func(b *Bus) { b.u64(offGeneration).Store(huge) }},
		{"frame length huge", func(b *Bus) { putAll(b, 0, huge) }},
		{"every length a wrap marker", func(b *Bus) { putAll(b, wrapMarker, 0) }},
		{"lock not a pid", func(b *Bus) { b.u32(offLock).Store(0xffffffff) }},
		{"lock held by a live process", func(b *Bus) { b.u32(offLock).Store(1) }},
		{"lock held by this process", func(b *Bus) { b.u32(offLock).Store(uint32(os.Getpid())) }},
		{"waiters huge", func(b *Bus) { b.u32(offWaiters).Store(0xffffffff); b.u32(offLockWaiters).Store(0xffffffff) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "bus")
			w, r := attachSize(t, path, 4096), attachSize(t, path, 4096)
			for i := 0; i < 40; i++ {
				w.Write(payload(uint32(i+1), 100))
			}
			tc.set(w.bus)
			within(t, 10*time.Second, "write", func() {
				if _, err := w.Write([]byte("after")); err != nil {
					t.Errorf("write: %v", err)
				}
			})
			// The reader may lose its way in the damaged frames and
			// resynchronise past the first "after"; the writer keeps on.
			stop := make(chan struct{})
			defer close(stop)
			go func() {
				for {
					select {
					case <-stop:
						return
					case <-time.After(time.Millisecond):
						w.Write([]byte("after"))
					}
				}
			}()
			within(t, 10*time.Second, "read", func() {
				buf := make([]byte, MaxFrame)
				for {
					n, err := r.Read(buf)
					if err != nil {
						t.Errorf("read: %v", err)
						return
					}
					if string(buf[:n]) == "after" {
						return
					}
				}
			})
			within(t, 10*time.Second, "frames", func() { w.bus.Frames(func(FrameInfo, []byte) error { return nil }) })
		})
	}
}

// putAll writes n into the length field, and v into the rest of the
// header, of every possible frame position of the ring.
func putAll(b *Bus, n uint32, v uint64) {
	for off := uint64(0); off+frameHdr <= b.size; off += 8 {
		binary.NativeEndian.PutUint32(b.ring[off:], n)
		binary.NativeEndian.PutUint64(b.ring[off+8:], v)
	}
}

// setLockTimes shortens the lock takeover times and returns a function
// that restores them.
func setLockTimes(steal, giveUp time.Duration) func() {
	s, g := stealAfter, giveUpAfter
	stealAfter, giveUpAfter = steal, giveUp
	return func() { stealAfter, giveUpAfter = s, g }
}

// A port whose reader falls behind loses frames and counts them, and
// writers never wait for it.
func TestSlowReaderLosesAndCounts(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bus")
	w, r := attachSize(t, path, 4096), attachSize(t, path, 4096)
	within(t, 10*time.Second, "writes past a reader that does not read", func() {
		for i := 0; i < 1000; i++ {
			w.Write(payload(uint32(i+1), 500))
		}
	})
	seq, _ := checkPayload(readTimeout(t, r, 5*time.Second))
	if seq <= 1 || r.Lost.Load() == 0 {
		t.Errorf("first frame read is %d with %d lost, want a late one and losses counted", seq, r.Lost.Load())
	}
}

// A lock word that some process keeps "renewing" (the holder a live
// process, lockgen bumped all the time) still lets a writer in after a
// bounded wait.
func TestLockRenewedForeverIsTakenOver(t *testing.T) {
	defer setLockTimes(time.Hour, 50*time.Millisecond)() // never "stuck": only the bound helps
	path := filepath.Join(t.TempDir(), "bus")
	w := attachSize(t, path, 4096)
	w.bus.u32(offLock).Store(1)
	stop := make(chan struct{})
	done := make(chan struct{})
	t.Cleanup(func() { // before w is closed: let a writer that hangs go
		select {
		case <-stop:
		default:
			close(stop)
		}
		<-done
		w.bus.u32(offLock).Store(0)
	})
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			default:
				w.bus.u32(offLock).CompareAndSwap(0, 1)
				w.bus.u32(offLockGen).Add(1)
				runtime.Gosched()
			}
		}
	}()
	within(t, 10*time.Second, "write", func() {
		if _, err := w.Write([]byte("x")); err != nil {
			t.Errorf("write: %v", err)
		}
	})
	if got := w.Recovered.Load(); got != 1 {
		t.Errorf("recovered = %d, want 1", got)
	}
}

// A fault in the middle of copying a frame (its header before the cut,
// its bytes after) is caught too, and the lock taken for it is freed.
func TestFaultWhileCopyingAFrame(t *testing.T) {
	const ring = 8192
	path := filepath.Join(t.TempDir(), "bus")
	w := attachSize(t, path, ring)
	w.bus.u64(offFirst).Store(4096 - 32)
	w.bus.u64(offLast).Store(4096 - 32)
	if err := os.Truncate(path, headerSize+4096); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(make([]byte, 1000)); !errors.Is(err, ErrBusFault) {
		t.Fatalf("write: got %v, want ErrBusFault", err)
	}
	if l := w.bus.u32(offLock).Load(); l != 0 {
		t.Errorf("lock word %d after the fault, want 0", l)
	}
	if err := os.Truncate(path, headerSize+ring); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(make([]byte, 1000)); err != nil {
		t.Fatalf("write after the file was grown back: %v", err)
	}
}
