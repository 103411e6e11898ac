package shmif

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/rumpnet/rumpnet/internal/testkit"
	"golang.org/x/sys/unix"
)

func attachSize(t *testing.T, path string, size uint64) *Port {
	t.Helper()
	b, err := openSize(path, size)
	if err != nil {
		t.Fatal(err)
	}
	p := attach(b)
	t.Cleanup(func() { p.Close() })
	return p
}

// readTimeout reads one frame or fails the test after d.
func readTimeout(t *testing.T, p *Port, d time.Duration) []byte {
	t.Helper()
	type res struct {
		b   []byte
		err error
	}
	ch := make(chan res, 1)
	go func() {
		buf := make([]byte, MaxFrame)
		n, err := p.Read(buf)
		ch <- res{buf[:n], err}
	}()
	select {
	case r := <-ch:
		if r.err != nil {
			t.Fatalf("read: %v", r.err)
		}
		return r.b
	case <-time.After(d):
		t.Fatalf("no frame within %v", d)
		return nil
	}
}

func TestTwoPortsSeeEachOtherNotThemselves(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bus")
	a, b, c := attachSize(t, path, 4096), attachSize(t, path, 4096), attachSize(t, path, 4096)
	if _, err := a.Write([]byte("from a")); err != nil {
		t.Fatal(err)
	}
	if got := readTimeout(t, b, time.Second); string(got) != "from a" {
		t.Errorf("b got %q, want %q", got, "from a")
	}
	if got := readTimeout(t, c, time.Second); string(got) != "from a" {
		t.Errorf("c got %q, want %q", got, "from a")
	}
	b.Write([]byte("from b"))
	if got := readTimeout(t, a, time.Second); string(got) != "from b" {
		t.Errorf("a got %q, want %q (its own frame must be skipped)", got, "from b")
	}
}

func TestReadWakesPromptlyAndCloseEndsRead(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bus")
	a, b := attachSize(t, path, 4096), attachSize(t, path, 4096)
	done := make(chan error, 1)
	go func() {
		_, err := b.Read(make([]byte, MaxFrame))
		done <- err
	}()
	time.Sleep(50 * time.Millisecond) // let the reader sleep on the futex
	a.Write([]byte("x"))
	if err := <-done; err != nil {
		t.Fatalf("read: %v", err)
	}
	go func() {
		_, err := b.Read(make([]byte, MaxFrame))
		done <- err
	}()
	time.Sleep(50 * time.Millisecond)
	b.Close()
	if err := <-done; !errors.Is(err, ErrClosed) {
		t.Fatalf("read after close: got %v, want ErrClosed", err)
	}
	if _, err := b.Write([]byte("y")); !errors.Is(err, ErrClosed) {
		t.Fatalf("write after close: got %v, want ErrClosed", err)
	}
}

// payload makes a self-checking frame: sequence number, length, CRC.
func payload(seq uint32, n int) []byte {
	f := make([]byte, n)
	binary.BigEndian.PutUint32(f[4:], seq)
	for i := 12; i < n; i++ {
		f[i] = byte(seq) + byte(i)
	}
	binary.BigEndian.PutUint32(f[8:], crc32.ChecksumIEEE(f[12:]))
	binary.BigEndian.PutUint32(f[0:], uint32(n))
	return f
}

func checkPayload(f []byte) (uint32, bool) {
	if len(f) < 12 || int(binary.BigEndian.Uint32(f[0:])) != len(f) {
		return 0, false
	}
	return binary.BigEndian.Uint32(f[4:]), binary.BigEndian.Uint32(f[8:]) == crc32.ChecksumIEEE(f[12:])
}

// A reader that falls behind loses the oldest frames, never gets a torn
// one, and keeps getting frames in order afterwards.
func TestWrapLosesButNeverCorrupts(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bus")
	w, r := attachSize(t, path, 8192), attachSize(t, path, 8192)
	const frames = 2000
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := uint32(1); i <= frames; i++ {
			w.Write(payload(i, 60+int(i*37)%1400))
		}
		w.Write(payload(0, 60)) // end
	}()
	buf := make([]byte, MaxFrame)
	var got, prev uint32
	for {
		n, err := r.Read(buf)
		if err != nil {
			t.Fatal(err)
		}
		seq, ok := checkPayload(buf[:n])
		if !ok {
			t.Fatalf("corrupted frame after seq %d", prev)
		}
		if seq == 0 {
			break
		}
		if seq <= prev {
			t.Fatalf("seq %d after %d: out of order", seq, prev)
		}
		prev = seq
		got++
		if got%50 == 0 {
			time.Sleep(time.Millisecond) // fall behind now and then
		}
	}
	wg.Wait()
	t.Logf("received %d of %d frames, %d losses noted", got, frames, r.Lost.Load())
	if got == 0 {
		t.Fatal("received nothing")
	}
}

// Several writers in parallel: every reader gets whole frames only.
func TestConcurrentWriters(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bus")
	r := attachSize(t, path, 1<<16)
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		p := attachSize(t, path, 1<<16)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := uint32(1); i <= 500; i++ {
				p.Write(payload(i, 100+int(i)%900))
			}
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	buf := make([]byte, MaxFrame)
	n := 0
	for {
		select {
		case <-done:
			t.Logf("read %d frames, lost %d", n, r.Lost.Load())
			return
		default:
		}
		rn, err := readWithin(r, buf, 200*time.Millisecond)
		if err != nil {
			continue
		}
		if _, ok := checkPayload(buf[:rn]); !ok {
			t.Fatal("corrupted frame")
		}
		n++
	}
}

func readWithin(p *Port, buf []byte, d time.Duration) (int, error) {
	last := p.bus.u64(offLast).Load()
	if p.cur.pos == last {
		deadline := time.Now().Add(d)
		for p.cur.pos == p.bus.u64(offLast).Load() {
			if time.Now().After(deadline) {
				return 0, errors.New("timeout")
			}
			time.Sleep(time.Millisecond)
		}
	}
	return p.Read(buf)
}

// A writer that died holding the lock does not wedge the bus.
func TestDeadWriterLockIsTakenOver(t *testing.T) {
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		testkit.Skip(t, "cannot run a process to get a dead pid: %v", err)
	}
	dead := uint32(cmd.Process.Pid)
	path := filepath.Join(t.TempDir(), "bus")
	a, b := attachSize(t, path, 4096), attachSize(t, path, 4096)
	a.bus.u32(offLock).Store(dead)
	done := make(chan struct{})
	go func() {
		a.Write([]byte("after"))
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("write still blocked by a dead holder")
	}
	if a.Recovered.Load() != 1 {
		t.Errorf("recovered = %d, want 1", a.Recovered.Load())
	}
	if got := readTimeout(t, b, time.Second); string(got) != "after" {
		t.Errorf("got %q, want %q", got, "after")
	}
	if l := a.bus.u32(offLock).Load(); l != 0 {
		t.Errorf("lock = %d after write, want 0", l)
	}
}

func TestNotABus(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "file")
	os.WriteFile(path, bytes.Repeat([]byte("x"), 8192), 0o644)
	_, err := Open(path)
	if !errors.Is(err, syscall.EINVAL) || !errors.Is(err, ErrNotBus) && err.Error() == "" {
		t.Fatalf("got %v, want EINVAL not a shmif bus", err)
	}
	if _, err := Open(dir); !errors.Is(err, syscall.EISDIR) && !errors.Is(err, syscall.EINVAL) {
		t.Fatalf("directory: got %v", err)
	}
}

func TestFramesAndHeader(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bus")
	a := attachSize(t, path, 4096)
	for i := 0; i < 3; i++ {
		a.Write(bytes.Repeat([]byte{byte(i)}, 64))
	}
	var lens []int
	a.bus.Frames(func(fi FrameInfo, data []byte) error {
		lens = append(lens, len(data))
		if data[0] != byte(len(lens)-1) {
			t.Errorf("frame %d has byte %d", len(lens)-1, data[0])
		}
		return nil
	})
	if len(lens) != 3 {
		t.Fatalf("got %d frames, want 3", len(lens))
	}
	h, err := a.bus.Header()
	if err != nil {
		t.Fatal(err)
	}
	if h.Version != version || h.First != 0 || h.Last != 3*align8(frameHdr+64) || h.DataSize != 4096 {
		t.Errorf("header %+v", h)
	}
}

// A process holding the bus file's flock cannot make an attach wait
// for ever: it fails with EBUSY after flockWait.
func TestAttachDoesNotWaitForeverOnALockedFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bus")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		p, err := Attach(path)
		if err == nil {
			p.Close()
		}
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, syscall.EBUSY) {
			t.Fatalf("attach to a locked file: got %v, want EBUSY", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("attach to a locked file still waiting after 30 s")
	}
	unix.Flock(int(f.Fd()), unix.LOCK_UN)
	p, err := Attach(path)
	if err != nil {
		t.Fatalf("attach once unlocked: %v", err)
	}
	p.Close()
}
