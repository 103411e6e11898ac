package pcap

import (
	"bytes"
	"testing"
	"time"
)

// FuzzReader: a capture stream comes from the network; no bytes may make
// the reader panic or return data beyond its block.
func FuzzReader(f *testing.F) {
	b := AppendSection(nil, LinkTypeEthernet, 262144)
	f.Add(b)
	b = AppendStats(b, time.Unix(1, 0), 3, 1)
	b = AppendPacket(b, Packet{Time: time.Unix(2, 0), OrigLen: 70, Data: make([]byte, 14), Out: true})
	f.Add(b)
	f.Add(b[:len(b)-3])
	f.Fuzz(func(t *testing.T, data []byte) {
		rd, err := NewReader(bytes.NewReader(data))
		if err != nil {
			return
		}
		for i := 0; i < 1000; i++ {
			p, err := rd.Next()
			if err != nil {
				return
			}
			if len(p.Data) > len(data) {
				t.Fatalf("got %d bytes of packet from %d bytes of input", len(p.Data), len(data))
			}
		}
	})
}
