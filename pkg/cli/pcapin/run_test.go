package pcapin

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/rumpnet/rumpnet/pkg/pcap"
	"github.com/rumpnet/rumpnet/pkg/shmif"
)

func run1(args ...string) (string, string, int) {
	var out, errs bytes.Buffer
	st := Run(args, &out, &errs)
	return out.String(), errs.String(), st
}

// pcapFile writes frames as a classic pcap file of linkType.
func pcapFile(t *testing.T, linkType int, frames ...[]byte) string {
	t.Helper()
	var b bytes.Buffer
	w, err := pcap.NewWriter(&b, linkType, 65535)
	if err != nil {
		t.Fatal(err)
	}
	for i, f := range frames {
		if err := w.WritePacket(pcap.Packet{Time: time.Unix(int64(i), 0), OrigLen: len(f), Data: f}); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(t.TempDir(), "in.pcap")
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func frame(dst, src byte, n int) []byte {
	f := make([]byte, n)
	copy(f, []byte{2, 0, 0, 0, 0, dst, 2, 0, 0, 0, 0, src, 0x88, 0xb5})
	for i := 14; i < n; i++ {
		f[i] = byte(i)
	}
	return f
}

func TestErrors(t *testing.T) {
	dir := t.TempDir()
	junk := filepath.Join(dir, "junk")
	os.WriteFile(junk, bytes.Repeat([]byte{1}, 10000), 0o644)
	bus := filepath.Join(dir, "bus")
	p, err := shmif.Attach(bus)
	if err != nil {
		t.Fatal(err)
	}
	p.Close()
	null := pcapFile(t, pcap.LinkTypeNull, []byte{2, 0, 0, 0, 0x45})
	const use = "usage: shmif_pcapin pcap-file-path bus-path\n"
	header := "bus version 3, lock: 0, generation: 0, firstoff: 0x0000, lastoff: 0x0000\n"
	tests := []struct {
		args     []string
		out, err string
	}{
		{nil, "", use},
		{[]string{"a"}, "", use},
		{[]string{"-x", "a", "b"}, "", "shmif_pcapin: unknown option -- x\n" + use},
		{[]string{"a", filepath.Join(dir, "none")}, "", "shmif_pcapin: open bus: No such file or directory\n"},
		{[]string{"a", junk}, "", "shmif_pcapin: " + junk + " not a shmif bus\n"},
		{[]string{filepath.Join(dir, "none.pcap"), bus}, header,
			"shmif_pcapin: cannot open pcap file " + filepath.Join(dir, "none.pcap") + ": No such file or directory\n"},
		{[]string{junk, bus}, header,
			"shmif_pcapin: cannot open pcap file " + junk + ": not a pcap file: bad magic number\n"},
		{[]string{null, bus}, header, "shmif_pcapin: " + null + ": link type 0, not Ethernet\n"},
	}
	for _, tt := range tests {
		out, errs, st := run1(tt.args...)
		if st != 1 || out != tt.out || errs != tt.err {
			t.Errorf("%q: got %d %q %q, want 1, %q, %q", tt.args, st, out, errs, tt.out, tt.err)
		}
	}
}

// The frames of the file arrive, in order and whole, at a port on the
// bus, as a kernel's shmif interface would read them.
func TestInject(t *testing.T) {
	frames := [][]byte{frame(1, 2, 60), frame(0xff, 3, 1514), frame(1, 4, 14)}
	bus := filepath.Join(t.TempDir(), "bus")
	reader, err := shmif.Attach(bus)
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Close()
	out, errs, st := run1(pcapFile(t, pcap.LinkTypeEthernet, frames...), bus)
	if st != 0 || errs != "" || !regexp.MustCompile(`^bus version 3, lock: 0, generation: 0, firstoff: 0x[0-9a-f]{4}, lastoff: 0x[0-9a-f]{4}\n$`).MatchString(out) {
		t.Fatalf("got %d %q %q, want 0, the header line, no errors", st, out, errs)
	}
	got := make(chan []byte)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	go func() {
		buf := make([]byte, shmif.MaxFrame)
		for {
			n, err := reader.Read(buf)
			if err != nil {
				return
			}
			select {
			case got <- bytes.Clone(buf[:n]):
			case <-ctx.Done():
				return
			}
		}
	}()
	for i, want := range frames {
		select {
		case g := <-got:
			if !bytes.Equal(g, want) {
				t.Errorf("frame %d: got %d bytes % x..., want %d bytes % x...", i, len(g), g[:min(len(g), 16)], len(want), want[:16])
			}
		case <-ctx.Done():
			t.Fatalf("frame %d: none read from the bus", i)
		}
	}
}
