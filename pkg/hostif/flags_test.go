package hostif

import (
	"errors"
	"net"
	"net/netip"
	"syscall"
	"testing"

	"github.com/rumpnet/rumpnet/pkg/api"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

func TestIfFlags(t *testing.T) {
	tests := []struct {
		name  string
		raw   uint32
		encap string
		want  int
	}{
		{"nothing", 0, "ether", api.IFF_SIMPLEX},
		{"lo up", unix.IFF_UP | unix.IFF_LOOPBACK | unix.IFF_RUNNING | unix.IFF_LOWER_UP, "loopback",
			api.IFF_UP | api.IFF_LOOPBACK | api.IFF_RUNNING},
		{"tap down", unix.IFF_BROADCAST | unix.IFF_MULTICAST, "ether",
			api.IFF_BROADCAST | api.IFF_SIMPLEX | api.IFF_MULTICAST},
		{"veth up", unix.IFF_UP | unix.IFF_BROADCAST | unix.IFF_RUNNING | unix.IFF_MULTICAST | unix.IFF_LOWER_UP, "ether",
			0x8843},
		{"every shared bit", unix.IFF_UP | unix.IFF_BROADCAST | unix.IFF_DEBUG | unix.IFF_POINTOPOINT |
			unix.IFF_RUNNING | unix.IFF_NOARP | unix.IFF_PROMISC | unix.IFF_ALLMULTI | unix.IFF_MULTICAST, "none",
			api.IFF_UP | api.IFF_BROADCAST | api.IFF_DEBUG | api.IFF_POINTOPOINT | api.IFF_RUNNING |
				api.IFF_NOARP | api.IFF_PROMISC | api.IFF_ALLMULTI | api.IFF_MULTICAST},
		{"linux-only bits dropped", unix.IFF_MASTER | unix.IFF_SLAVE | unix.IFF_LOWER_UP | unix.IFF_DORMANT | unix.IFF_NOTRAILERS, "none", 0},
		{"tun point-to-point", unix.IFF_UP | unix.IFF_POINTOPOINT | unix.IFF_NOARP | unix.IFF_MULTICAST, "none",
			api.IFF_UP | api.IFF_POINTOPOINT | api.IFF_NOARP | api.IFF_MULTICAST},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ifFlags(tt.raw, tt.encap); got != tt.want {
				t.Errorf("ifFlags(%#x, %q): got %#x, want %#x", tt.raw, tt.encap, got, tt.want)
			}
		})
	}
}

func TestLinkState(t *testing.T) {
	up := uint32(unix.IFF_UP | unix.IFF_LOWER_UP)
	tests := []struct {
		name string
		oper netlink.LinkOperState
		raw  uint32
		want string
	}{
		{"oper up", netlink.OperUp, up, api.LinkStateUp},
		{"lo: unknown but up", netlink.OperUnknown, up, api.LinkStateUp},
		{"unknown, no lower layer", netlink.OperUnknown, unix.IFF_UP, api.LinkStateUnknown},
		{"unknown and down", netlink.OperUnknown, 0, api.LinkStateUnknown},
		{"down", netlink.OperDown, 0, api.LinkStateDown},
		{"tap without reader", netlink.OperDown, unix.IFF_UP, api.LinkStateDown},
		{"veth peer down", netlink.OperLowerLayerDown, unix.IFF_UP, api.LinkStateDown},
		{"not present", netlink.OperNotPresent, 0, api.LinkStateDown},
		{"dormant", netlink.OperDormant, unix.IFF_UP, api.LinkStateDown},
		{"testing", netlink.OperTesting, up, api.LinkStateUnknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := linkState(tt.oper, tt.raw); got != tt.want {
				t.Errorf("linkState(%v, %#x): got %q, want %q", tt.oper, tt.raw, got, tt.want)
			}
		})
	}
}

func TestAddrFlags(t *testing.T) {
	tests := []struct {
		name      string
		ifa       int
		inet      int
		inet6     int
		inet6Only bool
	}{
		{"permanent", unix.IFA_F_PERMANENT, 0, 0, false},
		{"tentative", unix.IFA_F_TENTATIVE, api.IN_IFF_TENTATIVE, api.IN6_IFF_TENTATIVE, false},
		{"optimistic DAD", unix.IFA_F_TENTATIVE | unix.IFA_F_OPTIMISTIC, api.IN_IFF_TENTATIVE, api.IN6_IFF_TENTATIVE, false},
		{"dad failed", unix.IFA_F_TENTATIVE | unix.IFA_F_DADFAILED, api.IN_IFF_TENTATIVE | api.IN_IFF_DUPLICATED,
			api.IN6_IFF_TENTATIVE | api.IN6_IFF_DUPLICATED, false},
		{"deprecated", unix.IFA_F_DEPRECATED, 0, api.IN6_IFF_DEPRECATED, true},
		{"nodad", unix.IFA_F_NODAD | unix.IFA_F_PERMANENT, 0, api.IN6_IFF_NODAD, true},
		{"temporary / secondary", unix.IFA_F_TEMPORARY, 0, api.IN6_IFF_TEMPORARY, true},
		{"linux-only", unix.IFA_F_HOMEADDRESS | unix.IFA_F_MANAGETEMPADDR | unix.IFA_F_NOPREFIXROUTE |
			unix.IFA_F_MCAUTOJOIN | unix.IFA_F_STABLE_PRIVACY, 0, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := inetFlags(tt.ifa); got != tt.inet {
				t.Errorf("inetFlags(%#x): got %#x, want %#x", tt.ifa, got, tt.inet)
			}
			if got := inet6Flags(tt.ifa, true); got != tt.inet6 {
				t.Errorf("inet6Flags(%#x, running): got %#x, want %#x", tt.ifa, got, tt.inet6)
			}
		})
	}
}

func TestInet6FlagsLinkNotRunning(t *testing.T) {
	tests := []struct {
		name string
		ifa  int
		want int
	}{
		{"tentative is detached", unix.IFA_F_TENTATIVE, api.IN6_IFF_DETACHED},
		{"deprecated tentative", unix.IFA_F_TENTATIVE | unix.IFA_F_DEPRECATED, api.IN6_IFF_DETACHED | api.IN6_IFF_DEPRECATED},
		{"dad failed stays duplicated", unix.IFA_F_TENTATIVE | unix.IFA_F_DADFAILED, api.IN6_IFF_TENTATIVE | api.IN6_IFF_DUPLICATED},
		{"nodad", unix.IFA_F_NODAD | unix.IFA_F_PERMANENT, api.IN6_IFF_NODAD},
		{"settled", unix.IFA_F_PERMANENT, 0},
	}
	for _, tt := range tests {
		if got := inet6Flags(tt.ifa, false); got != tt.want {
			t.Errorf("%s: inet6Flags(%#x, not running): got %#x, want %#x", tt.name, tt.ifa, got, tt.want)
		}
	}
}

func TestLifetime(t *testing.T) {
	if got := lifetime(0xffffffff); got != nil {
		t.Errorf("lifetime(infinite): got %d, want nil", *got)
	}
	for _, n := range []int{0, 1, 3600, 0xfffffffe} {
		if got := lifetime(n); got == nil || int(*got) != n {
			t.Errorf("lifetime(%d): got %v, want %d", n, got, n)
		}
	}
}

func TestCloner(t *testing.T) {
	tests := []struct {
		name   string
		cloner string
		ok     bool
	}{
		{"tap0", "tap", true},
		{"tap12", "tap", true},
		{"bridge3", "bridge", true},
		{"tap", "", false},
		{"bridge", "", false},
		{"tapx", "", false},
		{"tap-1", "", false},
		{"tap+1", "", false},
		{"virt0", "", false},
		{"eth0", "", false},
		{"bridge0123456789", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		c, ok := cloner(tt.name)
		if c != tt.cloner || ok != tt.ok {
			t.Errorf("cloner(%q): got %q, %v, want %q, %v", tt.name, c, ok, tt.cloner, tt.ok)
		}
	}
}

// fakeLink is a link for the pure address tests; nothing reaches a kernel.
func fakeLink(raw uint32) netlink.Link {
	return &netlink.Dummy{LinkAttrs: netlink.LinkAttrs{Name: "x0", Index: 7, RawFlags: raw}}
}

func u32(n uint32) *uint32 { return &n }

func TestNewAddr(t *testing.T) {
	bcast := fakeLink(unix.IFF_BROADCAST)
	p2p := fakeLink(unix.IFF_POINTOPOINT)
	inf := infiniteLifetime
	tests := []struct {
		name      string
		link      netlink.Link
		req       api.IfAddr
		errno     syscall.Errno
		addr      string // IPNet
		peer      string
		broadcast string
		flags     int
		pl, vl    int
	}{
		{name: "inet with broadcast", link: bcast, req: api.IfAddr{Addr: "10.0.0.1/24"},
			addr: "10.0.0.1/24", broadcast: "10.0.0.255", pl: inf, vl: inf},
		{name: "inet /31 has none", link: bcast, req: api.IfAddr{Addr: "10.0.0.0/31"},
			addr: "10.0.0.0/31", broadcast: "0.0.0.0", pl: inf, vl: inf},
		{name: "inet explicit broadcast", link: bcast, req: api.IfAddr{Addr: "10.1.2.3/16", Broadcast: "10.1.0.0"},
			addr: "10.1.2.3/16", broadcast: "10.1.0.0", pl: inf, vl: inf},
		{name: "inet bare address", link: bcast, req: api.IfAddr{Addr: "10.1.2.3"},
			addr: "10.1.2.3/32", broadcast: "0.0.0.0", pl: inf, vl: inf},
		{name: "no broadcast on point-to-point", link: p2p, req: api.IfAddr{Addr: "10.0.0.1/24"},
			addr: "10.0.0.1/24", broadcast: "0.0.0.0", pl: inf, vl: inf},
		{name: "broadcast refused on point-to-point", link: p2p, req: api.IfAddr{Addr: "10.0.0.1/24", Broadcast: "10.0.0.255"},
			errno: syscall.EINVAL},
		{name: "destination", link: p2p, req: api.IfAddr{Addr: "10.0.0.1/24", Dest: "10.0.0.2"},
			addr: "10.0.0.1/32", peer: "10.0.0.2/24", broadcast: "0.0.0.0", pl: inf, vl: inf},
		{name: "destination of the other family", link: p2p, req: api.IfAddr{Addr: "10.0.0.1/24", Dest: "fc00::2"},
			errno: syscall.EINVAL},
		{name: "inet flags", link: bcast, req: api.IfAddr{Addr: "10.0.0.1/24", Flags: api.IN_IFF_TENTATIVE},
			errno: syscall.EINVAL},
		{name: "inet6", link: bcast, req: api.IfAddr{Addr: "fc00::1/64"}, addr: "fc00::1/64", pl: inf, vl: inf},
		{name: "inet6 lifetimes", link: bcast, req: api.IfAddr{Addr: "fc00::1/64", Pltime: u32(100), Vltime: u32(200)},
			addr: "fc00::1/64", pl: 100, vl: 200},
		{name: "inet6 vltime alone", link: bcast, req: api.IfAddr{Addr: "fc00::1/64", Vltime: u32(200)},
			errno: syscall.EINVAL},
		{name: "inet6 pltime alone", link: bcast, req: api.IfAddr{Addr: "fc00::1/64", Pltime: u32(50)},
			addr: "fc00::1/64", pl: 50, vl: inf},
		{name: "inet6 deprecated", link: bcast, req: api.IfAddr{Addr: "fc00::1/64", Flags: api.IN6_IFF_DEPRECATED},
			addr: "fc00::1/64", pl: 0, vl: inf},
		{name: "inet6 nodad and tentative", link: bcast, req: api.IfAddr{Addr: "fc00::1/64", Flags: api.IN6_IFF_NODAD | api.IN6_IFF_TENTATIVE},
			addr: "fc00::1/64", flags: unix.IFA_F_NODAD, pl: inf, vl: inf},
		{name: "vltime 0", link: bcast, req: api.IfAddr{Addr: "fc00::1/64", Vltime: u32(0)}, errno: syscall.EINVAL},
		{name: "pltime beyond vltime", link: bcast, req: api.IfAddr{Addr: "fc00::1/64", Pltime: u32(300), Vltime: u32(200)},
			errno: syscall.EINVAL},
		{name: "inet6 broadcast", link: bcast, req: api.IfAddr{Addr: "fc00::1/64", Broadcast: "10.0.0.255"}, errno: syscall.EINVAL},
		{name: "anycast", link: bcast, req: api.IfAddr{Addr: "fc00::1/64", Flags: api.IN6_IFF_ANYCAST}, errno: syscall.EOPNOTSUPP},
		{name: "kernel-only flags", link: bcast, req: api.IfAddr{Addr: "fc00::1/64", Flags: api.IN6_IFF_AUTOCONF}, errno: syscall.EINVAL},
		{name: "preference", link: bcast, req: api.IfAddr{Addr: "fc00::1/64", Preference: 5}, errno: syscall.EOPNOTSUPP},
		{name: "bad address", link: bcast, req: api.IfAddr{Addr: "10.0.0.300/24"}, errno: syscall.EINVAL},
		{name: "zone", link: bcast, req: api.IfAddr{Addr: "fe80::1%x0/64"}, errno: syscall.EINVAL},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := newAddr(tt.link, tt.req)
			if tt.errno != 0 {
				if !errors.Is(err, tt.errno) || err.Error() == "" {
					t.Fatalf("got %v, want errno %v with a message", err, tt.errno)
				}
				return
			}
			if err != nil {
				t.Fatalf("got %v, want no error", err)
			}
			if got := a.IPNet.String(); got != tt.addr {
				t.Errorf("address: got %s, want %s", got, tt.addr)
			}
			peer := ""
			if a.Peer != nil {
				peer = a.Peer.String()
			}
			if peer != tt.peer {
				t.Errorf("peer: got %q, want %q", peer, tt.peer)
			}
			b := ""
			if a.Broadcast != nil {
				b = a.Broadcast.String()
			}
			if b != tt.broadcast {
				t.Errorf("broadcast: got %q, want %q", b, tt.broadcast)
			}
			if a.Flags != tt.flags {
				t.Errorf("flags: got %#x, want %#x", a.Flags, tt.flags)
			}
			if a.PreferedLft != tt.pl || a.ValidLft != tt.vl {
				t.Errorf("lifetimes: got pl %d vl %d, want pl %d vl %d", a.PreferedLft, a.ValidLft, tt.pl, tt.vl)
			}
		})
	}
}

func TestSameShape(t *testing.T) {
	listed := func(s, bcast string) netlink.Addr {
		ip, n, _ := net.ParseCIDR(s)
		n.IP = ip
		a := netlink.Addr{IPNet: n}
		if bcast != "" {
			a.Broadcast = net.ParseIP(bcast).To4()
		}
		return a
	}
	link := fakeLink(unix.IFF_BROADCAST)
	tests := []struct {
		name string
		old  netlink.Addr
		req  api.IfAddr
		want bool
	}{
		{"same inet", listed("10.0.0.1/24", "10.0.0.255"), api.IfAddr{Addr: "10.0.0.1/24"}, true},
		{"other broadcast", listed("10.0.0.1/24", "10.0.0.255"), api.IfAddr{Addr: "10.0.0.1/24", Broadcast: "10.0.0.254"}, false},
		{"other prefix", listed("10.0.0.1/24", "10.0.0.255"), api.IfAddr{Addr: "10.0.0.1/16"}, false},
		{"/32 without broadcast", listed("10.0.0.1/32", ""), api.IfAddr{Addr: "10.0.0.1/32"}, true},
		{"same inet6", listed("fc00::1/64", ""), api.IfAddr{Addr: "fc00::1/64", Pltime: u32(5)}, true},
		{"other inet6 prefix", listed("fc00::1/64", ""), api.IfAddr{Addr: "fc00::1/48"}, false},
	}
	for _, tt := range tests {
		a, err := newAddr(link, tt.req)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if got := sameShape(tt.old, a); got != tt.want {
			t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestParsePrefix(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"10.0.0.1/24", "10.0.0.1/24"},
		{"10.0.0.1", "10.0.0.1/32"},
		{"fc00::1", "fc00::1/128"},
		{"fc00::1/64", "fc00::1/64"},
		{"fe80::1%eth0", ""},
		{"nonsense", ""},
	}
	for _, tt := range tests {
		p, err := parsePrefix(tt.in)
		got := ""
		if err == nil {
			got = p.String()
		} else if !errors.Is(err, syscall.EINVAL) {
			t.Errorf("parsePrefix(%q): got %v, want EINVAL", tt.in, err)
		}
		if got != tt.want {
			t.Errorf("parsePrefix(%q): got %q, want %q", tt.in, got, tt.want)
		}
	}
	if _, ok := findAddr([]netlink.Addr{{IPNet: &net.IPNet{IP: net.ParseIP("10.0.0.1"), Mask: net.CIDRMask(24, 32)}}},
		netip.MustParseAddr("10.0.0.1")); !ok {
		t.Errorf("findAddr: a 16-byte form of 10.0.0.1 not found")
	}
}
