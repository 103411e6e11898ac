package shmif

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"github.com/rumpnet/rumpnet/pkg/api"
	"golang.org/x/sys/unix"
)

// Bus is one process's mapping of a bus file. Its methods are safe for
// concurrent use; Close unmaps it and must be the last call.
type Bus struct {
	path     string
	fd       int    // the file, kept open to check it after a fault
	mem      []byte // the whole file
	ring     []byte // mem[headerSize:]
	size     uint64 // len(ring)
	writable bool
	version  uint32        // of the bus format: offloaded frames need 2, wake words 3
	fence    atomic.Uint32 // see frameAt
}

// ErrNotBus is returned (wrapped, with errno EINVAL) when a file exists but
// does not hold a bus.
var ErrNotBus = errors.New("not a shmif bus")

// Open maps the bus in the file at path for reading and writing, creating
// and initialising the file (mode 0666 less the umask) if it is missing or
// empty. Concurrent opens of a new file are serialised with flock(2), so
// exactly one of them initialises it.
func Open(path string) (*Bus, error) { return openSize(path, DefaultSize) }

// OpenSize is Open with the ring size, in bytes, that the bus gets if
// this call creates it: a multiple of 4096 from MinSize to MaxSize, or
// EINVAL. A bus that exists keeps its own size whatever size says.
func OpenSize(path string, size uint64) (*Bus, error) {
	if err := CheckSize(size); err != nil {
		return nil, err
	}
	return openSize(path, size)
}

// CheckSize returns EINVAL, with a message naming the bounds, if size
// cannot be the ring size of a new bus.
func CheckSize(size uint64) error {
	if size < MinSize || size > MaxSize || size%4096 != 0 {
		return api.Errorf(syscall.EINVAL, fmt.Sprintf("bus size %d: must be a multiple of 4096 from %d to %d", size, MinSize, MaxSize))
	}
	return nil
}

// openSize is Open with the ring size of a new bus (tests use small rings).
func openSize(path string, dataSize uint64) (*Bus, error) {
	fd, err := unix.Open(path, unix.O_RDWR|unix.O_CREAT|unix.O_CLOEXEC, 0o666)
	if err != nil {
		return nil, api.Errorf(api.ErrnoOf(err), fmt.Sprintf("open bus %s: %s", path, api.Strerror(api.ErrnoOf(err))))
	}
	b, err := openFD(path, fd, dataSize)
	if err != nil {
		unix.Close(fd)
		return nil, err
	}
	return b, nil
}

// openFD is openSize once the file is open.
func openFD(path string, fd int, dataSize uint64) (*Bus, error) {
	if err := lockFile(path, fd); err != nil {
		return nil, err
	}
	defer unix.Flock(fd, unix.LOCK_UN)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return nil, fmt.Errorf("stat bus %s: %w", path, err)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		return nil, api.Errorf(syscall.EINVAL, fmt.Sprintf("%s: %v", path, ErrNotBus))
	}
	if st.Size == 0 {
		// Allocated for real, not sparse: on a full file system the
		// attachment fails now instead of faulting at the first write.
		if err := allocate(fd, int64(headerSize+dataSize), true); err != nil {
			unix.Ftruncate(fd, 0) // leave an empty file, as it was
			e := api.ErrnoOf(err)
			return nil, api.Errorf(e, fmt.Sprintf("allocate bus %s", path))
		}
		b, err := mapBus(path, fd, int(headerSize+dataSize), true)
		if err != nil {
			return nil, err
		}
		if err := b.guard(func() { b.init(dataSize) }); err != nil {
			b.Close()
			return nil, err
		}
		return b, nil
	}
	return openExisting(path, fd, st.Size, true)
}

// OpenReadOnly maps an existing bus for reading only (shmif_dumpbus).
func OpenReadOnly(path string) (*Bus, error) {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open bus", Path: path, Err: err}
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return nil, &os.PathError{Op: "stat", Path: path, Err: err}
	}
	b, err := openExisting(path, fd, st.Size, false)
	if err != nil {
		unix.Close(fd)
	}
	return b, err
}

// openExisting maps a bus file of the given size. The caller closes fd
// if it fails. The header is read with pread, not through a mapping, so
// a file truncated meanwhile cannot fault here.
func openExisting(path string, fd int, size int64, writable bool) (*Bus, error) {
	notBus := api.Errorf(syscall.EINVAL, fmt.Sprintf("%s: %v", path, ErrNotBus))
	if size < headerSize+frameHdr*2 {
		return nil, notBus
	}
	hdr := make([]byte, offDataSize+4)
	if n, err := unix.Pread(fd, hdr, 0); err != nil || n < len(hdr) {
		return nil, notBus
	}
	m := binary.NativeEndian.Uint32(hdr[offMagic:])
	v := binary.NativeEndian.Uint32(hdr[offVersion:])
	ds := uint64(binary.NativeEndian.Uint32(hdr[offDataSize:]))
	switch {
	case m != magic:
		return nil, notBus
	case v != version && v != version2 && v != version1:
		return nil, api.Errorf(syscall.EINVAL, fmt.Sprintf("%s: bus version %d, program %d", path, v, version))
	case ds < frameHdr*2 || ds%8 != 0 || ds > uint64(size)-headerSize:
		return nil, notBus
	}
	if writable {
		// A bus grown with truncate(1), or made by an older program, may
		// be sparse: give every block of it storage now.
		if err := allocate(fd, int64(headerSize+ds), false); err != nil {
			return nil, api.Errorf(api.ErrnoOf(err), fmt.Sprintf("allocate bus %s", path))
		}
	}
	b, err := mapBus(path, fd, int(headerSize+ds), writable)
	if err == nil {
		b.version = v
	}
	return b, err
}

func mapBus(path string, fd, size int, writable bool) (*Bus, error) {
	prot := unix.PROT_READ
	if writable {
		prot |= unix.PROT_WRITE
	}
	mem, err := unix.Mmap(fd, 0, size, prot, unix.MAP_SHARED)
	if err != nil {
		return nil, fmt.Errorf("map bus %s: %w", path, err)
	}
	return &Bus{path: path, fd: fd, mem: mem, ring: mem[headerSize:], size: uint64(size - headerSize), writable: writable, version: version}, nil
}

// init writes a fresh header; the caller holds the file's flock. The magic
// goes last, so no process takes a half-written header for a bus.
func (b *Bus) init(dataSize uint64) {
	clear(b.mem[:headerSize])
	binary.NativeEndian.PutUint32(b.mem[offVersion:], version)
	binary.NativeEndian.PutUint32(b.mem[offDataSize:], uint32(dataSize))
	b.ring, b.size = b.mem[headerSize:headerSize+dataSize], dataSize
	b.u32(offMagic).Store(magic)
}

// Close unmaps the bus and closes its file. Attachments must be closed
// first.
func (b *Bus) Close() error {
	if b.mem == nil {
		return nil
	}
	err := b.unmap()
	unix.Close(b.fd)
	return err
}

// unmap unmaps the bus but leaves the file open.
func (b *Bus) unmap() error {
	err := unix.Munmap(b.mem)
	b.mem, b.ring = nil, nil
	return err
}

func (b *Bus) u32(off int) *atomic.Uint32 {
	return (*atomic.Uint32)(unsafe.Pointer(&b.mem[off]))
}

func (b *Bus) u64(off int) *atomic.Uint64 {
	return (*atomic.Uint64)(unsafe.Pointer(&b.mem[off]))
}

// Header is the bus header as shmif_dumpbus -h prints it. First and Last
// are offsets into the ring (logical offsets modulo the ring size).
type Header struct {
	Version    uint32
	Lock       uint32 // pid of the writer holding the bus, 0 if free
	Generation uint64
	First      uint64
	Last       uint64
	DataSize   uint64
}

// Header returns a snapshot of the bus header, or an ErrBusFault if the
// file no longer covers it.
func (b *Bus) Header() (h Header, err error) {
	err = b.guard(func() {
		h = Header{
			Version:    b.u32(offVersion).Load(),
			Lock:       b.u32(offLock).Load(),
			Generation: b.u64(offGeneration).Load(),
			First:      b.u64(offFirst).Load() % b.size,
			Last:       b.u64(offLast).Load() % b.size,
			DataSize:   b.size,
		}
	})
	return h, err
}

// flockWait is how long opening a bus waits for another process's flock(2)
// on the file. The lock is only held while a bus is set up, for
// microseconds; anyone holding it longer is not a kernel, and waiting
// without a limit would stall the caller (an interface being attached
// under its kernel's lock).
const flockWait = time.Second

// lockFile takes an exclusive flock on fd, waiting at most flockWait;
// past that it fails with EBUSY.
func lockFile(path string, fd int) error {
	deadline := time.Now().Add(flockWait)
	for {
		err := unix.Flock(fd, unix.LOCK_EX|unix.LOCK_NB)
		if err == nil {
			return nil
		}
		if err != unix.EWOULDBLOCK && err != unix.EINTR {
			return fmt.Errorf("lock bus %s: %w", path, err)
		}
		if time.Now().After(deadline) {
			return api.Errorf(syscall.EBUSY, fmt.Sprintf("lock bus %s: another process has held the file locked for %v", path, flockWait))
		}
		time.Sleep(5 * time.Millisecond)
	}
}
