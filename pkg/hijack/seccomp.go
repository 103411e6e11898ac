package hijack

// The kernel's seccomp user-notification interface: the structures of
// <linux/seccomp.h> and the ioctls on the listener descriptor.

import (
	"fmt"
	"syscall"
	"unsafe"

	"github.com/rumpnet/rumpnet/pkg/api"
	"golang.org/x/sys/unix"
)

// notif is struct seccomp_notif.
type notif struct {
	ID    uint64
	Pid   uint32
	Flags uint32
	Nr    int32
	Arch  uint32
	IP    uint64
	Args  [6]uint64
}

// notifResp is struct seccomp_notif_resp.
type notifResp struct {
	ID    uint64
	Val   int64
	Error int32
	Flags uint32
}

// notifAddfd is struct seccomp_notif_addfd.
type notifAddfd struct {
	ID         uint64
	Flags      uint32
	Srcfd      uint32
	Newfd      uint32
	NewfdFlags uint32
}

func ioctlPtr(fd int, req uint, p unsafe.Pointer) (uintptr, error) {
	for {
		r, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), uintptr(req), uintptr(p))
		if e == unix.EINTR {
			continue
		}
		if e != 0 {
			return 0, e
		}
		return r, nil
	}
}

// recvNotif waits for the next notification on the listener.
func recvNotif(lfd int) (*notif, error) {
	n := new(notif)
	_, err := ioctlPtr(lfd, unix.SECCOMP_IOCTL_NOTIF_RECV, unsafe.Pointer(n))
	return n, err
}

// sendResp answers notification id: errno when non-zero, otherwise val, or
// let the kernel run the call itself when cont is set.
func sendResp(lfd int, id uint64, val int64, errno syscall.Errno, cont bool) error {
	r := notifResp{ID: id, Val: val}
	if errno != 0 {
		r.Error = -int32(errno)
		r.Val = 0
	}
	if cont {
		r = notifResp{ID: id, Flags: unix.SECCOMP_USER_NOTIF_FLAG_CONTINUE}
	}
	_, err := ioctlPtr(lfd, unix.SECCOMP_IOCTL_NOTIF_SEND, unsafe.Pointer(&r))
	return err
}

// idValid reports whether notification id is still waiting for its answer
// (the thread has not been interrupted or died).
func idValid(lfd int, id uint64) bool {
	_, err := ioctlPtr(lfd, unix.SECCOMP_IOCTL_NOTIF_ID_VALID, unsafe.Pointer(&id))
	return err == nil
}

// addFDSend installs fd in the program and makes its number the system
// call's return value, atomically.
func addFDSend(lfd int, id uint64, fd int, cloexec bool) (int, error) {
	a := notifAddfd{ID: id, Flags: unix.SECCOMP_ADDFD_FLAG_SEND, Srcfd: uint32(fd)}
	if cloexec {
		a.NewfdFlags = unix.O_CLOEXEC
	}
	r, err := ioctlPtr(lfd, unix.SECCOMP_IOCTL_NOTIF_ADDFD, unsafe.Pointer(&a))
	return int(r), err
}

// installFilter installs prog on the calling thread only and returns the
// listener. The caller has set no_new_privs.
//
// It asks for SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (Linux 5.19): once the
// supervisor has read a notification, only a fatal signal ends the
// program's wait for the answer, so the thread is still in the call, its
// memory as the call left it, while a handler writes the results
// (doc/design.md, "A signal during a trapped call"). A kernel without the
// flag refuses it with EINVAL and gets the filter without it.
func installFilter(prog []unix.SockFilter) (int, error) {
	fp := unix.SockFprog{Len: uint16(len(prog)), Filter: &prog[0]}
	lfd, e := seccompFilter(unix.SECCOMP_FILTER_FLAG_NEW_LISTENER|unix.SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV, &fp)
	if e == unix.EINVAL {
		lfd, e = seccompFilter(unix.SECCOMP_FILTER_FLAG_NEW_LISTENER, &fp)
	}
	if e != 0 {
		return -1, e
	}
	return lfd, nil
}

// seccompFilter is seccomp(SECCOMP_SET_MODE_FILTER, flags, fp); a test
// replaces it to play a kernel without a flag.
var seccompFilter = func(flags uintptr, fp *unix.SockFprog) (int, syscall.Errno) {
	r, _, e := unix.Syscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, flags, uintptr(unsafe.Pointer(fp)))
	return int(r), e
}

// CheckHost reports whether the running kernel can do what rumphijack needs:
// seccomp user notification (Linux 5.0) and pidfd_getfd (Linux 5.6). It
// asks with three system calls that change nothing (it runs on every start
// of rumphijack): seccomp's own question whether an action is available,
// and pidfd_open and pidfd_getfd with arguments they refuse, which a kernel
// that has them refuses with EINVAL or EBADF, and one that lacks them with
// ENOSYS.
func CheckHost() error {
	action := uint32(unix.SECCOMP_RET_USER_NOTIF)
	_, _, e := unix.Syscall(unix.SYS_SECCOMP, unix.SECCOMP_GET_ACTION_AVAIL, 0, uintptr(unsafe.Pointer(&action)))
	switch e {
	case 0:
	case unix.EOPNOTSUPP, unix.EINVAL:
		// EINVAL: a kernel before 4.14, which cannot be asked
		return api.Errorf(syscall.ENOSYS, "kernel lacks seccomp user notification (Linux 5.0 or later)")
	default:
		return api.Errorf(syscall.ENOSYS, fmt.Sprintf("seccomp not available: %v", e))
	}
	if _, _, e := unix.Syscall(unix.SYS_PIDFD_OPEN, 0, 0, 0); e != unix.EINVAL {
		return api.Errorf(syscall.ENOSYS, fmt.Sprintf("kernel lacks pidfd_open (Linux 5.3 or later): %v", e))
	}
	switch _, _, e := unix.Syscall(unix.SYS_PIDFD_GETFD, ^uintptr(0), 0, 0); e {
	case unix.EBADF:
		return nil
	case unix.ENOSYS:
		return api.Errorf(syscall.ENOSYS, "kernel lacks pidfd_getfd (Linux 5.6 or later)")
	default:
		return fmt.Errorf("pidfd_getfd: %w", e)
	}
}
