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

// FuzzFileReader: a pcap file given to shmif_pcapin may hold any bytes; no
// bytes may make the reader panic or return more data than it was given.
func FuzzFileReader(f *testing.F) {
	var b bytes.Buffer
	w, _ := NewWriter(&b, LinkTypeEthernet, 65535)
	w.WritePacket(Packet{Time: time.Unix(1, 0), OrigLen: 60, Data: make([]byte, 60)})
	w.WritePacket(Packet{Time: time.Unix(2, 5), OrigLen: 42, Data: make([]byte, 42)})
	f.Add(b.Bytes())
	f.Add(b.Bytes()[:40])
	f.Add(AppendPacket(AppendSection(nil, LinkTypeEthernet, 96), Packet{Time: time.Unix(3, 0), OrigLen: 14, Data: make([]byte, 14)}))
	f.Fuzz(func(t *testing.T, data []byte) {
		rd, _, err := NewFileReader(bytes.NewReader(data))
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
