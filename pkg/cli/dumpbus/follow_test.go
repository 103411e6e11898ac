package dumpbus

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rumpnet/rumpnet/pkg/shmif"
)

// lockedBuffer is a bytes.Buffer safe for a writer and a reader at once.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// pcapRecords counts the records of a classic pcap file.
func pcapRecords(b []byte) int {
	n := 0
	for off := 24; off+16 <= len(b); n++ {
		off += 16 + int(binary.NativeEndian.Uint32(b[off+8:]))
	}
	return n
}

// -f lists the frames on the bus and then those written later, each
// record flushed to the capture file as it comes, and ends cleanly when
// told to stop.
func TestFollow(t *testing.T) {
	path := busWithFrames(t, bytes.Repeat([]byte{1}, 60))
	w, err := shmif.Attach(path)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	pcap := filepath.Join(t.TempDir(), "out.pcap")
	var out, errs lockedBuffer
	status := make(chan int, 1)
	go func() { status <- Run([]string{"-f", "-p", pcap, path}, &out, &errs) }()

	waitFor := func(what string, cond func() bool) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(5 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("%s: not within 10s; stdout %q stderr %q", what, out.String(), errs.String())
			}
		}
	}
	records := func(want int) func() bool {
		return func() bool { b, _ := os.ReadFile(pcap); return pcapRecords(b) >= want }
	}
	waitFor("the frame already on the bus", records(1))
	for i := 0; i < 3; i++ {
		w.Write(bytes.Repeat([]byte{byte(i + 2)}, 70+i))
	}
	waitFor("three frames written later", records(4))
	close(stopFollowing)
	select {
	case st := <-status:
		if st != 0 {
			t.Errorf("exit status: got %d, want 0", st)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("-f did not end when stopped")
	}
	b, _ := os.ReadFile(pcap)
	lines := strings.Count(out.String(), "\npacket ")
	if got := pcapRecords(b); got != 4 || lines != 4 || errs.String() != "" {
		t.Errorf("got %d records, %d frame lines, stderr %q; want 4, 4, none", got, lines, errs.String())
	}
}
