package hijack

// The seccomp filter: which system calls of the program reach the
// supervisor. It is built by hand from classic BPF because it is small and
// fixed; the decisions are in one table so a test can check each of them.
//
// The filter sees only the system call's number and its six arguments, never
// the memory they point to, so it cannot tell a rump socket from a host one.
// It lets through at once what can never concern a rump socket (socket(2) of
// another family, send(2)/recv(2) without an address, every other call) and
// hands the rest to the supervisor, which looks at the descriptor.

import (
	"golang.org/x/sys/unix"
)

// Offsets in struct seccomp_data.
const (
	offNr   = 0
	offArch = 4
	offArgs = 16 // args[i] at offArgs + 8*i, low word first on x86_64
)

// x32Bit marks the system call numbers of the x32 ABI.
const x32Bit = 0x40000000

// Filter returns.
const (
	retAllow  = unix.SECCOMP_RET_ALLOW
	retNotify = unix.SECCOMP_RET_USER_NOTIF
	// retDeny answers ENOSYS: a program of another ABI (i386, x32), or
	// io_uring, would reach the host's network past the supervisor.
	retDeny = unix.SECCOMP_RET_ERRNO | uint32(unix.ENOSYS)
)

// trapped are the system calls that always reach the supervisor.
var trapped = []uint32{
	unix.SYS_CONNECT, unix.SYS_BIND, unix.SYS_LISTEN, unix.SYS_ACCEPT,
	unix.SYS_ACCEPT4, unix.SYS_GETSOCKNAME, unix.SYS_GETPEERNAME,
	unix.SYS_SETSOCKOPT, unix.SYS_GETSOCKOPT, unix.SYS_SHUTDOWN,
	unix.SYS_SENDMSG, unix.SYS_RECVMSG, unix.SYS_SENDMMSG, unix.SYS_RECVMMSG,
}

// asm is a tiny assembler for forward jumps to labels.
type asm struct {
	prog   []unix.SockFilter
	fixups []fixup
	labels map[string]int
}

type fixup struct {
	at     int
	jt, jf string // label names, "" for the next instruction
}

func (a *asm) stmt(code uint16, k uint32) {
	a.prog = append(a.prog, unix.SockFilter{Code: code, K: k})
}

// jeq jumps to jt when A == k, to jf otherwise ("" is the next instruction).
func (a *asm) jump(op uint16, k uint32, jt, jf string) {
	a.fixups = append(a.fixups, fixup{at: len(a.prog), jt: jt, jf: jf})
	a.prog = append(a.prog, unix.SockFilter{Code: unix.BPF_JMP | op | unix.BPF_K, K: k})
}

func (a *asm) label(name string) { a.labels[name] = len(a.prog) }

func (a *asm) ld(off uint32) { a.stmt(unix.BPF_LD|unix.BPF_W|unix.BPF_ABS, off) }
func (a *asm) ret(k uint32)  { a.stmt(unix.BPF_RET|unix.BPF_K, k) }

func (a *asm) resolve() []unix.SockFilter {
	for _, f := range a.fixups {
		a.prog[f.at].Jt = a.offset(f.at, f.jt)
		a.prog[f.at].Jf = a.offset(f.at, f.jf)
	}
	return a.prog
}

func (a *asm) offset(at int, label string) uint8 {
	if label == "" {
		return 0
	}
	d := a.labels[label] - at - 1
	if d < 0 || d > 255 {
		panic("hijack: filter jump out of range: " + label)
	}
	return uint8(d)
}

// Filter returns the seccomp program rumphijack installs.
func Filter() []unix.SockFilter {
	a := &asm{labels: map[string]int{}}
	a.ld(offArch)
	a.jump(unix.BPF_JEQ, unix.AUDIT_ARCH_X86_64, "", "deny")
	a.ld(offNr)
	a.jump(unix.BPF_JSET, x32Bit, "deny", "")
	// io_uring would make sockets and connect them without a system
	// call the filter sees; programs fall back to the calls on ENOSYS.
	a.jump(unix.BPF_JEQ, unix.SYS_IO_URING_SETUP, "deny", "")
	a.jump(unix.BPF_JEQ, unix.SYS_SOCKET, "socket", "")
	a.jump(unix.BPF_JEQ, unix.SYS_SENDTO, "addr4", "")
	a.jump(unix.BPF_JEQ, unix.SYS_RECVFROM, "addr4", "")
	a.jump(unix.BPF_JEQ, unix.SYS_IOCTL, "ioctl", "")
	for _, nr := range trapped {
		a.jump(unix.BPF_JEQ, nr, "notify", "")
	}
	a.ret(retAllow)

	// socket(2): only the Internet families; the domain is an int, so the
	// low word is all of it.
	a.label("socket")
	a.ld(offArgs)
	a.jump(unix.BPF_JEQ, unix.AF_INET, "notify", "")
	a.jump(unix.BPF_JEQ, unix.AF_INET6, "notify", "allow")

	// sendto(2), recvfrom(2): only with an address (arg 4, a pointer).
	a.label("addr4")
	a.ld(offArgs + 8*4)
	a.jump(unix.BPF_JEQ, 0, "", "notify")
	a.ld(offArgs + 8*4 + 4)
	a.jump(unix.BPF_JEQ, 0, "allow", "notify")

	// ioctl(2): only the requests about interface names, whose answer
	// on a rump socket is the kernel's (ifioctl.go); the request is an
	// unsigned int, so the low word is all of it.
	a.label("ioctl")
	a.ld(offArgs + 8)
	a.jump(unix.BPF_JEQ, unix.SIOCGIFNAME, "notify", "")
	a.jump(unix.BPF_JEQ, unix.SIOCGIFINDEX, "notify", "allow")

	a.label("allow")
	a.ret(retAllow)
	a.label("notify")
	a.ret(retNotify)
	a.label("deny")
	a.ret(retDeny)
	return a.resolve()
}
