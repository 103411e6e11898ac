package hijack

import (
	"os"
	"testing"

	"golang.org/x/sys/unix"
)

func TestSweepForgetsClosedSockets(t *testing.T) {
	fake := newFake()
	s := New(-1, fake)
	var ids []int
	remember := func() {
		p, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { unix.Close(p[0]) })
		f := os.NewFile(uintptr(p[1]), "end")
		defer f.Close()
		id := fake.add(&fakeSock{hfd: p[0], srv: f})
		ids = append(ids, id)
		s.remember(f, &sock{id: id})
	}
	for range minSweep - 1 {
		remember()
	}
	// The server closes all but the last ten.
	fake.mu.Lock()
	for _, id := range ids[:len(ids)-10] {
		delete(fake.socks, id)
	}
	fake.mu.Unlock()
	remember() // the minSweep'th starts a sweep
	s.wg.Wait()
	s.mu.Lock()
	defer s.mu.Unlock()
	if got, want := len(s.socks), 11; got != want {
		t.Errorf("got %d sockets remembered after the sweep, want %d", got, want)
	}
	if got, want := s.sweepAt, minSweep; got != want {
		t.Errorf("got next sweep at %d, want %d", got, want)
	}
}
