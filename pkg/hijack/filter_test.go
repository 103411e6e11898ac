package hijack

import (
	"encoding/binary"
	"fmt"
	"testing"

	"golang.org/x/sys/unix"
)

// runFilter runs a classic BPF program over a seccomp_data built from nr,
// arch and args: the few instructions Filter uses, and an error for any
// other.
func runFilter(prog []unix.SockFilter, nr int32, arch uint32, args [6]uint64) (uint32, error) {
	data := make([]byte, 64)
	binary.LittleEndian.PutUint32(data[0:], uint32(nr))
	binary.LittleEndian.PutUint32(data[4:], arch)
	for i, a := range args {
		binary.LittleEndian.PutUint64(data[offArgs+8*i:], a)
	}
	var acc uint32
	for pc := 0; pc < len(prog); pc++ {
		in := prog[pc]
		switch in.Code {
		case unix.BPF_LD | unix.BPF_W | unix.BPF_ABS:
			if in.K%4 != 0 || int(in.K)+4 > len(data) {
				return 0, fmt.Errorf("pc %d: load at %d", pc, in.K)
			}
			acc = binary.LittleEndian.Uint32(data[in.K:])
		case unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K:
			if acc == in.K {
				pc += int(in.Jt)
			} else {
				pc += int(in.Jf)
			}
		case unix.BPF_JMP | unix.BPF_JSET | unix.BPF_K:
			if acc&in.K != 0 {
				pc += int(in.Jt)
			} else {
				pc += int(in.Jf)
			}
		case unix.BPF_RET | unix.BPF_K:
			return in.K, nil
		default:
			return 0, fmt.Errorf("pc %d: instruction %#x", pc, in.Code)
		}
	}
	return 0, fmt.Errorf("fell off the end")
}

func TestFilter(t *testing.T) {
	const x86 = unix.AUDIT_ARCH_X86_64
	tests := []struct {
		name string
		nr   int32
		arch uint32
		args [6]uint64
		want uint32
	}{
		{"socket AF_INET", unix.SYS_SOCKET, x86, [6]uint64{unix.AF_INET, unix.SOCK_STREAM}, retNotify},
		{"socket AF_INET6", unix.SYS_SOCKET, x86, [6]uint64{unix.AF_INET6, unix.SOCK_DGRAM}, retNotify},
		{"socket AF_UNIX", unix.SYS_SOCKET, x86, [6]uint64{unix.AF_UNIX, unix.SOCK_STREAM}, retAllow},
		{"socket AF_NETLINK", unix.SYS_SOCKET, x86, [6]uint64{unix.AF_NETLINK, unix.SOCK_RAW}, retAllow},
		{"socket AF_PACKET", unix.SYS_SOCKET, x86, [6]uint64{unix.AF_PACKET, unix.SOCK_RAW}, retAllow},
		{"socketpair", unix.SYS_SOCKETPAIR, x86, [6]uint64{unix.AF_UNIX}, retAllow},
		{"connect", unix.SYS_CONNECT, x86, [6]uint64{3}, retNotify},
		{"bind", unix.SYS_BIND, x86, [6]uint64{3}, retNotify},
		{"listen", unix.SYS_LISTEN, x86, [6]uint64{3}, retNotify},
		{"accept", unix.SYS_ACCEPT, x86, [6]uint64{3}, retNotify},
		{"accept4", unix.SYS_ACCEPT4, x86, [6]uint64{3}, retNotify},
		{"getsockname", unix.SYS_GETSOCKNAME, x86, [6]uint64{3}, retNotify},
		{"getpeername", unix.SYS_GETPEERNAME, x86, [6]uint64{3}, retNotify},
		{"setsockopt", unix.SYS_SETSOCKOPT, x86, [6]uint64{3}, retNotify},
		{"getsockopt", unix.SYS_GETSOCKOPT, x86, [6]uint64{3}, retNotify},
		{"shutdown", unix.SYS_SHUTDOWN, x86, [6]uint64{3}, retNotify},
		{"sendmsg", unix.SYS_SENDMSG, x86, [6]uint64{3}, retNotify},
		{"recvmsg", unix.SYS_RECVMSG, x86, [6]uint64{3}, retNotify},
		{"sendmmsg", unix.SYS_SENDMMSG, x86, [6]uint64{3}, retNotify},
		{"recvmmsg", unix.SYS_RECVMMSG, x86, [6]uint64{3}, retNotify},
		{"send (sendto without address)", unix.SYS_SENDTO, x86, [6]uint64{3, 0x1000, 10, 0, 0, 0}, retAllow},
		{"sendto", unix.SYS_SENDTO, x86, [6]uint64{3, 0x1000, 10, 0, 0x7fff0000, 16}, retNotify},
		{"sendto high address", unix.SYS_SENDTO, x86, [6]uint64{3, 0x1000, 10, 0, 0x7fff_0000_0000, 16}, retNotify},
		{"recv (recvfrom without address)", unix.SYS_RECVFROM, x86, [6]uint64{3, 0x1000, 10}, retAllow},
		{"recvfrom", unix.SYS_RECVFROM, x86, [6]uint64{3, 0x1000, 10, 0, 0x2000, 0x3000}, retNotify},
		{"ioctl SIOCGIFNAME", unix.SYS_IOCTL, x86, [6]uint64{3, unix.SIOCGIFNAME, 0x1000}, retNotify},
		{"ioctl SIOCGIFINDEX", unix.SYS_IOCTL, x86, [6]uint64{3, unix.SIOCGIFINDEX, 0x1000}, retNotify},
		{"ioctl TCGETS", unix.SYS_IOCTL, x86, [6]uint64{0, unix.TCGETS, 0x1000}, retAllow},
		{"ioctl SIOCINQ", unix.SYS_IOCTL, x86, [6]uint64{3, unix.SIOCINQ, 0x1000}, retAllow},
		{"read", unix.SYS_READ, x86, [6]uint64{3}, retAllow},
		{"write", unix.SYS_WRITE, x86, [6]uint64{3}, retAllow},
		{"close", unix.SYS_CLOSE, x86, [6]uint64{3}, retAllow},
		{"execve", unix.SYS_EXECVE, x86, [6]uint64{}, retAllow},
		{"io_uring_setup", unix.SYS_IO_URING_SETUP, x86, [6]uint64{8, 0x1000}, retDeny},
		{"io_uring_enter", unix.SYS_IO_URING_ENTER, x86, [6]uint64{3}, retAllow},
		{"x32 socket", x32Bit | 41, x86, [6]uint64{unix.AF_INET}, retDeny},
		{"x32 read", x32Bit + unix.SYS_READ, x86, [6]uint64{}, retDeny},
		{"i386", 102, unix.AUDIT_ARCH_I386, [6]uint64{}, retDeny},
	}
	prog := Filter()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := runFilter(prog, tt.nr, tt.arch, tt.args)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("got %#x, want %#x", got, tt.want)
			}
		})
	}
}

func TestSessionType(t *testing.T) {
	tests := []struct {
		family, typ, proto int
		want               string
		errno              error
	}{
		{unix.AF_INET, unix.SOCK_STREAM, 0, "stream", nil},
		{unix.AF_INET6, unix.SOCK_STREAM, unix.IPPROTO_TCP, "stream", nil},
		{unix.AF_INET, unix.SOCK_DGRAM, 0, "dgram", nil},
		{unix.AF_INET6, unix.SOCK_DGRAM, unix.IPPROTO_UDP, "dgram", nil},
		{unix.AF_INET, unix.SOCK_DGRAM, unix.IPPROTO_ICMP, "icmp", nil},
		{unix.AF_INET6, unix.SOCK_DGRAM, unix.IPPROTO_ICMPV6, "icmp", nil},
		{unix.AF_INET6, unix.SOCK_DGRAM, unix.IPPROTO_ICMP, "", unix.EPROTONOSUPPORT},
		{unix.AF_INET, unix.SOCK_STREAM, unix.IPPROTO_UDP, "", unix.EPROTONOSUPPORT},
		{unix.AF_INET, unix.SOCK_RAW, unix.IPPROTO_ICMP, "", unix.EPERM},
		{unix.AF_INET, unix.SOCK_SEQPACKET, 0, "", unix.ESOCKTNOSUPPORT},
	}
	for _, tt := range tests {
		got, e := sessionType(tt.family, tt.typ, tt.proto)
		var err error
		if e != 0 {
			err = e
		}
		if got != tt.want || err != tt.errno {
			t.Errorf("sessionType(%d, %d, %d): got %q, %v, want %q, %v", tt.family, tt.typ, tt.proto, got, err, tt.want, tt.errno)
		}
	}
}
