package shmif

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"path/filepath"
	"testing"
	"time"
)

// tcpFrame returns an Ethernet/IPv4/TCP frame carrying n bytes of payload
// whose TCP checksum field holds the pseudo-header's sum only (partial, as
// a kernel offloading it leaves it), and the virtio-net header saying so;
// with gso, the header makes it a super-frame of 1448-byte segments.
func tcpFrame(n int, gso bool) (frame, hdr []byte) {
	const eth, ip, tcp = 14, 20, 20
	f := make([]byte, eth+ip+tcp+n)
	copy(f, []byte{0xb2, 0xa0, 1, 2, 3, 4, 0xb2, 0xa0, 5, 6, 7, 8, 0x08, 0x00})
	h := f[eth:]
	h[0], h[8], h[9] = 0x45, 64, 6
	binary.BigEndian.PutUint16(h[2:], uint16(min(ip+tcp+n, 0xffff)))
	copy(h[12:], []byte{10, 9, 0, 1, 10, 9, 0, 2})
	t := h[ip:]
	binary.BigEndian.PutUint16(t[0:], 1234)
	binary.BigEndian.PutUint16(t[2:], 9)
	t[12] = 5 << 4
	for i := range n {
		t[tcp+i] = byte(i*7 + i>>8)
	}
	// pseudo-header: addresses, protocol, TCP length
	var ph [12]byte
	copy(ph[:], h[12:20])
	ph[9] = 6
	binary.BigEndian.PutUint16(ph[10:], uint16(tcp+n))
	binary.BigEndian.PutUint16(t[16:], refSum(ph[:]))
	hdr = make([]byte, VnetHdrLen)
	hdr[0] = vnetNeedsCsum
	binary.LittleEndian.PutUint16(hdr[2:], eth+ip+tcp)
	binary.LittleEndian.PutUint16(hdr[6:], eth+ip)
	binary.LittleEndian.PutUint16(hdr[8:], 16)
	if gso {
		hdr[1] = 1 // TCPv4
		binary.LittleEndian.PutUint16(hdr[4:], 1448)
	}
	return f, hdr
}

// refSum is the one's complement sum of b, 16 bits at a time.
func refSum(b []byte) uint16 {
	var s uint32
	for i := 0; i+1 < len(b); i += 2 {
		s += uint32(b[i])<<8 | uint32(b[i+1])
	}
	if len(b)%2 == 1 {
		s += uint32(b[len(b)-1]) << 8
	}
	for s > 0xffff {
		s = s>>16 + s&0xffff
	}
	return uint16(s)
}

// tcpChecksumOK verifies the TCP checksum of a frame made by tcpFrame.
func tcpChecksumOK(f []byte) bool {
	h := f[14:]
	var ph [12]byte
	copy(ph[:], h[12:20])
	ph[9] = 6
	binary.BigEndian.PutUint16(ph[10:], uint16(len(h)-20))
	s := uint32(refSum(ph[:])) + uint32(refSum(h[20:]))
	for s > 0xffff {
		s = s>>16 + s&0xffff
	}
	return s == 0xffff
}

// Offloaded frames cross the bus whole: the offloading reader gets the
// header and the frame, scattered as a tap's reader asks; a plain reader
// gets the frame with its checksum completed; shmif_dumpbus sees the
// header; a frame with an empty header goes on the bus as a plain one.
func TestOffloadedFramesCrossTheBus(t *testing.T) {
	plain, _ := tcpFrame(1460, false)
	csum, csumHdr := tcpFrame(1000, false)
	super, superHdr := tcpFrame(60000, true)
	for _, tc := range []struct {
		name     string
		hdr      []byte
		frame    []byte
		offload  bool // on the bus with its header
		checksum bool // a plain reader gets a complete checksum
	}{
		{"plain frame", make([]byte, VnetHdrLen), plain, false, false},
		{"partial checksum", csumHdr, csum, true, true},
		{"super-frame", superHdr, super, true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "bus")
			w, r, pr := attachSize(t, path, DefaultSize), attachSize(t, path, DefaultSize), attachSize(t, path, DefaultSize)
			ow, ok := w.Offload()
			if !ok {
				t.Fatal("got no offloading on a new 1 MiB bus, want it")
			}
			or, _ := r.Offload()
			// the header split across slices, as a caller may gather it
			bufs := [][]byte{tc.hdr[:4], tc.hdr[4:], tc.frame[:100], tc.frame[100:]}
			if n, err := ow.Writev(bufs); err != nil || n != VnetHdrLen+len(tc.frame) {
				t.Fatalf("Writev: got %d, %v, want %d", n, err, VnetHdrLen+len(tc.frame))
			}

			hdr, head, body := make([]byte, VnetHdrLen), make([]byte, 256), make([]byte, 1<<16)
			n, err := readvWithin(or, [][]byte{hdr, head, body}, 5*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			got := append(append([]byte(nil), head...), body...)[:n-VnetHdrLen]
			if !bytes.Equal(hdr, tc.hdr) || !bytes.Equal(got, tc.frame) {
				t.Errorf("Readv: got header %x and %d bytes, want %x and the %d written", hdr, len(got), tc.hdr, len(tc.frame))
			}

			buf := make([]byte, MaxOffloadFrame)
			n, err = readWithin(pr, buf, 5*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			if n != len(tc.frame) || !bytes.Equal(buf[:14+36], tc.frame[:14+36]) || !bytes.Equal(buf[14+40:n], tc.frame[14+40:]) {
				t.Errorf("Read: got %d bytes, want the %d written (checksum aside)", n, len(tc.frame))
			}
			if tc.checksum && !tcpChecksumOK(buf[:n]) {
				t.Errorf("Read: got a TCP checksum that does not verify, want it completed")
			}

			var infos []FrameInfo
			w.bus.Frames(func(fi FrameInfo, data []byte) error {
				fi.Offload = append([]byte(nil), fi.Offload...)
				infos = append(infos, fi)
				return nil
			})
			if len(infos) != 1 || infos[0].Length != len(tc.frame) || (infos[0].Offload != nil) != tc.offload {
				t.Errorf("Frames: got %+v, want one frame of %d bytes, offload header %v", infos, len(tc.frame), tc.offload)
			}
		})
	}
}

// readvWithin is Readv on an offloading port, failing after d.
func readvWithin(o OffloadPort, bufs [][]byte, d time.Duration) (int, error) {
	type res struct {
		n   int
		err error
	}
	ch := make(chan res, 1)
	go func() { n, err := o.Readv(bufs); ch <- res{n, err} }()
	select {
	case r := <-ch:
		return r.n, r.err
	case <-time.After(d):
		o.Close()
		r := <-ch
		return r.n, r.err
	}
}

// Ports offload only on a bus that can carry it: version 2, with a ring
// that holds several super-frames.
func TestOffloadNeedsABusThatCarriesIt(t *testing.T) {
	for _, tc := range []struct {
		name    string
		ring    uint64
		version uint32
		want    bool
	}{
		{"default bus", DefaultSize, version, true},
		{"smallest ring that offloads", offloadMinSize, version, true},
		{"small ring", MinSize, version, false},
		{"version 1 bus", DefaultSize, version1, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "bus")
			b, err := openSize(path, tc.ring)
			if err != nil {
				t.Fatal(err)
			}
			b.u32(offVersion).Store(tc.version)
			b.Close()
			p := attachSize(t, path, tc.ring)
			if _, got := p.Offload(); got != tc.want {
				t.Errorf("got offloading %v, want %v", got, tc.want)
			}
		})
	}
}

// Writes that cannot go on the bus are refused and leave it as it was.
func TestOffloadRefusesWhatDoesNotFit(t *testing.T) {
	_, hdr := tcpFrame(10, true)
	for _, tc := range []struct {
		name string
		bufs [][]byte
	}{
		{"shorter than a header", [][]byte{make([]byte, VnetHdrLen-1)}},
		{"plain frame over MaxFrame", [][]byte{make([]byte, VnetHdrLen), make([]byte, MaxFrame+1)}},
		{"super-frame over MaxOffloadFrame", [][]byte{hdr, make([]byte, MaxOffloadFrame+1)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := attachSize(t, filepath.Join(t.TempDir(), "bus"), DefaultSize)
			o, _ := p.Offload()
			if n, err := o.Writev(tc.bufs); err == nil {
				t.Errorf("got %d written, want an error", n)
			}
			if last := p.bus.u64(offLast).Load(); last != 0 {
				t.Errorf("got last %d, want 0 (nothing written)", last)
			}
		})
	}
}

// A reader lapped by super-frames counts every one it lost: what it read
// and what it lost add up to what was written, and what it read is whole.
func TestLappedReaderCountsLostSuperFrames(t *testing.T) {
	for _, tc := range []struct {
		name   string
		frames int
	}{
		{"fits, none lost", 6},
		{"one lap", 12},
		{"many laps", 100},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "bus")
			w, r := attachSize(t, path, offloadMinSize), attachSize(t, path, offloadMinSize)
			ow, _ := w.Offload()
			or, _ := r.Offload()
			for i := 0; i < tc.frames; i++ {
				f, hdr := tcpFrame(60000, true)
				binary.BigEndian.PutUint32(f[14+20+4:], uint32(i)) // the TCP sequence number
				if _, err := ow.Writev([][]byte{hdr, f}); err != nil {
					t.Fatal(err)
				}
			}
			hdr, buf := make([]byte, VnetHdrLen), make([]byte, MaxOffloadFrame)
			got := 0
			for r.cur.pos != r.bus.u64(offLast).Load() {
				n, err := readvWithin(or, [][]byte{hdr, buf}, 5*time.Second)
				if err != nil {
					t.Fatalf("read after %d frames: %v", got, err)
				}
				want, _ := tcpFrame(60000, true)
				copy(want[14+20+4:], buf[14+20+4:14+20+8])
				if !bytes.Equal(buf[:n-VnetHdrLen], want) {
					t.Fatalf("frame %d corrupted", got)
				}
				got++
			}
			if lost := r.Lost.Load(); uint64(got)+lost != uint64(tc.frames) {
				t.Errorf("got %d read + %d lost, want %d written", got, lost, tc.frames)
			}
		})
	}
}

// A reader's filter skips the frames it rejects, without counting them
// lost, and sees each frame's Ethernet header, offloaded or not.
func TestFilterSkipsRejectedFrames(t *testing.T) {
	mine, other := []byte{2, 0, 0, 0, 0, 1}, []byte{2, 0, 0, 0, 0, 2}
	frameTo := func(dst []byte, n int) []byte {
		f := make([]byte, n)
		copy(f, dst)
		f[n-1] = byte(n)
		return f
	}
	for _, tc := range []struct {
		name    string
		filter  func([]byte) bool
		offload bool
		want    []int // lengths of the frames read
	}{
		{"no filter", nil, false, []int{100, 200, 300, 4}},
		{"own address", func(eth []byte) bool { return len(eth) < 14 || bytes.Equal(eth[:6], mine) }, false, []int{100, 300, 4}},
		{"own address, offloaded", func(eth []byte) bool { return len(eth) < 14 || bytes.Equal(eth[:6], mine) }, true, []int{100, 300, 4}},
		{"only short frames", func(eth []byte) bool { return len(eth) < 14 }, false, []int{4}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "bus")
			w, r := attachSize(t, path, DefaultSize), attachSize(t, path, DefaultSize)
			r.SetFilter(tc.filter)
			ow, _ := w.Offload()
			hdr := make([]byte, VnetHdrLen)
			if tc.offload {
				hdr[0] = 2 // DATA_VALID: not all zero, so it goes on the bus offloaded
			}
			for _, f := range [][]byte{frameTo(mine, 100), frameTo(other, 200), frameTo(mine, 300), {2, 0, 0, 4}} {
				if _, err := ow.Writev([][]byte{hdr, f}); err != nil {
					t.Fatal(err)
				}
			}
			var got []int
			buf := make([]byte, MaxFrame)
			for len(got) == 0 || got[len(got)-1] != 4 { // the last frame, which every filter takes
				n, err := readWithin(r, buf, 5*time.Second)
				if err != nil {
					t.Fatalf("after %v: %v", got, err)
				}
				got = append(got, n)
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) || r.Lost.Load() != 0 {
				t.Errorf("got frames %v and %d lost, want %v and none", got, r.Lost.Load(), tc.want)
			}
		})
	}
}
