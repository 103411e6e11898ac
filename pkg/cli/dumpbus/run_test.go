package dumpbus

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/rumpnet/rumpnet/pkg/shmif"
)

func run1(args ...string) (string, string, int) {
	var out, errs bytes.Buffer
	st := Run(args, &out, &errs)
	return out.String(), errs.String(), st
}

func busWithFrames(t *testing.T, frames ...[]byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "bus")
	p, err := shmif.Attach(path)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	for _, f := range frames {
		if _, err := p.Write(f); err != nil {
			t.Fatal(err)
		}
	}
	return path
}

func TestErrors(t *testing.T) {
	dir := t.TempDir()
	junk := filepath.Join(dir, "junk")
	os.WriteFile(junk, bytes.Repeat([]byte{1}, 10000), 0o644)
	tests := []struct {
		args []string
		err  string
	}{
		{nil, "usage: shmif_dumpbus [-fh] [-p pcapfile] buspath\n"},
		{[]string{"a", "b"}, "usage: shmif_dumpbus [-fh] [-p pcapfile] buspath\n"},
		{[]string{"-x", "a"}, "shmif_dumpbus: unknown option -- x\nusage: shmif_dumpbus [-fh] [-p pcapfile] buspath\n"},
		{[]string{filepath.Join(dir, "none")}, "shmif_dumpbus: open bus: No such file or directory\n"},
		{[]string{junk}, "shmif_dumpbus: " + junk + " not a shmif bus\n"},
	}
	for _, tt := range tests {
		out, errs, st := run1(tt.args...)
		if st != 1 || out != "" || errs != tt.err {
			t.Errorf("%q: got %d %q %q, want 1, no output, %q", tt.args, st, out, errs, tt.err)
		}
	}
}

func TestHeaderAndFrames(t *testing.T) {
	path := busWithFrames(t, bytes.Repeat([]byte{0xaa}, 60), bytes.Repeat([]byte{0xbb}, 98))
	header := `bus version 3, lock: 0, generation: 0, firstoff: 0x0000, lastoff: 0x00d8\n`
	out, errs, st := run1("-h", path)
	if st != 0 || errs != "" || !regexp.MustCompile(`^`+header+`$`).MatchString(out) {
		t.Errorf("-h: got %d %q %q", st, out, errs)
	}
	out, _, st = run1(path)
	want := `^` + header + `packet 0, offset 0x0018, length 0x003c, ts \d+/\d{6}\npacket 1, offset 0x0070, length 0x0062, ts \d+/\d{6}\n$`
	if st != 0 || !regexp.MustCompile(want).MatchString(out) {
		t.Errorf("frames: got %d %q, want match %q", st, out, want)
	}
}

func TestPcap(t *testing.T) {
	frames := [][]byte{bytes.Repeat([]byte{1}, 60), bytes.Repeat([]byte{2}, 1514)}
	path := busWithFrames(t, frames...)
	out, errs, st := run1("-p", "-", path)
	if st != 0 || !strings.HasPrefix(errs, "bus version 3") || strings.Count(errs, "packet ") != 2 {
		t.Fatalf("got %d, stderr %q", st, errs)
	}
	b := []byte(out)
	if binary.NativeEndian.Uint32(b) != pcapMagic || binary.NativeEndian.Uint32(b[20:]) != pcapLinkEther {
		t.Fatalf("pcap header % x", b[:24])
	}
	b = b[24:]
	for i, f := range frames {
		caplen, length := binary.NativeEndian.Uint32(b[8:]), binary.NativeEndian.Uint32(b[12:])
		if int(caplen) != len(f) || int(length) != len(f) || !bytes.Equal(b[16:16+caplen], f) {
			t.Fatalf("record %d: caplen %d len %d", i, caplen, length)
		}
		b = b[16+caplen:]
	}
	if len(b) != 0 {
		t.Errorf("%d trailing bytes", len(b))
	}
	file := filepath.Join(t.TempDir(), "x.pcap")
	if _, _, st := run1("-p", file, path); st != 0 {
		t.Fatal("pcap to a file failed")
	}
	if fb, _ := os.ReadFile(file); !bytes.Equal(fb, []byte(out)) {
		t.Error("file and stdout pcap differ")
	}
}

// A bus whose offsets were set to nonsense prints its header and no
// frames, and the walk ends (it used to step through 2^62 bytes).
func TestDamagedOffsets(t *testing.T) {
	path := busWithFrames(t, bytes.Repeat([]byte{0xaa}, 60))
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	var off [16]byte
	binary.NativeEndian.PutUint64(off[0:], 0)     // first
	binary.NativeEndian.PutUint64(off[8:], 1<<62) // last
	if _, err := f.WriteAt(off[:], 16); err != nil {
		t.Fatal(err)
	}
	f.Close()
	done := make(chan struct{})
	var out, errs string
	var st int
	go func() {
		defer close(done)
		out, errs, st = run1(path)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("shmif_dumpbus did not finish within 10s")
	}
	want := "bus version 3, lock: 0, generation: 0, firstoff: 0x0000, lastoff: 0x0000\n"
	if st != 0 || out != want || errs != "" {
		t.Errorf("got %d %q %q, want 0, %q, no errors", st, out, errs, want)
	}
}
