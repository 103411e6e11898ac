package hostif

// Every test here runs inside a network namespace of its own, created
// in-process on a locked thread, so nothing it makes or changes reaches the
// host's interfaces; the namespace, and every link in it, goes away when
// the test ends. Subtests would run on other threads, outside the
// namespace, so these tests loop instead.

import (
	"errors"
	"github.com/rumpnet/rumpnet/internal/testkit/netnstest"
	"net"
	"os"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rumpnet/rumpnet/internal/testkit"
	"github.com/rumpnet/rumpnet/pkg/api"
	"github.com/vishvananda/netlink"
)

// wantErrno fails unless err is an *api.Error carrying e.
func wantErrno(t *testing.T, what string, err error, e syscall.Errno) *api.Error {
	t.Helper()
	var ae *api.Error
	if !errors.As(err, &ae) || ae.Errno != e {
		t.Errorf("%s: got %v, want an *api.Error with %v", what, err, api.ErrnoName(e))
		return nil
	}
	return ae
}

// wantUnsupported fails unless err is EOPNOTSUPP with a detail naming word.
func wantUnsupported(t *testing.T, what string, err error, word string) {
	t.Helper()
	wantExplained(t, what, err, syscall.EOPNOTSUPP, word)
}

// wantExplained fails unless err is an *api.Explained with errno e whose
// message contains word.
func wantExplained(t *testing.T, what string, err error, e syscall.Errno, word string) {
	t.Helper()
	var ex *api.Explained
	if !errors.As(err, &ex) || ex.Errno != e || !strings.Contains(ex.Msg, word) {
		t.Errorf("%s: got %v, want an explained %v naming %q", what, err, api.ErrnoName(e), word)
	}
}

func mustInterface(t *testing.T, h *Host, name string) api.Interface {
	t.Helper()
	ifc, err := h.Interface(name)
	if err != nil {
		t.Fatalf("Interface(%s): %v", name, err)
	}
	return ifc
}

// addVeth makes a veth pair a–b in the current namespace.
func addVeth(t *testing.T, a, b string) {
	t.Helper()
	la := netlink.NewLinkAttrs()
	la.Name = a
	if err := netlink.LinkAdd(&netlink.Veth{LinkAttrs: la, PeerName: b}); err != nil {
		testkit.Skip(t, "cannot add a veth pair: %v", err)
	}
}

func mustOK(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func TestCloners(t *testing.T) {
	got, err := (&Host{}).Cloners()
	if err != nil || strings.Join(got, " ") != "bridge tap" {
		t.Errorf("Cloners: got %v, %v, want [bridge tap]", got, err)
	}
}

func TestLoopbackAndMissing(t *testing.T) {
	netnstest.Run(t, func() {
		h := &Host{}
		ifs, err := h.Interfaces()
		if err != nil || len(ifs) != 1 {
			t.Fatalf("Interfaces in a fresh namespace: got %v, %v, want lo alone", ifs, err)
		}
		lo := ifs[0]
		if lo.Name != "lo" || lo.Index != 1 || lo.Kind != "device" || lo.Flags != api.IFF_LOOPBACK || lo.Address != "" {
			t.Errorf("lo down: got %+v, want index 1, kind device, flags LOOPBACK only, no address", lo)
		}
		mustOK(t, "lo up", h.SetFlags("lo", lo.Flags|api.IFF_UP))
		lo = mustInterface(t, h, "lo")
		if want := api.IFF_UP | api.IFF_LOOPBACK | api.IFF_RUNNING; lo.Flags != want {
			t.Errorf("lo up flags: got %#x, want %#x", lo.Flags, want)
		}
		if lo.LinkState != api.LinkStateUp {
			t.Errorf("lo up link state: got %q, want %q", lo.LinkState, api.LinkStateUp)
		}
		if len(lo.Inet) != 1 || lo.Inet[0].Addr != "127.0.0.1/8" || lo.Inet[0].Broadcast != "" {
			t.Errorf("lo inet: got %+v, want 127.0.0.1/8 without broadcast", lo.Inet)
		}
		if len(lo.Inet6) != 1 || lo.Inet6[0].Addr != "::1/128" || lo.Inet6[0].Pltime != nil || lo.Inet6[0].Vltime != nil {
			t.Errorf("lo inet6: got %+v, want ::1/128 with infinite lifetimes", lo.Inet6)
		}

		_, err = h.Interface("nosuch0")
		wantErrno(t, "Interface(nosuch0)", err, syscall.ENXIO)
		for what, err := range map[string]error{
			"SetFlags":         h.SetFlags("nosuch0", api.IFF_UP),
			"SetMTU":           h.SetMTU("nosuch0", 1500),
			"SetMetric":        h.SetMetric("nosuch0", 1),
			"SetLinkstr":       h.SetLinkstr("nosuch0", "x"),
			"ZeroStats":        h.ZeroStats("nosuch0"),
			"SetCapabilities":  h.SetCapabilities("nosuch0", 0),
			"AddAddr":          h.AddAddr("nosuch0", api.IfAddr{Addr: "10.0.0.1/24"}),
			"DelAddr":          h.DelAddr("nosuch0", "10.0.0.1"),
			"AddLinkAddr":      h.AddLinkAddr("nosuch0", "b2:00:00:00:00:01", true),
			"DelLinkAddr":      h.DelLinkAddr("nosuch0", "b2:00:00:00:00:01"),
			"DestroyInterface": h.DestroyInterface("nosuch0"),
		} {
			wantErrno(t, what+" on a missing interface", err, syscall.ENXIO)
		}
	})
}

func TestCreateDestroy(t *testing.T) {
	netnstest.Run(t, func() {
		h := &Host{}
		mustOK(t, "create tap0", h.CreateInterface("tap0"))
		mustOK(t, "create bridge0", h.CreateInterface("bridge0"))
		wantErrno(t, "create tap0 again", h.CreateInterface("tap0"), syscall.EEXIST)
		wantErrno(t, "create bridge0 again", h.CreateInterface("bridge0"), syscall.EEXIST)
		for _, bad := range []string{"virt0", "tap", "tapx", "eth0", "lo", "bridge0123456789"} {
			wantErrno(t, "create "+bad, h.CreateInterface(bad), syscall.EINVAL)
		}

		ifs, err := h.Interfaces()
		mustOK(t, "Interfaces", err)
		var names []string
		for i, ifc := range ifs {
			names = append(names, ifc.Name+":"+ifc.Kind)
			if i > 0 && ifc.Index <= ifs[i-1].Index {
				t.Errorf("Interfaces: %s (index %d) after index %d, want ifindex order", ifc.Name, ifc.Index, ifs[i-1].Index)
			}
		}
		if got, want := strings.Join(names, " "), "lo:device tap0:tuntap bridge0:bridge"; got != want {
			t.Errorf("Interfaces: got %s, want %s", got, want)
		}
		tap := mustInterface(t, h, "tap0")
		if want := api.IFF_BROADCAST | api.IFF_SIMPLEX | api.IFF_MULTICAST; tap.Flags != want {
			t.Errorf("tap0 flags: got %#x, want %#x", tap.Flags, want)
		}
		if _, err := net.ParseMAC(tap.Address); err != nil || tap.MTU != 1500 || tap.LinkState != api.LinkStateDown {
			t.Errorf("tap0: got address %q, mtu %d, link state %q; want a MAC, 1500, down", tap.Address, tap.MTU, tap.LinkState)
		}
		if l, err := netlink.LinkByName("tap0"); err != nil {
			t.Errorf("tap0 in netlink: %v", err)
		} else if tt, ok := l.(*netlink.Tuntap); !ok || tt.Mode != netlink.TUNTAP_MODE_TAP || tt.NonPersist {
			t.Errorf("tap0: got %#v, want a persistent tap", l)
		}

		addVeth(t, "veth0", "veth1")
		wantUnsupported(t, "destroy lo", h.DestroyInterface("lo"), "loopback")
		wantUnsupported(t, "destroy veth0", h.DestroyInterface("veth0"), "veth")
		mustOK(t, "destroy tap0", h.DestroyInterface("tap0"))
		mustOK(t, "destroy bridge0", h.DestroyInterface("bridge0"))
		wantErrno(t, "destroy tap0 again", h.DestroyInterface("tap0"), syscall.ENXIO)
		ifs, _ = h.Interfaces()
		if len(ifs) != 3 {
			t.Errorf("after destroy: got %d interfaces, want lo, veth0, veth1", len(ifs))
		}
		// The unit can be made again at once.
		mustOK(t, "create tap0 again", h.CreateInterface("tap0"))
	})
}

func TestCreateOwned(t *testing.T) {
	netnstest.Run(t, func() {
		h := &Host{}
		owner := func(name string) uint32 {
			l, err := netlink.LinkByName(name)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			tt, ok := l.(*netlink.Tuntap)
			if !ok {
				t.Fatalf("%s: got %T, want a tap", name, l)
			}
			return tt.Owner
		}
		mustOK(t, "create tap1 user 1234", h.CreateOwned("tap1", "1234"))
		if got := owner("tap1"); got != 1234 {
			t.Errorf("tap1 owner: got %d, want 1234", got)
		}
		if _, err := lookupUID("nobody"); err == nil {
			mustOK(t, "create tap2 user nobody", h.CreateOwned("tap2", "nobody"))
			if got := owner("tap2"); got != 65534 {
				t.Errorf("tap2 owner: got %d, want 65534 (nobody)", got)
			}
		}
		wantExplained(t, "unknown user", h.CreateOwned("tap3", "no-such-user-here"), syscall.EINVAL, "no such user")
		wantUnsupported(t, "bridge with owner", h.CreateOwned("bridge0", "1234"), "only taps")
		wantErrno(t, "other cloner with owner", h.CreateOwned("virt0", "1234"), syscall.EINVAL)
		wantErrno(t, "owned tap that exists", h.CreateOwned("tap1", "1234"), syscall.EEXIST)
		if _, err := netlink.LinkByName("tap3"); err == nil {
			t.Errorf("tap3 exists after a failed create")
		}
	})
}

func TestSetFlags(t *testing.T) {
	netnstest.Run(t, func() {
		h := &Host{}
		mustOK(t, "create tap0", h.CreateInterface("tap0"))
		tests := []struct {
			name     string
			set, clr int
		}{
			{"up", api.IFF_UP, 0},
			{"-arp", api.IFF_NOARP, 0},
			{"promisc", api.IFF_PROMISC, 0},
			{"allmulti", api.IFF_ALLMULTI, 0},
			{"arp", 0, api.IFF_NOARP},
			{"-promisc -allmulti", 0, api.IFF_PROMISC | api.IFF_ALLMULTI},
			{"down", 0, api.IFF_UP},
			// Bits only the kernel sets are ignored.
			{"kernel bits", api.IFF_RUNNING | api.IFF_OACTIVE, api.IFF_SIMPLEX},
		}
		for _, tt := range tests {
			cur := mustInterface(t, h, "tap0")
			if err := h.SetFlags("tap0", cur.Flags&^tt.clr|tt.set); err != nil {
				t.Errorf("%s: %v", tt.name, err)
				continue
			}
			got := mustInterface(t, h, "tap0").Flags
			settable := api.IFF_UP | api.IFF_NOARP | api.IFF_PROMISC | api.IFF_ALLMULTI
			if want := (cur.Flags&^tt.clr | tt.set) & settable; got&settable != want {
				t.Errorf("%s: got flags %#x, want %#x in %#x", tt.name, got, want, settable)
			}
			if got&api.IFF_SIMPLEX == 0 {
				t.Errorf("%s: SIMPLEX went away", tt.name)
			}
		}
		cur := mustInterface(t, h, "tap0").Flags
		for _, bad := range []struct {
			bit  int
			word string
		}{{api.IFF_DEBUG, "debug"}, {api.IFF_LINK0, "link0"}, {api.IFF_LINK1, "link1"}, {api.IFF_LINK2, "link2"}} {
			wantUnsupported(t, bad.word, h.SetFlags("tap0", cur|bad.bit|api.IFF_UP), bad.word)
		}
		if got := mustInterface(t, h, "tap0").Flags; got != cur {
			t.Errorf("after refused flags: got %#x, want %#x unchanged", got, cur)
		}
	})
}

func TestMTUAndUnsupported(t *testing.T) {
	netnstest.Run(t, func() {
		h := &Host{}
		mustOK(t, "create tap0", h.CreateInterface("tap0"))
		mustOK(t, "mtu 1280", h.SetMTU("tap0", 1280))
		if got := mustInterface(t, h, "tap0").MTU; got != 1280 {
			t.Errorf("mtu: got %d, want 1280", got)
		}
		wantErrno(t, "mtu 10", h.SetMTU("tap0", 10), syscall.EINVAL)
		wantErrno(t, "mtu 1000000", h.SetMTU("tap0", 1000000), syscall.EINVAL)
		wantUnsupported(t, "metric", h.SetMetric("tap0", 3), "metric")
		wantUnsupported(t, "linkstr", h.SetLinkstr("tap0", "tap9"), "linkstr")
		wantUnsupported(t, "-linkstr", h.SetLinkstr("tap0", ""), "linkstr")
		wantUnsupported(t, "-z", h.ZeroStats("tap0"), "-z")
		wantUnsupported(t, "capabilities", h.SetCapabilities("tap0", api.IFCAP_TSOv4), "capabilities")
		if ifc := mustInterface(t, h, "tap0"); ifc.Metric != 0 || ifc.Linkstr != "" || ifc.MTU != 1280 {
			t.Errorf("after refused settings: got %+v, want metric 0, no linkstr, mtu 1280", ifc)
		}
	})
}

func TestLinkAddr(t *testing.T) {
	netnstest.Run(t, func() {
		h := &Host{}
		mustOK(t, "create tap0", h.CreateInterface("tap0"))
		mustOK(t, "link active", h.AddLinkAddr("tap0", "b2:0a:00:0b:0e:07", true))
		if got := mustInterface(t, h, "tap0").Address; got != "b2:0a:00:0b:0e:07" {
			t.Errorf("address after link active: got %s, want b2:0a:00:0b:0e:07", got)
		}
		// Up, as a tap usually is: the address still changes.
		mustOK(t, "up", h.SetFlags("tap0", api.IFF_UP))
		mustOK(t, "link active while up", h.AddLinkAddr("tap0", "B2:0A:00:0B:0E:08", true))
		if got := mustInterface(t, h, "tap0").Address; got != "b2:0a:00:0b:0e:08" {
			t.Errorf("address after link active while up: got %s, want b2:0a:00:0b:0e:08", got)
		}
		wantUnsupported(t, "inactive link address", h.AddLinkAddr("tap0", "b2:0a:00:0b:0e:09", false), "link")
		wantErrno(t, "bad link address", h.AddLinkAddr("tap0", "b2:0a:00", true), syscall.EINVAL)
		wantErrno(t, "multicast link address", h.AddLinkAddr("tap0", "01:00:5e:00:00:01", true), syscall.EADDRNOTAVAIL)
		wantErrno(t, "delete the active one", h.DelLinkAddr("tap0", "b2:0a:00:0b:0e:08"), syscall.EBUSY)
		wantErrno(t, "delete another", h.DelLinkAddr("tap0", "b2:0a:00:0b:0e:09"), syscall.EADDRNOTAVAIL)
		wantErrno(t, "delete a bad one", h.DelLinkAddr("tap0", "nonsense"), syscall.EINVAL)
		if ifc := mustInterface(t, h, "tap0"); ifc.Address != "b2:0a:00:0b:0e:08" || len(ifc.LinkAddrs) != 0 {
			t.Errorf("after refused changes: got %s %v, want b2:0a:00:0b:0e:08 alone", ifc.Address, ifc.LinkAddrs)
		}
	})
}

// inetList returns the interface's inet addresses as "addr[ broadcast]",
// sorted: Linux lists the first address of each subnet (its primary) before
// the others, so the kernel's order is not the order of the steps.
func inetList(t *testing.T, h *Host, name string) string {
	t.Helper()
	var out []string
	for _, a := range mustInterface(t, h, name).Inet {
		s := a.Addr
		if a.Broadcast != "" {
			s += " " + a.Broadcast
		}
		if a.Dest != "" {
			s += " -> " + a.Dest
		}
		out = append(out, s)
	}
	sort.Strings(out)
	return strings.Join(out, ", ")
}

func TestInetRules(t *testing.T) {
	netnstest.Run(t, func() {
		h := &Host{}
		addVeth(t, "veth0", "veth1")
		steps := []struct {
			name string
			do   func() error
			want string
		}{
			{"first address", func() error { return h.AddAddr("veth0", api.IfAddr{Addr: "10.0.0.1/24"}) },
				"10.0.0.1/24 10.0.0.255"},
			{"alias", func() error { return h.AddAddr("veth0", api.IfAddr{Addr: "10.0.0.2/24"}) },
				"10.0.0.1/24 10.0.0.255, 10.0.0.2/24 10.0.0.255"},
			{"alias in another subnet", func() error { return h.AddAddr("veth0", api.IfAddr{Addr: "10.9.0.1/16"}) },
				"10.0.0.1/24 10.0.0.255, 10.0.0.2/24 10.0.0.255, 10.9.0.1/16 10.9.255.255"},
			{"replace the first keeps the alias", func() error {
				return h.AddAddr("veth0", api.IfAddr{Addr: "10.0.0.5/24", Replace: "10.0.0.1/24"})
			}, "10.0.0.2/24 10.0.0.255, 10.0.0.5/24 10.0.0.255, 10.9.0.1/16 10.9.255.255"},
			{"add again updates", func() error { return h.AddAddr("veth0", api.IfAddr{Addr: "10.0.0.5/24"}) },
				"10.0.0.2/24 10.0.0.255, 10.0.0.5/24 10.0.0.255, 10.9.0.1/16 10.9.255.255"},
			{"new broadcast updates", func() error {
				return h.AddAddr("veth0", api.IfAddr{Addr: "10.0.0.5/24", Broadcast: "10.0.0.254"})
			}, "10.0.0.2/24 10.0.0.255, 10.0.0.5/24 10.0.0.254, 10.9.0.1/16 10.9.255.255"},
			{"new prefix updates", func() error { return h.AddAddr("veth0", api.IfAddr{Addr: "10.9.0.1/24"}) },
				"10.0.0.2/24 10.0.0.255, 10.0.0.5/24 10.0.0.254, 10.9.0.1/24 10.9.0.255"},
			{"replace with itself", func() error {
				return h.AddAddr("veth0", api.IfAddr{Addr: "10.0.0.2/24", Replace: "10.0.0.2/24"})
			}, "10.0.0.2/24 10.0.0.255, 10.0.0.5/24 10.0.0.254, 10.9.0.1/24 10.9.0.255"},
			{"replace a missing one adds", func() error {
				return h.AddAddr("veth0", api.IfAddr{Addr: "10.0.1.1/32", Replace: "10.7.7.7"})
			}, "10.0.0.2/24 10.0.0.255, 10.0.0.5/24 10.0.0.254, 10.0.1.1/32, 10.9.0.1/24 10.9.0.255"},
			{"delete the primary keeps the secondary", func() error { return h.DelAddr("veth0", "10.0.0.2") },
				"10.0.0.5/24 10.0.0.254, 10.0.1.1/32, 10.9.0.1/24 10.9.0.255"},
			{"delete with a prefix length", func() error { return h.DelAddr("veth0", "10.9.0.1/8") },
				"10.0.0.5/24 10.0.0.254, 10.0.1.1/32"},
			{"destination", func() error {
				return h.AddAddr("veth0", api.IfAddr{Addr: "10.3.0.1/32", Dest: "10.3.0.2"})
			}, "10.0.0.5/24 10.0.0.254, 10.0.1.1/32, 10.3.0.1/32 -> 10.3.0.2"},
		}
		for _, s := range steps {
			if err := s.do(); err != nil {
				t.Fatalf("%s: %v", s.name, err)
			}
			if got := inetList(t, h, "veth0"); got != s.want {
				t.Errorf("%s: got %s, want %s", s.name, got, s.want)
			}
		}
		ifc := mustInterface(t, h, "veth0")
		if ifc.Flags&api.IFF_UP == 0 {
			t.Errorf("the first address did not bring veth0 up: flags %#x", ifc.Flags)
		}
		before := inetList(t, h, "veth0")
		wantErrno(t, "delete a missing address", h.DelAddr("veth0", "10.0.0.99"), syscall.EADDRNOTAVAIL)
		wantErrno(t, "delete nonsense", h.DelAddr("veth0", "nonsense"), syscall.EINVAL)
		wantErrno(t, "inet flags", h.AddAddr("veth0", api.IfAddr{Addr: "10.0.0.7/24", Flags: api.IN_IFF_DETACHED}), syscall.EINVAL)
		wantUnsupported(t, "preference", h.AddAddr("veth0", api.IfAddr{Addr: "10.0.0.7/24", Preference: 1}), "preference")
		if got := inetList(t, h, "veth0"); got != before {
			t.Errorf("after refused changes: got %s, want %s", got, before)
		}
	})
}

func TestFailedReplacePutsBack(t *testing.T) {
	netnstest.Run(t, func() {
		h := &Host{}
		addVeth(t, "veth0", "veth1")
		mustOK(t, "add", h.AddAddr("veth0", api.IfAddr{Addr: "10.0.0.1/24"}))
		mustOK(t, "alias", h.AddAddr("veth0", api.IfAddr{Addr: "10.0.0.2/24"}))
		// The kernel refuses inet6 addresses where IPv6 is off.
		if err := os.WriteFile("/proc/sys/net/ipv6/conf/veth0/disable_ipv6", []byte("1"), 0); err != nil {
			testkit.Skip(t, "cannot turn IPv6 off on veth0: %v", err)
		}
		err := h.AddAddr("veth0", api.IfAddr{Addr: "fc00::1/64", Replace: "10.0.0.1/24"})
		if ae := wantErrno(t, "add where IPv6 is off", err, syscall.EACCES); ae == nil {
			return
		}
		got := inetList(t, h, "veth0")
		if !strings.Contains(got, "10.0.0.1/24 10.0.0.255") || !strings.Contains(got, "10.0.0.2/24 10.0.0.255") {
			t.Errorf("after the failed replace: got %s, want 10.0.0.1/24 put back and 10.0.0.2/24 kept", got)
		}
	})
}

func TestInet6(t *testing.T) {
	netnstest.Run(t, func() {
		h := &Host{}
		addVeth(t, "veth0", "veth1")
		find := func(addr string) (api.IfAddr, bool) {
			for _, a := range mustInterface(t, h, "veth0").Inet6 {
				if a.Addr == addr {
					return a, true
				}
			}
			return api.IfAddr{}, false
		}
		mustOK(t, "nodad", h.AddAddr("veth0", api.IfAddr{Addr: "fc00::1/64", Flags: api.IN6_IFF_NODAD}))
		if a, ok := find("fc00::1/64"); !ok || a.Flags != api.IN6_IFF_NODAD || a.Pltime != nil || a.Vltime != nil {
			t.Errorf("fc00::1/64 nodad: got %+v, %v, want NODAD with infinite lifetimes", a, ok)
		}
		if mustInterface(t, h, "veth0").Flags&api.IFF_UP == 0 {
			t.Errorf("the first inet6 address did not bring veth0 up")
		}
		mustOK(t, "lifetimes", h.AddAddr("veth0", api.IfAddr{Addr: "fc00::2/64", Pltime: u32(100), Vltime: u32(200)}))
		if a, ok := find("fc00::2/64"); !ok || a.Pltime == nil || a.Vltime == nil || *a.Pltime > 100 || *a.Pltime < 90 || *a.Vltime > 200 || *a.Vltime < 190 {
			t.Errorf("fc00::2/64 lifetimes: got %+v, %v, want about 100 and 200 seconds left", a, ok)
		}
		mustOK(t, "deprecated", h.AddAddr("veth0", api.IfAddr{Addr: "fc00::2/64", Flags: api.IN6_IFF_DEPRECATED}))
		if a, ok := find("fc00::2/64"); !ok || a.Flags&api.IN6_IFF_DEPRECATED == 0 || a.Pltime == nil || *a.Pltime != 0 || a.Vltime != nil {
			t.Errorf("fc00::2/64 deprecated: got %+v, %v, want DEPRECATED, pltime 0, vltime infinite", a, ok)
		}
		mustOK(t, "-deprecated", h.AddAddr("veth0", api.IfAddr{Addr: "fc00::2/64"}))
		if a, ok := find("fc00::2/64"); !ok || a.Flags&api.IN6_IFF_DEPRECATED != 0 || a.Pltime != nil {
			t.Errorf("fc00::2/64 after -deprecated: got %+v, %v, want not deprecated, infinite", a, ok)
		}
		mustOK(t, "new prefix", h.AddAddr("veth0", api.IfAddr{Addr: "fc00::2/48"}))
		if _, ok := find("fc00::2/64"); ok {
			t.Errorf("fc00::2/64 still there after re-adding it as /48")
		}
		if _, ok := find("fc00::2/48"); !ok {
			t.Errorf("fc00::2/48 missing")
		}
		wantUnsupported(t, "anycast", h.AddAddr("veth0", api.IfAddr{Addr: "fc00::3/64", Flags: api.IN6_IFF_ANYCAST}), "anycast")
		mustOK(t, "delete", h.DelAddr("veth0", "fc00::1/64"))
		if _, ok := find("fc00::1/64"); ok {
			t.Errorf("fc00::1/64 still there after delete")
		}
		wantErrno(t, "delete again", h.DelAddr("veth0", "fc00::1"), syscall.EADDRNOTAVAIL)

		// Without carrier DAD waits, and the address shows DETACHED.
		mustOK(t, "dad", h.AddAddr("veth0", api.IfAddr{Addr: "fc00::4/64"}))
		if a, _ := find("fc00::4/64"); a.Flags != api.IN6_IFF_DETACHED {
			t.Errorf("fc00::4/64 while veth1 is down: got flags %#x, want DETACHED", a.Flags)
		}
		if ifc := mustInterface(t, h, "veth0"); ifc.LinkState != api.LinkStateDown || ifc.Flags&api.IFF_RUNNING != 0 {
			t.Errorf("veth0 with its peer down: got link state %q flags %#x, want down, not RUNNING", ifc.LinkState, ifc.Flags)
		}
		// With carrier (the kernel notices it asynchronously) DAD runs.
		mustOK(t, "veth1 up", h.SetFlags("veth1", api.IFF_UP))
		deadline := time.Now().Add(30 * time.Second)
		for mustInterface(t, h, "veth0").Flags&api.IFF_RUNNING == 0 && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		a, _ := find("fc00::4/64")
		if a.Flags&api.IN6_IFF_TENTATIVE == 0 {
			t.Errorf("fc00::4/64 once veth0 runs: got flags %#x, want TENTATIVE", a.Flags)
		}
		for a.Flags&api.IN6_IFF_TENTATIVE != 0 && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
			a, _ = find("fc00::4/64")
		}
		if a.Flags != 0 {
			t.Errorf("fc00::4/64 after DAD: got flags %#x, want 0", a.Flags)
		}
		ifc := mustInterface(t, h, "veth0")
		if ifc.LinkState != api.LinkStateUp || ifc.Flags&api.IFF_RUNNING == 0 {
			t.Errorf("veth0 with its peer up: got link state %q flags %#x, want up and RUNNING", ifc.LinkState, ifc.Flags)
		}
	})
}

func TestStats(t *testing.T) {
	netnstest.Run(t, func() {
		h := &Host{}
		mustOK(t, "lo up", h.SetFlags("lo", api.IFF_UP|api.IFF_LOOPBACK))
		before := mustInterface(t, h, "lo").Stats
		c, err := net.Dial("udp4", "127.0.0.1:9")
		mustOK(t, "dial", err)
		defer c.Close()
		for i := 0; i < 5; i++ {
			c.Write([]byte("rumpnet"))
		}
		after := mustInterface(t, h, "lo").Stats
		if after.OPackets < before.OPackets+5 || after.IPackets < before.IPackets+5 || after.OBytes <= before.OBytes || after.IBytes <= before.IBytes {
			t.Errorf("lo counters after 5 datagrams: got %+v, before %+v, want 5 more packets each way", after, before)
		}
	})
}
