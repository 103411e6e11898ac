package pcap

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"io"
	"slices"
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

func TestClassicReader(t *testing.T) {
	frame := []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0, 1, 0x08, 0x06, 0xaa}
	var le bytes.Buffer
	w, err := NewWriter(&le, LinkTypeEthernet, 65535)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if err := w.WritePacket(Packet{Time: time.Unix(int64(100+i), 250000000), OrigLen: 60, Data: frame[:len(frame)-i]}); err != nil {
			t.Fatal(err)
		}
	}
	// The same file big-endian with nanosecond times, as some writers make it.
	be := []byte{0xa1, 0xb2, 0x3c, 0x4d, 0, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 0, 1}
	for i := range 3 {
		rec := binary.BigEndian.AppendUint32(nil, uint32(100+i))
		rec = binary.BigEndian.AppendUint32(rec, 250000000)
		rec = binary.BigEndian.AppendUint32(rec, uint32(len(frame)-i))
		rec = binary.BigEndian.AppendUint32(rec, 60)
		be = append(append(be, rec...), frame[:len(frame)-i]...)
	}
	ng := AppendSection(nil, LinkTypeEthernet, 65535)
	for i := range 3 {
		ng = AppendPacket(ng, Packet{Time: time.Unix(int64(100+i), 250000000), OrigLen: 60, Data: frame[:len(frame)-i]})
	}
	tests := []struct {
		name string
		data []byte
	}{
		{"little-endian microseconds", le.Bytes()},
		{"big-endian nanoseconds", be},
		{"pcapng", ng},
	}
	for _, tt := range tests {
		rd, lt, err := NewFileReader(bytes.NewReader(tt.data))
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if lt != LinkTypeEthernet {
			t.Errorf("%s: got link type %d, want %d", tt.name, lt, LinkTypeEthernet)
		}
		for i := range 3 {
			p, err := rd.Next()
			if err != nil {
				t.Fatalf("%s: packet %d: %v", tt.name, i, err)
			}
			if want := frame[:len(frame)-i]; !bytes.Equal(p.Data, want) || p.OrigLen != 60 || !p.Time.Equal(time.Unix(int64(100+i), 250000000)) {
				t.Errorf("%s: packet %d: got %x len %d at %v, want %x len 60 at %v", tt.name, i, p.Data, p.OrigLen, p.Time, want, time.Unix(int64(100+i), 250000000))
			}
		}
		if _, err := rd.Next(); err != io.EOF {
			t.Errorf("%s: after the last packet got %v, want EOF", tt.name, err)
		}
	}
}

func TestClassicReaderRefuses(t *testing.T) {
	var good bytes.Buffer
	w, _ := NewWriter(&good, LinkTypeEthernet, 65535)
	w.WritePacket(Packet{Time: time.Unix(1, 0), OrigLen: 20, Data: make([]byte, 20)})
	b := good.Bytes()
	huge := slices.Clone(b)
	binary.LittleEndian.PutUint32(huge[24+8:], maxRecord+1)
	tests := []struct {
		name     string
		data     []byte
		atHeader bool
	}{
		{"empty", nil, true},
		{"bad magic", []byte("not a capture file at all"), true},
		{"short header", b[:20], true},
		{"cut record header", b[:30], false},
		{"cut record", b[:len(b)-1], false},
		{"record too large", huge, false},
	}
	for _, tt := range tests {
		rd, _, err := NewFileReader(bytes.NewReader(tt.data))
		if !tt.atHeader && err == nil {
			_, err = rd.Next()
		}
		if !errors.Is(err, ErrPcapFormat) {
			t.Errorf("%s: got %v, want ErrPcapFormat", tt.name, err)
		}
	}
}
