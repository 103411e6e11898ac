package rump

import (
	"encoding/binary"
	"net"
	"net/netip"
	"syscall"
	"testing"
	"time"

	"github.com/rumpnet/rumpnet/pkg/api"
	"golang.org/x/sys/unix"
)

// ipMreq is struct ip_mreq, or ip_mreqn when index >= 0.
func ipMreq(group, ifaddr string, index int) []byte {
	b := append(netip.MustParseAddr(group).AsSlice(), netip.MustParseAddr(ifaddr).AsSlice()...)
	if index >= 0 {
		b = binary.NativeEndian.AppendUint32(b, uint32(index))
	}
	return b
}

// ipv6Mreq is struct ipv6_mreq.
func ipv6Mreq(group string, index int) []byte {
	return binary.NativeEndian.AppendUint32(netip.MustParseAddr(group).AsSlice(), uint32(index))
}

func TestParseMreq(t *testing.T) {
	for _, tt := range []struct {
		name  string
		level int
		b     []byte
		want  mreq
		errno syscall.Errno
	}{
		{"ip_mreq any", unix.IPPROTO_IP, ipMreq("239.1.2.3", "0.0.0.0", -1), mreq{group: netip.MustParseAddr("239.1.2.3")}, 0},
		{"ip_mreq address", unix.IPPROTO_IP, ipMreq("224.0.0.251", "10.0.0.1", -1),
			mreq{group: netip.MustParseAddr("224.0.0.251"), ifaddr: netip.MustParseAddr("10.0.0.1")}, 0},
		{"ip_mreqn index", unix.IPPROTO_IP, ipMreq("239.1.2.3", "0.0.0.0", 2), mreq{group: netip.MustParseAddr("239.1.2.3"), ifindex: 2}, 0},
		{"ip_mreq short", unix.IPPROTO_IP, ipMreq("239.1.2.3", "0.0.0.0", -1)[:7], mreq{}, syscall.EINVAL},
		{"unicast group", unix.IPPROTO_IP, ipMreq("10.1.2.3", "0.0.0.0", -1), mreq{}, syscall.EINVAL},
		{"ipv6_mreq", unix.IPPROTO_IPV6, ipv6Mreq("ff15::1234", 3), mreq{group: netip.MustParseAddr("ff15::1234"), ifindex: 3}, 0},
		{"ipv6_mreq any", unix.IPPROTO_IPV6, ipv6Mreq("ff02::fb", 0), mreq{group: netip.MustParseAddr("ff02::fb")}, 0},
		{"ipv6_mreq short", unix.IPPROTO_IPV6, ipv6Mreq("ff15::1234", 3)[:19], mreq{}, syscall.EINVAL},
		{"ipv6 unicast", unix.IPPROTO_IPV6, ipv6Mreq("fd00::1", 0), mreq{}, syscall.EINVAL},
	} {
		got, err := parseMreq(tt.level, tt.b)
		if e := errnoOrZero(err); err != nil || tt.errno != 0 {
			if e != tt.errno {
				t.Errorf("%s: got errno %v, want %v", tt.name, e, tt.errno)
			}
			continue
		}
		if got != tt.want {
			t.Errorf("%s: got %+v, want %+v", tt.name, got, tt.want)
		}
	}
}

func TestParseMulticastIf(t *testing.T) {
	for _, tt := range []struct {
		name  string
		b     []byte
		addr  string
		index int
		errno syscall.Errno
	}{
		{"in_addr", netip.MustParseAddr("10.9.0.1").AsSlice(), "10.9.0.1", 0, 0},
		{"in_addr any", netip.MustParseAddr("0.0.0.0").AsSlice(), "", 0, 0},
		{"ip_mreq", ipMreq("239.1.2.3", "10.9.0.1", -1), "10.9.0.1", 0, 0},
		{"ip_mreqn", ipMreq("0.0.0.0", "0.0.0.0", 2), "", 2, 0},
		{"short", []byte{10, 9, 0}, "", 0, syscall.EINVAL},
	} {
		addr, index, err := parseMulticastIf(tt.b)
		if e := errnoOrZero(err); e != tt.errno {
			t.Errorf("%s: got errno %v, want %v", tt.name, e, tt.errno)
			continue
		}
		var want netip.Addr
		if tt.addr != "" {
			want = netip.MustParseAddr(tt.addr)
		}
		if addr != want || index != tt.index {
			t.Errorf("%s: got %v index %d, want %v index %d", tt.name, addr, index, want, tt.index)
		}
	}
}

// groupRefcnt is the refcount k's ifmcstat data shows for group on
// ifname, 0 when the group is not listed.
func groupRefcnt(k *Kernel, ifname, group string) int {
	for _, m := range k.Multicast() {
		if m.Interface != ifname {
			continue
		}
		for _, a := range m.Addrs {
			for _, g := range a.Groups {
				if g.Group == group {
					return g.Refcnt
				}
			}
		}
	}
	return 0
}

func wantRefcnt(t *testing.T, k *Kernel, group string, want int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		got := groupRefcnt(k, "shmif0", group)
		if got == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("group %s on shmif0: got refcount %d, want %d", group, got, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// sendUntilRead writes msg on a until b reads a datagram ending in it.
func sendUntilRead(t *testing.T, a, b net.Conn, msg []byte, tail string) {
	t.Helper()
	buf := make([]byte, 200)
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if _, err := a.Write(msg); err != nil {
			t.Fatal(err)
		}
		b.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
		n, err := b.Read(buf)
		if err == nil {
			if got := string(buf[:n]); len(got) < len(tail) || got[len(got)-len(tail):] != tail {
				t.Fatalf("read %x, want a datagram ending in %q", buf[:n], tail)
			}
			return
		}
	}
	t.Fatalf("no datagram %q arrived", tail)
}

func TestMulticastJoinReceiveAndCount(t *testing.T) {
	ks := busKernels(t, 2)
	sa, sb := newSet(t, ks[0]), newSet(t, ks[1])
	shmif, _ := ks[1].Interface("shmif0")
	for _, tt := range []struct {
		family   int
		bind     string
		group    string
		level    int
		join     []byte
		leave    int
		ifOpt    func(id int) error
		dstHdr   []byte
		wantLink string
	}{
		{4, "0.0.0.0:7100", "239.1.2.3", unix.IPPROTO_IP, ipMreq("239.1.2.3", "0.0.0.0", -1), unix.IP_DROP_MEMBERSHIP,
			func(id int) error {
				return sa.SetOptBytes(id, unix.IPPROTO_IP, unix.IP_MULTICAST_IF, netip.MustParseAddr("10.9.0.1").AsSlice())
			},
			[]byte{4, 0x1b, 0xbc, 239, 1, 2, 3}, "01:00:5e:01:02:03"},
		{6, "[::]:7101", "ff15::1234", unix.IPPROTO_IPV6, ipv6Mreq("ff15::1234", shmif.Index), unix.IPV6_LEAVE_GROUP,
			func(id int) error { return sa.SetOpt(id, unix.IPPROTO_IPV6, unix.IPV6_MULTICAST_IF, shmif.Index) },
			append([]byte{6, 0x1b, 0xbd}, netip.MustParseAddr("ff15::1234").AsSlice()...), "33:33:00:00:12:34"},
	} {
		bid, bf := mustSocket(t, sb, tt.family, api.SockDgram)
		if _, err := sb.Bind(bid, netip.MustParseAddrPort(tt.bind)); err != nil {
			t.Fatal(err)
		}
		joinName := unix.IP_ADD_MEMBERSHIP
		if tt.family == 6 {
			joinName = unix.IPV6_JOIN_GROUP
		}
		if err := sb.SetOptBytes(bid, tt.level, joinName, tt.join); err != nil {
			t.Fatalf("join %s: %v", tt.group, err)
		}
		wantRefcnt(t, ks[1], tt.group, 1)
		if err := sb.SetOptBytes(bid, tt.level, joinName, tt.join); api.ErrnoOf(err) != syscall.EADDRINUSE {
			t.Errorf("join %s twice: got %v, want EADDRINUSE", tt.group, err)
		}
		aid, af := mustSocket(t, sa, tt.family, api.SockDgram)
		if err := tt.ifOpt(aid); err != nil {
			t.Fatalf("multicast interface: %v", err)
		}
		a, b := fileConn(t, af), fileConn(t, bf)
		sendUntilRead(t, a, b, append(tt.dstHdr, "to the group"...), "to the group")

		// A second socket joins: refcount 2, one link-layer address.
		cid, cf := mustSocket(t, sb, tt.family, api.SockDgram)
		if err := sb.SetOptBytes(cid, tt.level, joinName, tt.join); err != nil {
			t.Fatalf("second join: %v", err)
		}
		wantRefcnt(t, ks[1], tt.group, 2)
		if got := linkRefcnt(ks[1], tt.wantLink); got != 1 {
			t.Errorf("link %s: got refcount %d, want 1", tt.wantLink, got)
		}
		// Its program closes it: the group is left implicitly.
		cf.Close()
		wantRefcnt(t, ks[1], tt.group, 1)
		_ = cid
		// The first leaves explicitly; leaving again is EADDRNOTAVAIL.
		if err := sb.SetOptBytes(bid, tt.level, tt.leave, tt.join); err != nil {
			t.Fatalf("leave: %v", err)
		}
		wantRefcnt(t, ks[1], tt.group, 0)
		if err := sb.SetOptBytes(bid, tt.level, tt.leave, tt.join); api.ErrnoOf(err) != syscall.EADDRNOTAVAIL {
			t.Errorf("leave twice: got %v, want EADDRNOTAVAIL", err)
		}
		// Joined again and closed by the kernel: gone too.
		if err := sb.SetOptBytes(bid, tt.level, joinName, tt.join); err != nil {
			t.Fatal(err)
		}
		wantRefcnt(t, ks[1], tt.group, 1)
		if err := sb.CloseSocket(bid); err != nil {
			t.Fatal(err)
		}
		wantRefcnt(t, ks[1], tt.group, 0)
	}
}

func linkRefcnt(k *Kernel, mac string) int {
	for _, m := range k.Multicast() {
		for _, l := range m.Link {
			if l.Addr == mac {
				return l.Refcnt
			}
		}
	}
	return 0
}

func TestMulticastOptionErrors(t *testing.T) {
	ks := busKernels(t, 1)
	ss := newSet(t, ks[0])
	u4, _ := mustSocket(t, ss, 4, api.SockDgram)
	u6, _ := mustSocket(t, ss, 6, api.SockDgram)
	tcp, _ := mustSocket(t, ss, 4, api.SockStream)
	for _, tt := range []struct {
		name        string
		id          int
		level, opt  int
		b           []byte
		wantErrno   syscall.Errno
		wantRefcnts int
	}{
		{"unicast group", u4, unix.IPPROTO_IP, unix.IP_ADD_MEMBERSHIP, ipMreq("10.9.0.7", "0.0.0.0", -1), syscall.EINVAL, 0},
		{"address no interface has", u4, unix.IPPROTO_IP, unix.IP_ADD_MEMBERSHIP, ipMreq("239.0.0.9", "10.99.0.1", -1), syscall.EADDRNOTAVAIL, 0},
		{"index no interface has", u4, unix.IPPROTO_IP, unix.IP_ADD_MEMBERSHIP, ipMreq("239.0.0.9", "0.0.0.0", 99), syscall.ENXIO, 0},
		{"leave without join", u4, unix.IPPROTO_IP, unix.IP_DROP_MEMBERSHIP, ipMreq("239.0.0.9", "0.0.0.0", -1), syscall.EADDRNOTAVAIL, 0},
		{"ipv6 option on ipv4 socket", u4, unix.IPPROTO_IPV6, unix.IPV6_JOIN_GROUP, ipv6Mreq("ff15::9", 0), syscall.ENOPROTOOPT, 0},
		{"stream socket", tcp, unix.IPPROTO_IP, unix.IP_ADD_MEMBERSHIP, ipMreq("239.0.0.9", "0.0.0.0", -1), syscall.ENOPROTOOPT, 0},
		{"ipv6 bad index", u6, unix.IPPROTO_IPV6, unix.IPV6_JOIN_GROUP, ipv6Mreq("ff15::9", 99), syscall.ENXIO, 0},
		{"by interface address", u4, unix.IPPROTO_IP, unix.IP_ADD_MEMBERSHIP, ipMreq("239.0.0.9", "10.9.0.1", -1), 0, 1},
	} {
		err := ss.SetOptBytes(tt.id, tt.level, tt.opt, tt.b)
		if got := errnoOrZero(err); got != tt.wantErrno {
			t.Errorf("%s: got %v, want errno %v", tt.name, err, tt.wantErrno)
		}
		if got := groupRefcnt(ks[0], "shmif0", "239.0.0.9"); got != tt.wantRefcnts {
			t.Errorf("%s: 239.0.0.9 refcount: got %d, want %d", tt.name, got, tt.wantRefcnts)
		}
	}
	for _, tt := range []struct {
		name       string
		id         int
		level, opt int
		set, want  int
	}{
		{"IP_MULTICAST_TTL", u4, unix.IPPROTO_IP, unix.IP_MULTICAST_TTL, 7, 7},
		{"IP_MULTICAST_TTL default", u4, unix.IPPROTO_IP, unix.IP_MULTICAST_TTL, -1, 1},
		{"IP_MULTICAST_LOOP", u4, unix.IPPROTO_IP, unix.IP_MULTICAST_LOOP, 0, 0},
		{"IPV6_MULTICAST_HOPS", u6, unix.IPPROTO_IPV6, unix.IPV6_MULTICAST_HOPS, 9, 9},
		{"IPV6_MULTICAST_HOPS default", u6, unix.IPPROTO_IPV6, unix.IPV6_MULTICAST_HOPS, -1, 1},
		{"IPV6_MULTICAST_LOOP", u6, unix.IPPROTO_IPV6, unix.IPV6_MULTICAST_LOOP, 1, 1},
		{"IPV6_MULTICAST_IF", u6, unix.IPPROTO_IPV6, unix.IPV6_MULTICAST_IF, 2, 2},
	} {
		if err := ss.SetOpt(tt.id, tt.level, tt.opt, tt.set); err != nil {
			t.Errorf("%s = %d: %v", tt.name, tt.set, err)
			continue
		}
		if got, err := ss.GetOpt(tt.id, tt.level, tt.opt); err != nil || got != tt.want {
			t.Errorf("%s: got %d, %v, want %d", tt.name, got, err, tt.want)
		}
	}
	if err := ss.SetOpt(tcp, unix.IPPROTO_IP, unix.IP_MULTICAST_LOOP, 1); errnoOrZero(err) != syscall.ENOPROTOOPT {
		t.Errorf("IP_MULTICAST_LOOP on TCP: got %v, want ENOPROTOOPT", err)
	}
	if err := ss.SetOpt(u6, unix.IPPROTO_IPV6, unix.IPV6_MULTICAST_IF, 99); errnoOrZero(err) != syscall.ENXIO {
		t.Errorf("IPV6_MULTICAST_IF 99: got %v, want ENXIO", err)
	}
	if err := ss.SetOptBytes(u4, unix.IPPROTO_IP, unix.IP_MULTICAST_IF, netip.MustParseAddr("10.9.0.1").AsSlice()); err != nil {
		t.Fatal(err)
	}
	if got, err := ss.GetOptBytes(u4, unix.IPPROTO_IP, unix.IP_MULTICAST_IF); err != nil || netip.AddrFrom4([4]byte(got)) != netip.MustParseAddr("10.9.0.1") {
		t.Errorf("IP_MULTICAST_IF: got %v, %v, want 10.9.0.1", got, err)
	}
}

// errnoOrZero is err's errno, 0 for nil.
func errnoOrZero(err error) syscall.Errno {
	if err == nil {
		return 0
	}
	return api.ErrnoOf(err)
}

// TestMulticastJoinPicksInterface joins with no interface named: the
// interface of the route to the group, else the first multicast one.
func TestMulticastJoinPicksInterface(t *testing.T) {
	k := newKernel(t, Options{})
	for _, step := range []error{
		k.Create("shmif0"),
		k.SetLinkstr("shmif0", t.TempDir()+"/bus0"),
		k.AddAddr("shmif0", api.IfAddr{Addr: "10.9.0.1/24"}),
		k.Create("shmif1"),
		k.SetLinkstr("shmif1", t.TempDir()+"/bus1"),
		k.AddAddr("shmif1", api.IfAddr{Addr: "10.8.0.1/24"}),
	} {
		if step != nil {
			t.Fatal(step)
		}
	}
	waitUsable(t, k, "shmif0")
	waitUsable(t, k, "shmif1")
	if err := k.AddRoute(4, api.Route{Dest: "239.0.0.0/8", Gateway: "10.8.0.2", Flags: api.RTF_GATEWAY}); err != nil {
		t.Fatal(err)
	}
	ss := newSet(t, k)
	u, _ := mustSocket(t, ss, 4, api.SockDgram)
	for _, tt := range []struct {
		group, want string
	}{
		{"239.1.1.1", "shmif1"}, // by the route
		{"225.1.1.1", "shmif0"}, // no route: the first multicast interface
	} {
		if err := ss.SetOptBytes(u, unix.IPPROTO_IP, unix.IP_ADD_MEMBERSHIP, ipMreq(tt.group, "0.0.0.0", -1)); err != nil {
			t.Fatalf("join %s: %v", tt.group, err)
		}
		for _, ifname := range []string{"shmif0", "shmif1"} {
			want := 0
			if ifname == tt.want {
				want = 1
			}
			if got := groupRefcnt(k, ifname, tt.group); got != want {
				t.Errorf("%s on %s: got refcount %d, want %d", tt.group, ifname, got, want)
			}
		}
	}
}
