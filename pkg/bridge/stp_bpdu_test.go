package bridge

import (
	"testing"
	"time"
)

// TestBPDURoundTrip checks that encoding and parsing agree, including
// the 1/256 s time units and the padding to the Ethernet minimum.
func TestBPDURoundTrip(t *testing.T) {
	src := mac{0x02, 0, 0, 0, 0, 1}
	tests := []bpdu{
		{tcn: true},
		{root: 0x8000_0200_0000_0001, cost: 55, bridge: 0x8000_0200_0000_0002, port: 0x8003,
			messageAge: time.Second, maxAge: 20 * time.Second, helloTime: 2 * time.Second,
			fwdDelay: 15 * time.Second, tc: true},
		{root: 1, bridge: 2, port: 3, tca: true, messageAge: time.Second / 256, maxAge: 255 * time.Second},
	}
	for _, want := range tests {
		f := want.encode(src)
		if len(f) != etherMinLen {
			t.Errorf("frame length: got %d, want %d", len(f), etherMinLen)
		}
		got, ok := parseBPDU(f)
		if !ok {
			t.Fatalf("parseBPDU(encode(%+v)) failed", want)
		}
		if got != want {
			t.Errorf("got %+v, want %+v", got, want)
		}
	}
}

// TestParseBPDURejects checks frames that are not 802.1D BPDUs.
func TestParseBPDURejects(t *testing.T) {
	good := (&bpdu{root: 1}).encode(mac{2})
	tests := []struct {
		name  string
		patch func(f []byte) []byte
	}{
		{"short", func(f []byte) []byte { return f[:20] }},
		{"ethertype", func(f []byte) []byte { f[12], f[13] = 0x08, 0x00; return f }},
		{"llc", func(f []byte) []byte { f[14] = 0xaa; return f }},
		{"protocol", func(f []byte) []byte { f[18] = 1; return f }},
		{"rstp type", func(f []byte) []byte { f[20] = 0x02; return f }},
		{"truncated config", func(f []byte) []byte { return f[:bpduOffset+configLen-1] }},
	}
	for _, tt := range tests {
		f := tt.patch(append([]byte(nil), good...))
		if _, ok := parseBPDU(f); ok {
			t.Errorf("%s: parsed, want rejected", tt.name)
		}
	}
}

// FuzzParseBPDU checks that parsing never panics and that what parses
// encodes back to the same BPDU.
func FuzzParseBPDU(f *testing.F) {
	f.Add((&bpdu{tcn: true}).encode(mac{2}))
	f.Add((&bpdu{root: 1, cost: 2, bridge: 3, port: 4, maxAge: time.Second}).encode(mac{2}))
	f.Fuzz(func(t *testing.T, in []byte) {
		m, ok := parseBPDU(in)
		if !ok {
			return
		}
		again, ok := parseBPDU(m.encode(mac{2}))
		if !ok || again != m {
			t.Fatalf("round trip: got %+v, %v, want %+v", again, ok, m)
		}
	})
}
