package shmif

// The bus file is untrusted: anyone who may write it can truncate it or
// scribble over it while kernels have it mapped. Two things follow.
//
// Access faults. A page of a MAP_SHARED mapping beyond the file's end (a
// truncated bus), or one the file system cannot back (a full tmpfs), makes
// the access raise SIGBUS, which would kill the process. Every access to
// the mapping therefore runs with debug.SetPanicOnFault set on its
// goroutine: the fault becomes a runtime panic that catch recovers and
// turns into an error carrying ErrBusFault. After a fault the port checks
// the file (fstat, fallocate, the header) before it touches the mapping
// again, and carries on once the file covers the ring again. New buses are
// allocated with fallocate(2), so a full file system is reported when the
// bus is made rather than as a fault later.
//
// Header values. No loop may depend on a value read from the file: the
// writer repairs a header whose offsets make no sense (see repair in
// ring.go), its reclaim walk is bounded by the ring's size, readers wait
// for a writer to repair what they cannot trust, and the lock can always
// be taken over after a bounded wait (lock.go).

import (
	"errors"
	"fmt"
	"runtime/debug"
	"syscall"
	"unsafe"

	"github.com/rumpnet/rumpnet/pkg/api"
	"golang.org/x/sys/unix"
)

// ErrBusFault is returned (wrapped, with an errno: ENXIO when the file no
// longer covers the bus or its header is gone, ENOSPC when its storage
// cannot be allocated) by Port.Read, Port.Write and Bus.Frames when the
// bus file was damaged under the mapping. It is not permanent: once the
// file is restored to its size (or grown again and reinitialised) the
// port works again.
var ErrBusFault = errors.New("shmif bus file damaged")

// busError is an ErrBusFault with its errno and what was found.
type busError struct {
	errno  syscall.Errno
	detail string
}

func (e *busError) Error() string {
	return e.detail + ": " + api.Strerror(e.errno)
}

// Is matches ErrBusFault as well as the errno.
func (e *busError) Is(target error) bool { return target == ErrBusFault }

// Unwrap returns the errno.
func (e *busError) Unwrap() error { return e.errno }

func (b *Bus) faultf(errno syscall.Errno, format string, a ...any) error {
	return &busError{errno: errno, detail: "bus " + b.path + ": " + fmt.Sprintf(format, a...)}
}

// faultAddr is the runtime error a fault under SetPanicOnFault panics with.
type faultAddr interface {
	error
	Addr() uintptr
}

// catch is deferred, with the previous SetPanicOnFault setting, around
// every access to the mapping: it restores the setting and turns a fault
// inside the mapping into an ErrBusFault in *err. Any other panic goes on.
//
//	defer b.catch(debug.SetPanicOnFault(true), &err)
func (b *Bus) catch(old bool, err *error) {
	debug.SetPanicOnFault(old)
	r := recover()
	if r == nil {
		return
	}
	if fa, ok := r.(faultAddr); ok && b.inMapping(fa.Addr()) {
		*err = b.faultf(syscall.ENXIO, "access fault (file truncated or its storage gone)")
		return
	}
	panic(r)
}

// inMapping reports whether addr lies in the bus's mapping.
func (b *Bus) inMapping(addr uintptr) bool {
	if len(b.mem) == 0 {
		return false
	}
	start := uintptr(unsafe.Pointer(&b.mem[0]))
	return addr >= start && addr < start+uintptr(len(b.mem))
}

// guard runs fn with faults in the mapping turned into an error.
func (b *Bus) guard(fn func()) (err error) {
	defer b.catch(debug.SetPanicOnFault(true), &err)
	fn()
	return nil
}

// covered returns an ErrBusFault if the file no longer covers the bus.
func (b *Bus) covered() error {
	var st unix.Stat_t
	if err := unix.Fstat(b.fd, &st); err != nil {
		return b.faultf(api.ErrnoOf(err), "stat")
	}
	if need := int64(headerSize + b.size); st.Size < need {
		return b.faultf(syscall.ENXIO, "file is %d bytes, the bus needs %d", st.Size, need)
	}
	return nil
}

// check tells whether the mapping can be used again after a fault: the
// file must cover the header and the ring, its blocks are allocated again
// (a file grown back with truncate is sparse), and the header must be
// this bus's. A header that is all zeros (the file was truncated and
// grown again) is initialised afresh, as a new bus, under the file's
// flock; one that holds another bus, or garbage, stays an error.
func (b *Bus) check() error {
	if err := b.covered(); err != nil {
		return err
	}
	if b.writable {
		need := int64(headerSize + b.size)
		if err := lockFile(b.path, b.fd); err != nil {
			return b.faultf(api.ErrnoOf(err), "lock")
		}
		defer unix.Flock(b.fd, unix.LOCK_UN)
		if err := allocate(b.fd, need, false); err != nil {
			return b.faultf(api.ErrnoOf(err), "allocate")
		}
	}
	var m, v, ds uint32
	if err := b.guard(func() {
		m, v, ds = b.u32(offMagic).Load(), b.u32(offVersion).Load(), b.u32(offDataSize).Load()
	}); err != nil {
		return err
	}
	switch {
	case m == 0 && v == 0 && ds == 0 && b.writable:
		return b.guard(func() { b.init(b.size) })
	case m != magic || (v != version && v != b.version) || uint64(ds) != b.size:
		return b.faultf(syscall.ENXIO, "header is no longer this bus's")
	}
	return nil
}

// allocate makes sure the file's first size bytes have storage, so that
// no access to the mapping faults for want of a block. fresh says the
// file is new and empty: where the file system has no fallocate, its
// blocks are then written with zeros instead.
func allocate(fd int, size int64, fresh bool) error {
	err := unix.Fallocate(fd, 0, 0, size)
	if err == nil || !(errors.Is(err, unix.EOPNOTSUPP) || errors.Is(err, unix.ENOSYS)) {
		return err
	}
	if !fresh {
		return nil // cannot tell holes from frames; leave it
	}
	if err := unix.Ftruncate(fd, size); err != nil {
		return err
	}
	zero := make([]byte, 4096)
	for off := int64(0); off < size; off += int64(len(zero)) {
		n := min(int64(len(zero)), size-off)
		if _, err := unix.Pwrite(fd, zero[:n], off); err != nil {
			return err
		}
	}
	return nil
}
