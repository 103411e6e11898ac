package shmif

import (
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// futex(2) operations (linux/futex.h).
const (
	futexOpWait = 0
	futexOpWake = 1
)

// futexWait sleeps while *w == val, at most d, and reports whether it
// slept that long. Shared (not private) futex operations are used because
// the word lives in a file mapping that other processes share; the kernel
// keys such a futex by file and offset.
func futexWait(w *atomic.Uint32, val uint32, d time.Duration) (timedOut bool) {
	ts := unix.NsecToTimespec(int64(d))
	_, _, e := unix.Syscall6(unix.SYS_FUTEX, uintptr(unsafe.Pointer(w)), futexOpWait, uintptr(val),
		uintptr(unsafe.Pointer(&ts)), 0, 0)
	return e == unix.ETIMEDOUT
}

// futexWake wakes up to n sleepers on w.
func futexWake(w *atomic.Uint32, n int) {
	unix.Syscall6(unix.SYS_FUTEX, uintptr(unsafe.Pointer(w)), futexOpWake, uintptr(n), 0, 0, 0)
}
