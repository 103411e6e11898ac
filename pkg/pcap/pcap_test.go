package pcap

import (
	"bytes"
	"encoding/hex"
	"io"
	"testing"
	"time"
)

func TestWriterGolden(t *testing.T) {
	var b bytes.Buffer
	w, err := NewWriter(&b, LinkTypeEthernet, 96)
	if err != nil {
		t.Fatal(err)
	}
	w.WritePacket(Packet{Time: time.Unix(1, 2000), OrigLen: 5, Data: []byte{0xde, 0xad}})
	want := "d4c3b2a1" + "0200" + "0400" + "00000000" + "00000000" + "60000000" + "01000000" +
		"01000000" + "02000000" + "02000000" + "05000000" + "dead"
	if got := hex.EncodeToString(b.Bytes()); got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

func TestStreamRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		pkts []Packet
		recv uint64
		drop uint64
	}{
		{"none", nil, 0, 0},
		{"some", []Packet{{Time: time.UnixMicro(1234567), OrigLen: 60, Data: []byte{1, 2, 3}, Out: true},
			{Time: time.UnixMicro(7), OrigLen: 4, Data: []byte{9, 9, 9, 9}}}, 5, 3},
	}
	for _, tt := range tests {
		b := AppendSection(nil, LinkTypeNull, 128)
		b = AppendStats(b, time.Unix(0, 0), tt.recv, tt.drop)
		for _, p := range tt.pkts {
			b = AppendPacket(b, p)
		}
		rd, err := NewReader(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if rd.LinkType != LinkTypeNull || rd.Snaplen != 128 {
			t.Errorf("%s: got link type %d snaplen %d, want 0 and 128", tt.name, rd.LinkType, rd.Snaplen)
		}
		for i := 0; ; i++ {
			p, err := rd.Next()
			if err == io.EOF {
				if i != len(tt.pkts) {
					t.Errorf("%s: got %d packets, want %d", tt.name, i, len(tt.pkts))
				}
				break
			}
			if err != nil {
				t.Fatalf("%s: %v", tt.name, err)
			}
			w := tt.pkts[i]
			if !p.Time.Equal(w.Time) || p.OrigLen != w.OrigLen || !bytes.Equal(p.Data, w.Data) || p.Out != w.Out {
				t.Errorf("%s: got %+v, want %+v", tt.name, p, w)
			}
		}
		if rd.Received != tt.recv || rd.Dropped != tt.drop {
			t.Errorf("%s: got %d/%d, want %d/%d", tt.name, rd.Received, rd.Dropped, tt.recv, tt.drop)
		}
	}
}
