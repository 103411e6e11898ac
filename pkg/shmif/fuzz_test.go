package shmif

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"
	"time"
)

const fuzzRing = 4096

// fuzzHeader makes header bytes 8..72 (after magic and version) from
// first, last and a lock word, the rest zero.
func fuzzHeader(first, last uint64, lock uint32) []byte {
	h := make([]byte, offFirstIndex+8-offGeneration)
	binary.NativeEndian.PutUint64(h[offFirst-offGeneration:], first)
	binary.NativeEndian.PutUint64(h[offLast-offGeneration:], last)
	binary.NativeEndian.PutUint32(h[offLock-offGeneration:], lock)
	binary.NativeEndian.PutUint32(h[offDataSize-offGeneration:], fuzzRing)
	return h
}

// fuzzCounts is fuzzHeader with the frame counts set too.
func fuzzCounts(first, last, frames, firstIndex uint64) []byte {
	h := fuzzHeader(first, last, 0)
	binary.NativeEndian.PutUint64(h[offFrames-offGeneration:], frames)
	binary.NativeEndian.PutUint64(h[offFirstIndex-offGeneration:], firstIndex)
	return h
}

// fuzzWake is fuzzHeader followed by wake words (version 3) all holding
// word and sleepers.
func fuzzWake(word, sleepers uint32) []byte {
	h := fuzzHeader(0, 0, 0)
	h = append(h, make([]byte, offWake+8*wakeWords-offGeneration-len(h))...)
	for k := 0; k < wakeWords; k++ {
		binary.NativeEndian.PutUint32(h[offWake+8*k-offGeneration:], word)
		binary.NativeEndian.PutUint32(h[offWake+8*k+4-offGeneration:], sleepers)
	}
	return h
}

// fuzzFrames makes ring bytes holding frames of the given lengths.
func fuzzFrames(lengths ...uint32) []byte {
	var r []byte
	for _, n := range lengths {
		h := make([]byte, align8(uint64(frameHdr)+uint64(n&0xfff)))
		binary.NativeEndian.PutUint32(h, n)
		binary.NativeEndian.PutUint64(h[16:], 12345)
		r = append(r, h...)
	}
	return r
}

// FuzzRing writes arbitrary bytes over an attached bus's header (all but
// magic and version, which are only read when attaching) and the start of
// its ring, then checks that a write returns, that a reader gets the
// writer's frames again within bounded time, and that walking the frames
// ends, all without a panic.
func FuzzRing(f *testing.F) {
	f.Add(fuzzHeader(0, 0, 0), fuzzFrames())
	f.Add(fuzzHeader(1<<62, 1<<62, 0), fuzzFrames(60, 1514))
	f.Add(fuzzHeader(0, 1<<62, 0), fuzzFrames(0, 0, 0))
	f.Add(fuzzHeader(^uint64(0)-7, ^uint64(0)-7, 0xffffffff), fuzzFrames(wrapMarker))
	f.Add(fuzzHeader(64, 8, 1), fuzzFrames(0xfffffff0, 4000, 3))
	f.Add(fuzzHeader(fuzzRing, 2*fuzzRing, uint32(os.Getpid())), fuzzFrames(100, wrapMarker, 20))
	f.Add(fuzzCounts(0, 3*128, 3, 0), fuzzFrames(100, 100, 100))
	f.Add(fuzzCounts(0, 3*128, 1, 7), fuzzFrames(100, 100, 100))
	f.Add(fuzzCounts(128, 3*128, ^uint64(0), ^uint64(0)-1), fuzzFrames(100, 100, 100))
	f.Add(fuzzCounts(0, 3*136, 3, 0), fuzzFrames(flagVnet|110, flagVnet|5, flagVnet|110))
	f.Add(fuzzWake(0xffffffff, 0xffffffff), fuzzFrames(100))
	f.Add(fuzzWake(7, 0), fuzzFrames(60, 60))
	defer setLockTimes(time.Millisecond, 5*time.Millisecond)()
	f.Fuzz(func(t *testing.T, hdr, ring []byte) {
		path := filepath.Join(t.TempDir(), "bus")
		w, r := attachSize(t, path, fuzzRing), attachSize(t, path, fuzzRing)
		copy(w.bus.mem[offGeneration:headerSize], hdr)
		copy(w.bus.ring, ring)

		within(t, 10*time.Second, "frames", func() { w.bus.Frames(func(FrameInfo, []byte) error { return nil }) })
		within(t, 10*time.Second, "write", func() {
			if _, err := w.Write([]byte("fuzz")); err != nil {
				t.Errorf("write: %v", err)
			}
		})
		stop := make(chan struct{})
		defer close(stop)
		go func() {
			for {
				select {
				case <-stop:
					return
				case <-time.After(time.Millisecond):
					w.Write([]byte("fuzz"))
				}
			}
		}()
		within(t, 10*time.Second, "read", func() {
			buf := make([]byte, MaxFrame)
			for i := 0; ; i++ {
				n, err := r.Read(buf)
				if err != nil {
					t.Errorf("read: %v", err)
					return
				}
				if string(buf[:n]) == "fuzz" {
					return
				}
			}
		})
		within(t, 10*time.Second, "frames", func() { w.bus.Frames(func(FrameInfo, []byte) error { return nil }) })
		within(t, 10*time.Second, "follow", func() {
			fl, err := w.bus.Follow(true)
			if err != nil {
				t.Errorf("follow: %v", err)
				return
			}
			for i := 0; i < 2*fuzzRing/frameHdr; i++ {
				if _, _, ok, _, err := fl.Next(0); !ok || err != nil {
					return
				}
			}
		})
		if _, err := w.bus.Header(); err != nil {
			t.Errorf("header: %v", err)
		}
	})
}

// FuzzOpenAndDump takes arbitrary bytes for a whole bus file (with a
// valid magic and one of the versions a program reads, so that it gets
// past the first checks) and
// opens, dumps and attaches to it as shmif_dumpbus and a kernel would.
func FuzzOpenAndDump(f *testing.F) {
	f.Add(fuzzHeader(0, 0, 0), fuzzFrames(), uint16(fuzzRing), uint8(version))
	f.Add(fuzzHeader(0, 3*128, 0), fuzzFrames(100, 100, 100), uint16(fuzzRing), uint8(version))
	f.Add(fuzzHeader(0, 1<<62, 0), fuzzFrames(0, 0), uint16(fuzzRing), uint8(version))
	f.Add(fuzzHeader(8, 0, 0), fuzzFrames(wrapMarker), uint16(48), uint8(version))
	f.Add(fuzzCounts(0, 3*128, 3, 0), fuzzFrames(100, 100, 100), uint16(fuzzRing), uint8(version))
	f.Add(fuzzCounts(64, 8, 2, 9), fuzzFrames(100, 100), uint16(fuzzRing), uint8(version))
	f.Add(fuzzCounts(0, 2*136, 2, 0), fuzzFrames(flagVnet|110, flagVnet|9), uint16(fuzzRing), uint8(version))
	f.Add(fuzzCounts(0, 2*136, 2, 0), fuzzFrames(flagVnet|110, flagVnet|9), uint16(fuzzRing), uint8(version2))
	f.Add(fuzzCounts(0, 3*128, 3, 0), fuzzFrames(100, 100, 100), uint16(fuzzRing), uint8(version1))
	f.Add(fuzzWake(0xffffffff, 0xffffffff), fuzzFrames(100), uint16(fuzzRing), uint8(version))
	defer setLockTimes(time.Millisecond, 5*time.Millisecond)()
	f.Fuzz(func(t *testing.T, hdr, ring []byte, size uint16, v uint8) {
		if v < version1 || v > version {
			return // other versions are refused
		}
		file := make([]byte, headerSize+int(size))
		copy(file[offGeneration:headerSize], hdr)
		binary.NativeEndian.PutUint32(file[offMagic:], magic)
		binary.NativeEndian.PutUint32(file[offVersion:], uint32(v))
		copy(file[headerSize:], ring)
		path := filepath.Join(t.TempDir(), "bus")
		if err := os.WriteFile(path, file, 0o666); err != nil {
			t.Fatal(err)
		}
		b, err := OpenReadOnly(path)
		if err != nil {
			return // refused: fine
		}
		within(t, 10*time.Second, "frames", func() {
			b.Header()
			b.Frames(func(FrameInfo, []byte) error { return nil })
			if fl, err := b.Follow(true); err == nil {
				for i := 0; i < 2*int(b.size)/frameHdr+2; i++ {
					if _, _, ok, _, err := fl.Next(0); !ok || err != nil {
						break
					}
				}
			}
		})
		b.Close()
		p, err := Attach(path)
		if err != nil {
			t.Fatalf("attach: a bus that opens read-only must attach: %v", err)
		}
		defer p.Close()
		within(t, 10*time.Second, "write", func() { p.Write([]byte("fuzz")) })
	})
}

// FuzzOffloadedFrame has an arbitrary offload header and frame written to
// the bus as another process's offloaded frame (no check on either) and
// read back by a plain reader, which completes the checksum the header
// describes, by an offloading one and by shmif_dumpbus's walk: none may
// fail, and every reader gets the frame's bytes (the plain one may differ
// only in the two checksum bytes).
func FuzzOffloadedFrame(f *testing.F) {
	frame, hdr := tcpFrame(100, false)
	f.Add(hdr, frame)
	frame, hdr = tcpFrame(3000, true)
	f.Add(hdr, frame)
	f.Add([]byte{1, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff}, []byte("short"))
	f.Add([]byte{1, 0, 0, 0, 0, 0, 4, 0, 0xfe, 0xff}, make([]byte, 64))
	f.Add(make([]byte, VnetHdrLen), []byte{})
	f.Fuzz(func(t *testing.T, hdr, frame []byte) {
		if len(hdr) != VnetHdrLen || len(frame) > MaxOffloadFrame {
			return
		}
		path := filepath.Join(t.TempDir(), "bus")
		w, r, o := attachSize(t, path, offloadMinSize), attachSize(t, path, offloadMinSize), attachSize(t, path, offloadMinSize)
		if _, err := w.bus.write([][]byte{hdr, frame}, true, w.sender, time.Now()); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, MaxOffloadFrame)
		n, err := readWithin(r, buf, 5*time.Second)
		if err != nil || n != len(frame) {
			t.Fatalf("Read: got %d, %v, want %d bytes", n, err, len(frame))
		}
		diff := 0
		for i := range frame {
			if buf[i] != frame[i] {
				diff++
			}
		}
		if diff > 2 {
			t.Errorf("Read: got %d bytes changed, want at most the checksum's 2", diff)
		}
		ov, _ := o.Offload()
		h := make([]byte, VnetHdrLen)
		n, err = readvWithin(ov, [][]byte{h, buf}, 5*time.Second)
		if err != nil || n != VnetHdrLen+len(frame) || string(h) != string(hdr) || string(buf[:len(frame)]) != string(frame) {
			t.Errorf("Readv: got %d, %v, want the header and the %d bytes written", n, err, len(frame))
		}
		w.bus.Frames(func(fi FrameInfo, data []byte) error {
			if fi.Length != len(frame) || string(fi.Offload) != string(hdr) {
				t.Errorf("Frames: got %+v, want %d bytes with header %x", fi, len(frame), hdr)
			}
			return nil
		})
	})
}
