package shmif

// FrameInfo describes a frame for shmif_dumpbus.
type FrameInfo struct {
	Offset uint64 // ring offset of the frame's bytes
	Length int    // of the Ethernet frame
	// Offload is the frame's virtio-net header if it has one (see
	// layout.go): its checksum may be partial and it may be a TCP
	// super-frame larger than the MTU.
	Offload []byte
	Sec     uint64
	Usec    uint32
	Sender  uint64
}

// Frames calls fn for every frame on the bus, oldest first, up to the
// last one written when Frames started. Frames that writers overwrite
// during the walk are skipped. data is only valid during the call. A
// header whose offsets are damaged shows no frames; the walk takes at most
// a ring's worth of steps whatever the ring holds. If the file no longer
// covers the bus, Frames returns an ErrBusFault.
func (b *Bus) Frames(fn func(FrameInfo, []byte) error) (err error) {
	var ferr error
	err = b.guard(func() { ferr = b.frames(fn) })
	if err != nil {
		return err
	}
	return ferr
}

func (b *Bus) frames(fn func(FrameInfo, []byte) error) error {
	buf := make([]byte, MaxOffloadFrame)
	dst := [][]byte{buf}
	end := b.u64(offLast).Load()
	pos := b.u64(offFirst).Load()
	if pos > end || end-pos > b.size {
		return nil
	}
	for steps := b.size/frameHdr + 2; pos < end && steps > 0; steps-- {
		f, ok, _ := b.frameAt(pos, dst, nil)
		if f.next <= pos && !ok {
			break
		}
		pos = f.next
		if !ok {
			continue
		}
		if err := fn(f.info(b), buf[:f.n]); err != nil {
			return err
		}
	}
	return nil
}

// info describes f for shmif_dumpbus; its Offload is only valid until
// the next frame is read.
func (f *frame) info(b *Bus) FrameInfo {
	fi := FrameInfo{Offset: (f.off + frameHdr) % b.size, Length: f.length, Sec: f.sec, Usec: f.usec, Sender: f.sender}
	if f.vnet {
		fi.Offset = (fi.Offset + VnetHdrLen) % b.size
		fi.Offload = f.hdr[:]
	}
	return fi
}
