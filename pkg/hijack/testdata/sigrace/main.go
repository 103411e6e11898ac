// Command sigrace is a static Go program the supervisor's tests run to
// catch a handler writing into memory after its call was interrupted.
//
// "stale" prints its thread's id, makes a getsockname of a session socket
// into a buffer, then fills the buffer with a mark and prints "moved on";
// on SIGUSR2 it prints whether the mark is "intact" or "overwritten".
// The test holds the first getsockname and interrupts it with SIGUSR1.
//
// "storm" makes many getsockname and getsockopt calls into the stack
// while a goroutine spins (preempted by SIGURG) and a second one sends
// the process SIGUSR1 in a loop, and prints "ok" when every answer was
// right.
package main

import (
	"bytes"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"sync/atomic"
	"syscall"
	"unsafe"
)

func main() {
	var err error
	switch os.Args[1] {
	case "stale":
		err = stale()
	case "storm":
		err = storm()
	}
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
}

func listener() (int, error) {
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	if err != nil {
		return -1, err
	}
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		return -1, err
	}
	return fd, syscall.Listen(fd, 4)
}

func getsockname(fd int, buf []byte, n *uint32) syscall.Errno {
	_, _, e := syscall.Syscall(syscall.SYS_GETSOCKNAME, uintptr(fd),
		uintptr(unsafe.Pointer(&buf[0])), uintptr(unsafe.Pointer(n)))
	return e
}

func stale() error {
	fd, err := listener()
	if err != nil {
		return err
	}
	usr := make(chan os.Signal, 4)
	signal.Notify(usr, syscall.SIGUSR1, syscall.SIGUSR2)
	runtime.LockOSThread()
	fmt.Printf("tid %d\n", syscall.Gettid())
	buf := make([]byte, 128)
	n := uint32(len(buf))
	if e := getsockname(fd, buf, &n); e != 0 {
		return e
	}
	mark := bytes.Repeat([]byte{0xaa}, len(buf))
	copy(buf, mark)
	fmt.Println("moved on")
	for s := range usr {
		if s == syscall.SIGUSR2 {
			break
		}
	}
	if bytes.Equal(buf, mark) {
		fmt.Println("intact")
	} else {
		fmt.Println("overwritten")
	}
	return nil
}

//go:noinline
func nameInto(fd int) ([16]byte, uint32, syscall.Errno) {
	var buf [16]byte
	n := uint32(len(buf))
	e := getsockname(fd, buf[:], &n)
	return buf, n, e
}

//go:noinline
func optInto(fd int) (int32, syscall.Errno) {
	var v int32 = -1
	n := uint32(4)
	_, _, e := syscall.Syscall6(syscall.SYS_GETSOCKOPT, uintptr(fd), syscall.SOL_SOCKET,
		syscall.SO_TYPE, uintptr(unsafe.Pointer(&v)), uintptr(unsafe.Pointer(&n)), 0)
	return v, e
}

func storm() error {
	fd, err := listener()
	if err != nil {
		return err
	}
	want, n, e := nameInto(fd)
	if e != 0 || n != 16 {
		return fmt.Errorf("getsockname: %v, length %d", e, n)
	}
	signal.Notify(make(chan os.Signal, 1), syscall.SIGUSR1)
	var stop atomic.Bool
	go func() {
		for !stop.Load() {
		}
	}()
	go func() {
		for !stop.Load() {
			syscall.Kill(os.Getpid(), syscall.SIGUSR1)
			runtime.Gosched()
		}
	}()
	defer stop.Store(true)
	for i := range 3000 {
		got, n, e := nameInto(fd)
		if e != 0 || n != 16 || got != want {
			return fmt.Errorf("getsockname %d: got %x (%d, %v), want %x", i, got, n, e, want)
		}
		v, e := optInto(fd)
		if e != 0 || v != syscall.SOCK_STREAM {
			return fmt.Errorf("getsockopt %d: got %d (%v), want %d", i, v, e, syscall.SOCK_STREAM)
		}
	}
	fmt.Println("ok")
	return nil
}
