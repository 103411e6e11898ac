package bridge

import "testing"

// FuzzBPDU parses arbitrary frames as BPDUs: parsing must not panic, and
// a BPDU it accepts must survive encoding and parsing again unchanged.
func FuzzBPDU(f *testing.F) {
	src := mac{0x02, 0, 0, 0, 0, 1}
	config := bpdu{root: 0x8000_0200_0000_0001, cost: 19, bridge: 0x8000_0200_0000_0002,
		port: 0x8001, maxAge: 20e9, helloTime: 2e9, fwdDelay: 15e9, tc: true}
	tcn := bpdu{tcn: true}
	f.Add(config.encode(src))
	f.Add(tcn.encode(src))
	f.Add(config.encode(src)[:bpduOffset+tcnLen])
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, frame []byte) {
		m, ok := parseBPDU(frame)
		if !ok {
			return
		}
		again, ok := parseBPDU(m.encode(src))
		if !ok {
			t.Fatalf("an encoded BPDU does not parse: %+v", m)
		}
		if again != m {
			t.Fatalf("round trip: got %+v, want %+v", again, m)
		}
	})
}
