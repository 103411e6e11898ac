// Package shmif is the shared-memory Ethernet bus of shmif(4): a regular
// file, memory-mapped by every process attached to it, holding a ring of
// Ethernet frames. Any number of rump kernels (and shmif_dumpbus) can use
// one bus; it needs no privileges beyond the file's permissions.
//
// The package moves frames and nothing else: it does not decide which
// frames an interface takes (a reader may hand it a filter, to skip
// copying frames it would drop), count statistics or know about network
// stacks (the interface on top does that), and it never blocks a writer
// on a reader.
//
// The bus file is untrusted input: whatever it holds, and however it is
// truncated, the package must not crash the process or loop without
// bound; see fault.go.
package shmif

// The bus file layout. All integers are in host byte order (little endian
// on every platform rumpnet runs on); every field is naturally aligned so
// the processes sharing the file can use atomic operations on it.
//
//	offset size  field
//	0      4     magic        0x53484946 ("SHIF")
//	4      4     version      3 (2: one wake-up word; 1: and no offloaded frames)
//	8      8     generation   times the writers have wrapped to the ring's start
//	16     8     first        logical offset of the oldest intact frame
//	24     8     last         logical offset where the next frame goes
//	32     4     lock         pid of the writer holding the bus, 0 if free
//	36     4     lockgen      bumped at every acquisition of the lock
//	40     4     seq          futex word readers of every frame sleep on, bumped per frame
//	44     4     waiters      readers sleeping on seq
//	48     4     lockwaiters  writers sleeping on lock
//	52     4     datasize     bytes in the ring
//	56     8     frames       frames ever written (index of the next one)
//	64     8     firstindex   index of the frame at first
//	72     952   reserved, zero
//	1024   1024  wake         wakeWords pairs of a futex word and its sleepers
//	2048   2048  reserved, zero
//	4096   datasize           the ring
//
// Offsets in first and last are logical: they only grow, and the byte at
// logical offset o is at ring[o % datasize]. A frame is a 24-byte header
// followed by the frame's bytes, padded to a multiple of 8:
//
//	0  4  length of the frame's bytes, and flagVnet (wrapMarker: skip
//	      to the ring's start)
//	4  4  microseconds of the timestamp
//	8  8  seconds of the timestamp (Unix time)
//	16 8  sender: the attachment that wrote it, so it can skip its own frames
//
// With flagVnet set (version 2 only) the frame's bytes are a 10-byte
// virtio-net header (linux/virtio_net.h, little endian, as a Linux tap
// with IFF_VNET_HDR takes it) and then the Ethernet frame, which may be a
// TCP super-frame of up to 64 KiB with a partial checksum: kernels on one
// bus skip checksums and segmentation between them, as a kernel does with
// its host over a tap. Frames without the flag are plain Ethernet frames
// of at most MaxFrame bytes. A version 1 bus carries only plain frames;
// programs that know only version 1 refuse a version 2 bus.
//
// A frame never straddles the ring's end: a writer that does not fit puts
// a wrap marker (when at least a header fits) and continues at the start.
//
// Consistency without a reader lock: a writer holds the lock, moves first
// past every frame it is about to overwrite, writes the frame, and only
// then publishes it by storing last. A reader copies a frame and then
// checks that first has not passed the frame's offset; if it has, the
// copy may be torn, so it is dropped and the reader resynchronises at
// first. Readers therefore lose the oldest frames when they fall more than
// a ring behind, but never see a corrupted one.
//
// Wake-ups (version 3): a reader with nothing to read sleeps on a futex
// word, registered in that word's sleepers so that writers make the wake-up
// system call only for words someone sleeps on. A reader that wants every
// frame (shmif_dumpbus, a promiscuous or bridged interface) sleeps on seq;
// one that takes only frames to its own address and group frames sleeps on
// the wake word its address hashes to (wakeKey). A writer, once it has
// published a frame, bumps and wakes seq, and then the wake word of the
// frame's destination, or every wake word for a group destination. So a
// unicast frame wakes its destination and the few readers that share its
// word instead of the whole bus. The reader loads its word before it looks
// for frames and sleeps only while the word still holds that value, so a
// frame published after the look wakes it: no wake-up is lost. On a
// version 2 bus (one made by an older program, which refuses version 3)
// every reader sleeps on seq.
//
// Counting lost frames: frames and firstindex number the frames written
// (wrap markers are not frames). Writers update them under the lock; a
// reader that was overtaken takes a consistent snapshot of first,
// firstindex, last and frames without the lock (see snapshot in ring.go)
// and counts the frames from its own index up to firstindex as lost. The
// two fields were reserved (zero) before, so an older bus starts counting
// from zero; counts that do not add up (a writer that does not keep them)
// make a reader count each overtaking as one lost frame.
const (
	magic       = 0x53484946
	version     = 3
	version2    = 2 // one wake-up word (seq) for every reader
	version1    = 1 // plain frames only, one wake-up word
	headerSize  = 4096
	frameHdr    = 24
	wrapMarker  = 0xffffffff
	DefaultSize = 1 << 20 // ring bytes of a new bus (NetBSD's bus is 1 MiB too)

	// MinSize and MaxSize bound the ring size of a new bus: the smallest
	// holds a few of the largest frames, the largest is storage that
	// every bus file takes in full on disk.
	MinSize = 64 << 10
	MaxSize = 256 << 20

	// MaxFrame is the largest plain frame the bus carries.
	MaxFrame = 9018

	// VnetHdrLen is the size of an offloaded frame's virtio-net header.
	VnetHdrLen = 10
	// MaxOffloadFrame is the largest Ethernet frame, a TCP super-frame,
	// that an offloaded frame carries after its header.
	MaxOffloadFrame = 14 + 65535
	// flagVnet in a frame's length word marks an offloaded frame.
	flagVnet = 1 << 30
	// offloadMinSize is the smallest ring on which ports offload: one
	// that holds about eight of the largest super-frames.
	offloadMinSize = 512 << 10

	offMagic       = 0
	offVersion     = 4
	offGeneration  = 8
	offFirst       = 16
	offLast        = 24
	offLock        = 32
	offLockGen     = 36
	offSeq         = 40
	offWaiters     = 44
	offLockWaiters = 48
	offDataSize    = 52
	offFrames      = 56
	offFirstIndex  = 64
	offWake        = 1024

	// wakeWords is the number of wake words of a version 3 bus: with
	// 1000 readers on a bus, a unicast frame wakes about eight.
	wakeWords = 128
)

// frameLen returns the byte count in a frame's length word (a plain frame
// or an offloaded one with its header) and whether it can be one.
func frameLen(word uint32) (uint32, bool) {
	if word&flagVnet != 0 {
		n := word &^ flagVnet
		return n, n >= VnetHdrLen && n <= VnetHdrLen+MaxOffloadFrame
	}
	return word, word <= MaxFrame
}

// align8 rounds n up to a multiple of 8.
func align8(n uint64) uint64 { return (n + 7) &^ 7 }
