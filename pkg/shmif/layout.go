// Package shmif is the shared-memory Ethernet bus of shmif(4): a regular
// file, memory-mapped by every process attached to it, holding a ring of
// Ethernet frames. Any number of rump kernels (and shmif_dumpbus) can use
// one bus; it needs no privileges beyond the file's permissions.
//
// The package moves frames and nothing else: it does not filter by MAC
// address, count statistics or know about network stacks (the interface
// on top does that), and it never blocks a writer on a reader.
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
//	4      4     version      1
//	8      8     generation   times the writers have wrapped to the ring's start
//	16     8     first        logical offset of the oldest intact frame
//	24     8     last         logical offset where the next frame goes
//	32     4     lock         pid of the writer holding the bus, 0 if free
//	36     4     lockgen      bumped at every acquisition of the lock
//	40     4     seq          futex word readers sleep on, bumped per frame
//	44     4     waiters      readers sleeping on seq
//	48     4     lockwaiters  writers sleeping on lock
//	52     4     datasize     bytes in the ring
//	56     8     frames       frames ever written (index of the next one)
//	64     8     firstindex   index of the frame at first
//	72     4024  reserved, zero
//	4096   datasize           the ring
//
// Offsets in first and last are logical: they only grow, and the byte at
// logical offset o is at ring[o % datasize]. A frame is a 24-byte header
// followed by the frame's bytes, padded to a multiple of 8:
//
//	0  4  length of the Ethernet frame (wrapMarker: skip to the ring's start)
//	4  4  microseconds of the timestamp
//	8  8  seconds of the timestamp (Unix time)
//	16 8  sender: the attachment that wrote it, so it can skip its own frames
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
	version     = 1
	headerSize  = 4096
	frameHdr    = 24
	wrapMarker  = 0xffffffff
	DefaultSize = 1 << 20 // ring bytes of a new bus (NetBSD's bus is 1 MiB too)

	// MinSize and MaxSize bound the ring size of a new bus: the smallest
	// holds a few of the largest frames, the largest is storage that
	// every bus file takes in full on disk.
	MinSize = 64 << 10
	MaxSize = 256 << 20

	// MaxFrame is the largest frame the bus carries.
	MaxFrame = 9018

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
)

// align8 rounds n up to a multiple of 8.
func align8(n uint64) uint64 { return (n + 7) &^ 7 }
