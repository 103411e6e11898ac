package hijack

// Reaching into the program: its memory through process_vm_readv and
// process_vm_writev, its descriptors through /proc (which socket an fd is)
// and pidfd_getfd (a copy of the fd, sharing the open file description).
// The thread a notification names may die at any moment; every failure here
// is answered to the program as EFAULT or EBADF and never stops the
// supervisor.

import (
	"bytes"
	"os"
	"strconv"
	"strings"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// pidfdThread is PIDFD_THREAD (Linux 6.9): a pidfd for one thread.
const pidfdThread = unix.O_EXCL

// proc is the thread a notification came from.
type proc struct {
	tid int
	// valid, when set, reports whether the notification is still waiting
	// for its answer; write asks it first.
	valid func() bool
}

// read copies n bytes at addr in the program.
func (p proc) read(addr uint64, n int) ([]byte, error) {
	if n == 0 {
		return nil, nil
	}
	if addr == 0 {
		return nil, syscall.EFAULT
	}
	b := make([]byte, n)
	local := []unix.Iovec{{Base: &b[0]}}
	local[0].SetLen(n)
	remote := []unix.RemoteIovec{{Base: uintptr(addr), Len: n}}
	got, err := unix.ProcessVMReadv(p.tid, local, remote, 0)
	if err != nil || got != n {
		return nil, syscall.EFAULT
	}
	return b, nil
}

// write copies b to addr in the program. A notification that is no longer
// waiting gets nothing written: its thread has left the call, and the
// memory may be another frame's by now.
func (p proc) write(addr uint64, b []byte) error {
	if len(b) == 0 {
		return nil
	}
	if addr == 0 {
		return syscall.EFAULT
	}
	if p.valid != nil && !p.valid() {
		return syscall.EINTR
	}
	local := []unix.Iovec{{Base: &b[0]}}
	local[0].SetLen(len(b))
	remote := []unix.RemoteIovec{{Base: uintptr(addr), Len: len(b)}}
	got, err := unix.ProcessVMWritev(p.tid, local, remote, 0)
	if err != nil || got != len(b) {
		return syscall.EFAULT
	}
	return nil
}

// readInt reads an int (4 bytes) at addr.
func (p proc) readU32(addr uint64) (uint32, error) {
	b, err := p.read(addr, 4)
	if err != nil {
		return 0, err
	}
	return *(*uint32)(unsafe.Pointer(&b[0])), nil
}

// sockIno returns the inode of the socket fd is in the program, or 0 when
// fd is not a socket.
func (p proc) sockIno(fd int) (uint64, error) {
	var buf [64]byte
	n, err := unix.Readlink("/proc/"+strconv.Itoa(p.tid)+"/fd/"+strconv.Itoa(fd), buf[:])
	if err != nil {
		return 0, syscall.EBADF
	}
	s := buf[:n]
	if !bytes.HasPrefix(s, []byte("socket:[")) || s[len(s)-1] != ']' {
		return 0, nil
	}
	ino, err := strconv.ParseUint(string(s[8:len(s)-1]), 10, 64)
	if err != nil {
		return 0, nil
	}
	return ino, nil
}

// dup returns a copy of the program's fd.
func (p proc) dup(fd int) (int, error) {
	pidfd, err := unix.PidfdOpen(p.tid, pidfdThread)
	if err != nil {
		tgid, terr := p.tgid()
		if terr != nil {
			return -1, syscall.EBADF
		}
		if pidfd, err = unix.PidfdOpen(tgid, 0); err != nil {
			return -1, syscall.EBADF
		}
	}
	defer unix.Close(pidfd)
	nfd, err := unix.PidfdGetfd(pidfd, fd, 0)
	if err != nil {
		return -1, syscall.EBADF
	}
	return nfd, nil
}

func (p proc) tgid() (int, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(p.tid) + "/status")
	if err != nil {
		return 0, err
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "Tgid:"); ok {
			return strconv.Atoi(strings.TrimSpace(v))
		}
	}
	return 0, syscall.ESRCH
}

// fileIno is the inode of an fd of ours.
func fileIno(fd int) (uint64, error) {
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return 0, err
	}
	return st.Ino, nil
}

// nonblocking reports whether fd's open file description has O_NONBLOCK.
func nonblocking(fd int) bool {
	fl, err := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0)
	return err == nil && fl&unix.O_NONBLOCK != 0
}

// sigState is what a thread's /proc status says of its signals: those
// pending for the thread and for its process that it does not block, and
// how many threads the process has.
type sigState struct {
	own, shared uint64
	threads     int
}

// signals reads the thread's signal state.
func (p proc) signals() (sigState, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(p.tid) + "/status")
	if err != nil {
		return sigState{}, err
	}
	return parseSignals(string(b))
}

// parseSignals reads a /proc status file's Threads, SigPnd, ShdPnd and
// SigBlk lines.
func parseSignals(status string) (sigState, error) {
	var st sigState
	var blk uint64
	seen := 0
	for _, l := range strings.Split(status, "\n") {
		k, v, ok := strings.Cut(l, ":")
		if !ok {
			continue
		}
		v = strings.TrimSpace(v)
		var err error
		switch k {
		case "Threads":
			st.threads, err = strconv.Atoi(v)
		case "SigPnd":
			st.own, err = strconv.ParseUint(v, 16, 64)
		case "ShdPnd":
			st.shared, err = strconv.ParseUint(v, 16, 64)
		case "SigBlk":
			blk, err = strconv.ParseUint(v, 16, 64)
		default:
			continue
		}
		if err != nil {
			return sigState{}, syscall.EINVAL
		}
		seen++
	}
	if seen != 4 {
		return sigState{}, syscall.EINVAL
	}
	st.own &^= blk
	st.shared &^= blk
	return st, nil
}
