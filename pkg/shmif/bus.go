package shmif

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"sync/atomic"
	"syscall"
	"unsafe"

	"github.com/rumpnet/rumpnet/pkg/api"
	"golang.org/x/sys/unix"
)

// Bus is one process's mapping of a bus file. Its methods are safe for
// concurrent use; Close unmaps it and must be the last call.
type Bus struct {
	path     string
	mem      []byte // the whole file
	ring     []byte // mem[headerSize:]
	size     uint64 // len(ring)
	writable bool
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

// openSize is Open with the ring size of a new bus (tests use small rings).
func openSize(path string, dataSize uint64) (*Bus, error) {
	fd, err := unix.Open(path, unix.O_RDWR|unix.O_CREAT|unix.O_CLOEXEC, 0o666)
	if err != nil {
		return nil, api.Errorf(api.ErrnoOf(err), fmt.Sprintf("open bus %s: %s", path, api.Strerror(api.ErrnoOf(err))))
	}
	defer unix.Close(fd)
	if err := unix.Flock(fd, unix.LOCK_EX); err != nil {
		return nil, fmt.Errorf("lock bus %s: %w", path, err)
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
		if err := unix.Ftruncate(fd, int64(headerSize+dataSize)); err != nil {
			return nil, fmt.Errorf("size bus %s: %w", path, err)
		}
		b, err := mapBus(path, fd, int(headerSize+dataSize), true)
		if err != nil {
			return nil, err
		}
		b.init(dataSize)
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
	defer unix.Close(fd)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return nil, &os.PathError{Op: "stat", Path: path, Err: err}
	}
	return openExisting(path, fd, st.Size, false)
}

func openExisting(path string, fd int, size int64, writable bool) (*Bus, error) {
	notBus := api.Errorf(syscall.EINVAL, fmt.Sprintf("%s: %v", path, ErrNotBus))
	if size < headerSize+frameHdr*2 {
		return nil, notBus
	}
	b, err := mapBus(path, fd, int(size), writable)
	if err != nil {
		return nil, err
	}
	if b.u32(offMagic).Load() != magic {
		b.Close()
		return nil, notBus
	}
	if v := b.u32(offVersion).Load(); v != version {
		b.Close()
		return nil, api.Errorf(syscall.EINVAL, fmt.Sprintf("%s: bus version %d, program %d", path, v, version))
	}
	ds := uint64(b.u32(offDataSize).Load())
	if ds == 0 || ds%8 != 0 || ds > uint64(size)-headerSize {
		b.Close()
		return nil, notBus
	}
	b.ring, b.size = b.mem[headerSize:headerSize+ds], ds
	return b, nil
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
	return &Bus{path: path, mem: mem, ring: mem[headerSize:], size: uint64(size - headerSize), writable: writable}, nil
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

// Path returns the bus file's name.
func (b *Bus) Path() string { return b.path }

// Close unmaps the bus. Attachments must be closed first.
func (b *Bus) Close() error {
	if b.mem == nil {
		return nil
	}
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

// Header returns a snapshot of the bus header.
func (b *Bus) Header() Header {
	return Header{
		Version:    b.u32(offVersion).Load(),
		Lock:       b.u32(offLock).Load(),
		Generation: b.u64(offGeneration).Load(),
		First:      b.u64(offFirst).Load() % b.size,
		Last:       b.u64(offLast).Load() % b.size,
		DataSize:   b.size,
	}
}
