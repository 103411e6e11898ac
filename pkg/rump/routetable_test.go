package rump

import (
	"net/netip"
	"path/filepath"
	"slices"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/rumpnet/rumpnet/pkg/api"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/adapters/gonet"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv6"
)

func TestOutside(t *testing.T) {
	tests := []struct {
		p, hole string
		want    []string
	}{
		{"10.0.0.0/8", "10.0.0.0/9", []string{"10.128.0.0/9"}},
		{"10.0.0.0/8", "10.1.0.0/16", []string{"10.128.0.0/9", "10.64.0.0/10", "10.32.0.0/11",
			"10.16.0.0/12", "10.8.0.0/13", "10.4.0.0/14", "10.2.0.0/15", "10.0.0.0/16"}},
		{"::/0", "::/1", []string{"8000::/1"}},
		{"fc00::/63", "fc00:0:0:1::/64", []string{"fc00::/64"}},
	}
	for _, tt := range tests {
		var got []string
		for _, p := range outside(netip.MustParsePrefix(tt.p), netip.MustParsePrefix(tt.hole)) {
			got = append(got, p.String())
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("outside(%s, %s): got %q, want %q", tt.p, tt.hole, got, tt.want)
		}
	}
}

func TestPunch(t *testing.T) {
	route := func(p string, nic tcpip.NICID) tcpip.Route {
		return tcpip.Route{Destination: subnetOf(netip.MustParsePrefix(p)), NIC: nic}
	}
	table := []tcpip.Route{route("10.0.0.0/24", 2), route("10.0.1.0/25", 2), route("0.0.0.0/0", 2), route("::/0", 2)}
	got := punch(table, netip.MustParsePrefix("10.0.1.0/24"))
	var lines []string
	for _, rt := range got {
		lines = append(lines, prefixOf(rt.Destination).String())
	}
	want := []string{"10.0.0.0/24", "10.0.1.0/25", "128.0.0.0/1", "64.0.0.0/2", "32.0.0.0/3", "16.0.0.0/4",
		"0.0.0.0/5", "12.0.0.0/6", "8.0.0.0/7", "11.0.0.0/8", "10.128.0.0/9", "10.64.0.0/10", "10.32.0.0/11",
		"10.16.0.0/12", "10.8.0.0/13", "10.4.0.0/14", "10.2.0.0/15", "10.1.0.0/16", "10.0.128.0/17",
		"10.0.64.0/18", "10.0.32.0/19", "10.0.16.0/20", "10.0.8.0/21", "10.0.4.0/22", "10.0.2.0/23",
		"10.0.0.0/24", "::/0"}
	if !slices.Equal(lines, want) {
		t.Errorf("punch: got %q, want %q", lines, want)
	}

	// Nested covering routes: the default route's pieces stop where
	// 10/8 starts, and 10/8 keeps its own link inside itself.
	table = []tcpip.Route{route("10.0.0.0/8", 3), route("0.0.0.0/0", 2)}
	got = punch(table, netip.MustParsePrefix("10.1.0.0/16"))
	lines = nil
	for _, rt := range got {
		lines = append(lines, prefixOf(rt.Destination).String()+"@"+strconv.Itoa(int(rt.NIC)))
	}
	want = []string{"10.128.0.0/9@3", "10.64.0.0/10@3", "10.32.0.0/11@3", "10.16.0.0/12@3", "10.8.0.0/13@3",
		"10.4.0.0/14@3", "10.2.0.0/15@3", "10.0.0.0/16@3",
		"128.0.0.0/1@2", "64.0.0.0/2@2", "32.0.0.0/3@2", "16.0.0.0/4@2", "0.0.0.0/5@2", "12.0.0.0/6@2",
		"8.0.0.0/7@2", "11.0.0.0/8@2"}
	if !slices.Equal(lines, want) {
		t.Errorf("punch with nested routes: got %q, want %q", lines, want)
	}
}

func TestLocalAndConnectedRoutes(t *testing.T) {
	k := newKernel(t, Options{})
	if err := k.Create("virt0"); err != nil {
		t.Fatal(err)
	}
	for _, a := range []string{"10.0.0.2/24", "10.0.5.5/32", "fc00::2/64"} {
		if err := k.AddAddr("virt0", api.IfAddr{Addr: a}); err != nil {
			t.Fatal(err)
		}
	}
	waitAssigned(t, k)
	byDest := map[string]api.Route{}
	for _, f := range []int{4, 6} {
		for _, r := range k.Routes(f) {
			byDest[r.Dest] = r
		}
	}
	tests := []struct {
		dest, ifname, link string
		flags, index       int
	}{
		{"127.0.0.1/32", "lo0", "lo0", api.RTF_UP | api.RTF_HOST | api.RTF_LOCAL, 1},
		{"::1/128", "lo0", "", api.RTF_UP | api.RTF_HOST, 1},
		{"fe80::1/128", "lo0", "lo0", api.RTF_UP | api.RTF_HOST | api.RTF_LOCAL, 1},
		{"10.0.0.2/32", "lo0", "virt0", api.RTF_UP | api.RTF_HOST | api.RTF_LOCAL, 2},
		{"10.0.5.5/32", "lo0", "virt0", api.RTF_UP | api.RTF_HOST | api.RTF_LOCAL, 2},
		{"fc00::2/128", "lo0", "virt0", api.RTF_UP | api.RTF_HOST | api.RTF_LOCAL, 2},
		{"10.0.0.0/24", "virt0", "", api.RTF_UP | api.RTF_CONNECTED, 2},
		{"fc00::/64", "virt0", "", api.RTF_UP | api.RTF_CONNECTED, 2},
	}
	for _, tt := range tests {
		r, ok := byDest[tt.dest]
		if !ok {
			t.Errorf("%s: no route", tt.dest)
			continue
		}
		if r.Interface != tt.ifname || r.Link != tt.link || r.Flags != tt.flags || r.Index != tt.index {
			t.Errorf("%s: got interface %s link %q flags %#x index %d, want %s %q %#x %d",
				tt.dest, r.Interface, r.Link, r.Flags, r.Index, tt.ifname, tt.link, tt.flags, tt.index)
		}
	}
	if _, ok := byDest["127.0.0.0/8"]; ok {
		t.Errorf("127/8 listed: a loopback interface's inet address gives only a host route")
	}

	// route change -ifp moves a connected route, which stays connected;
	// -ifa gives it a source address.
	if err := k.Create("virt1"); err != nil {
		t.Fatal(err)
	}
	if err := k.AddAddr("virt1", api.IfAddr{Addr: "10.1.0.1/24"}); err != nil {
		t.Fatal(err)
	}
	waitUsable(t, k, "virt1")
	if err := k.ChangeRoute(4, api.Route{Dest: "10.0.0.0/24", Interface: "virt1", Ifa: "10.1.0.1"}); err != nil {
		t.Fatalf("change -ifp of a connected route: %v", err)
	}
	var got []string
	for _, r := range k.Routes(4) {
		if r.Dest == "10.0.0.0/24" {
			got = append(got, r.Interface+" "+letters(r.Flags)+" "+r.Ifa)
		}
	}
	if want := []string{"virt1 UC 10.1.0.1"}; !slices.Equal(got, want) {
		t.Errorf("changed connected route: got %q, want %q", got, want)
	}
	if nic, ok := findsRoute(k, "10.0.0.9"); !ok || nic != 3 {
		t.Errorf("10.0.0.9 after change -ifp virt1: got NIC %d found %v, want 3", nic, ok)
	}
}

func findsRoute(k *Kernel, dst string) (tcpip.NICID, bool) {
	a := netip.MustParseAddr(dst)
	proto := tcpip.NetworkProtocolNumber(ipv4.ProtocolNumber)
	if a.Is6() {
		proto = ipv6.ProtocolNumber
	}
	r, err := k.Stack().FindRoute(0, tcpip.Address{}, tcpip.AddrFromSlice(a.AsSlice()), proto, false)
	if err != nil {
		return 0, false
	}
	defer r.Release()
	return r.NICID(), true
}

// TestConnectedRouteDeleteAndAdd deletes a connected route (and with it
// the neighbour entries under it), then adds it back with -connected.
func TestConnectedRouteDeleteAndAdd(t *testing.T) {
	ka, kb := linkedKernels(t)
	waitAssigned(t, ka)
	waitAssigned(t, kb)
	if err := ka.AddNeighbor(4, api.Neighbor{Addr: "10.0.0.3", LinkAddr: "b2:0a:00:0b:0e:03", Interface: "virt0"}); err != nil {
		t.Fatal(err)
	}
	// A datagram to 10.0.0.2 makes a dynamic entry for it.
	c, err := gonet.DialUDP(ka.Stack(), nil, &tcpip.FullAddress{Addr: tcpip.AddrFrom4([4]byte{10, 0, 0, 2}), Port: 9}, ipv4.ProtocolNumber)
	if err != nil {
		t.Fatal(err)
	}
	c.Write([]byte("x"))
	c.Close()
	neighbors := func() (dynamic, permanent bool) {
		for _, n := range ka.Neighbors(4) {
			dynamic = dynamic || n.Addr == "10.0.0.2"
			permanent = permanent || n.Addr == "10.0.0.3"
		}
		return
	}
	deadline := time.Now().Add(10 * time.Second)
	for d, _ := neighbors(); !d && time.Now().Before(deadline); d, _ = neighbors() {
		time.Sleep(10 * time.Millisecond)
	}
	connected := api.Route{Dest: "10.0.0.0/24"}
	if err := ka.DeleteRoute(4, connected); err != nil {
		t.Fatalf("delete connected route: %v", err)
	}
	if _, ok := findsRoute(ka, "10.0.0.2"); ok {
		t.Errorf("10.0.0.2 routable after its connected route was deleted")
	}
	if d, p := neighbors(); d || !p {
		t.Errorf("neighbours after the delete: got dynamic 10.0.0.2 %v, permanent 10.0.0.3 %v; want false, true", d, p)
	}
	for _, r := range ka.Routes(4) {
		if r.Dest == "10.0.0.0/24" {
			t.Errorf("deleted connected route still listed: %+v", r)
		}
	}
	add := api.Route{Dest: "10.0.0.0/24", Interface: "virt0", Flags: api.RTF_CONNECTED | api.RTF_STATIC}
	if err := ka.AddRoute(4, add); err != nil {
		t.Fatalf("add -connected: %v", err)
	}
	if nic, ok := findsRoute(ka, "10.0.0.2"); !ok || nic != 2 {
		t.Errorf("10.0.0.2 after add -connected: got NIC %d found %v, want 2", nic, ok)
	}
	if err := ka.AddRoute(4, add); !errorIs(err, syscall.EEXIST) {
		t.Errorf("second add -connected: got %v, want EEXIST", err)
	}
}

// TestRejectAndBlackholeRoutes checks what a local sender sees through
// each kind of route, and that route change moves between them.
func TestRejectAndBlackholeRoutes(t *testing.T) {
	ka, kb := linkedKernels(t)
	waitAssigned(t, ka)
	waitAssigned(t, kb)
	gw := api.RTF_GATEWAY | api.RTF_STATIC
	steps := []struct {
		op       func(int, api.Route) error
		r        api.Route
		dst      string
		routable bool
		nic      tcpip.NICID
		flags    string
	}{
		{ka.AddRoute, api.Route{Dest: "10.9.0.0/16", Gateway: "10.0.0.2", Flags: gw | api.RTF_REJECT}, "10.9.1.1", false, 0, "UGRS"},
		{ka.ChangeRoute, api.Route{Dest: "10.9.0.0/16", Flags: api.RTF_BLACKHOLE, FlagsClear: api.RTF_REJECT}, "10.9.1.1", true, discardNIC, "UGBS"},
		{ka.ChangeRoute, api.Route{Dest: "10.9.0.0/16", FlagsClear: api.RTF_BLACKHOLE}, "10.9.1.1", true, 2, "UGS"},
		{ka.AddRoute, api.Route{Dest: "0.0.0.0/0", Gateway: "10.0.0.2", Flags: gw}, "10.8.0.1", true, 2, "UGS"},
		{ka.AddRoute, api.Route{Dest: "10.8.0.0/16", Gateway: "127.0.0.1", Flags: gw | api.RTF_REJECT}, "10.8.0.1", false, 0, "UGRS"},
		{ka.AddRoute, api.Route{Dest: "10.8.7.7/32", Gateway: "10.0.0.2", Flags: gw}, "10.8.7.7", true, 2, "UGHS"},
		{ka.AddRoute, api.Route{Dest: "fc00:9::/64", Gateway: "::1", Flags: gw | api.RTF_BLACKHOLE}, "fc00:9::1", true, discardNIC, "UGBS"},
		{ka.AddRoute, api.Route{Dest: "10.6.0.0/16", Gateway: "10.0.0.2", Flags: api.RTF_GATEWAY}, "10.6.0.1", true, 2, "UG"},
		{ka.ChangeRoute, api.Route{Dest: "10.6.0.0/16", Flags: api.RTF_STATIC | api.RTF_REJECT}, "10.6.0.1", false, 0, "UGRS"},
		{ka.DeleteRoute, api.Route{Dest: "10.8.0.0/16"}, "10.8.0.1", true, 2, ""},
	}
	for i, s := range steps {
		if err := s.op(familyOf(s.r.Dest), s.r); err != nil {
			t.Fatalf("step %d (%+v): %v", i, s.r, err)
		}
		nic, ok := findsRoute(ka, s.dst)
		if ok != s.routable || nic != s.nic {
			t.Errorf("step %d: route to %s: got NIC %d found %v, want NIC %d found %v", i, s.dst, nic, ok, s.nic, s.routable)
		}
		if s.flags == "" {
			continue
		}
		var got string
		for _, r := range ka.Routes(familyOf(s.r.Dest)) {
			if r.Dest == s.r.Dest {
				got = letters(r.Flags)
			}
		}
		if got != s.flags {
			t.Errorf("step %d: %s flags: got %q, want %q", i, s.r.Dest, got, s.flags)
		}
	}
	// A datagram into the blackhole leaves without an error and is dropped.
	c, err := gonet.DialUDP(ka.Stack(), nil, &tcpip.FullAddress{Addr: tcpip.AddrFrom4([4]byte{10, 9, 1, 1}), Port: 9}, ipv4.ProtocolNumber)
	if err == nil {
		if err := ka.ChangeRoute(4, api.Route{Dest: "10.9.0.0/16", Flags: api.RTF_BLACKHOLE}); err != nil {
			t.Fatal(err)
		}
		_, err = c.Write([]byte("x"))
		c.Close()
	}
	if err != nil {
		t.Fatalf("send into a blackhole: %v", err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for ka.discard.dropped.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if ka.discard.dropped.Load() == 0 {
		t.Errorf("blackholed datagram: got none dropped, want 1")
	}
	// A locally sent packet through a reject route fails at once.
	if err := ka.ChangeRoute(4, api.Route{Dest: "10.9.0.0/16", Flags: api.RTF_REJECT, FlagsClear: api.RTF_BLACKHOLE}); err != nil {
		t.Fatal(err)
	}
	if _, err := gonet.DialUDP(ka.Stack(), nil, &tcpip.FullAddress{Addr: tcpip.AddrFrom4([4]byte{10, 9, 1, 1}), Port: 9}, ipv4.ProtocolNumber); err == nil {
		t.Errorf("connect through a reject route: got no error, want unreachable")
	}
}

func familyOf(dest string) int {
	if netip.MustParsePrefix(dest).Addr().Is4() {
		return 4
	}
	return 6
}

func letters(f int) string {
	var b []byte
	for _, l := range []struct {
		bit int
		c   byte
	}{{api.RTF_UP, 'U'}, {api.RTF_GATEWAY, 'G'}, {api.RTF_HOST, 'H'}, {api.RTF_REJECT, 'R'},
		{api.RTF_BLACKHOLE, 'B'}, {api.RTF_CONNECTED, 'C'}, {api.RTF_STATIC, 'S'}, {api.RTF_LOCAL, 'l'}} {
		if f&l.bit != 0 {
			b = append(b, l.c)
		}
	}
	return string(b)
}

// TestTentativeConnectedRoute restates t_change.sh's setup: an inet
// address still in DAD already has its connected route, as NetBSD's
// in_ifinit adds it before DAD starts, so a route through a neighbour on
// that prefix can be added at once.
func TestTentativeConnectedRoute(t *testing.T) {
	k := newKernel(t, Options{})
	for _, err := range []error{
		tunable(t, "net.inet.ip.dad_count").Set(k, 3),
		k.Create("shmif0"),
		k.SetLinkstr("shmif0", filepath.Join(t.TempDir(), "bus")),
		k.SetFlags("shmif0", api.IFF_UP),
		k.AddAddr("shmif0", api.IfAddr{Addr: "10.0.0.10/24"}),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	addErr := k.AddRoute(4, api.Route{Dest: "192.168.0.0/24", Gateway: "10.0.0.1", Flags: api.RTF_GATEWAY | api.RTF_STATIC})
	var connected bool
	for _, r := range k.Routes(4) {
		connected = connected || r.Dest == "10.0.0.0/24" && r.Flags&api.RTF_CONNECTED != 0
	}
	v, _ := k.Interface("shmif0")
	if len(v.Inet) != 1 || v.Inet[0].Flags&api.IN_IFF_TENTATIVE == 0 {
		t.Skipf("DAD ended before the check: %+v", v.Inet)
	}
	if !connected || addErr != nil {
		t.Errorf("tentative 10.0.0.10/24: got connected route %v, route add via 10.0.0.1 %v; want the route and no error", connected, addErr)
	}
}

// TestConnectedRouteChangePurges moves a connected route to another
// interface (route change -net P -ifp shmif1, NetBSD's
// arp_purge_on_route_change and ndp_purge_on_route_change): the dynamic
// neighbour entries the old interface had under it go.
func TestConnectedRouteChangePurges(t *testing.T) {
	ka, kb := linkedKernels(t)
	bus := filepath.Join(t.TempDir(), "bus")
	for _, err := range []error{ka.Create("shmif1"), ka.SetLinkstr("shmif1", bus),
		ka.AddAddr("shmif1", api.IfAddr{Addr: "10.0.0.5/24"}), ka.AddAddr("shmif1", api.IfAddr{Addr: "fc00::5/64"})} {
		if err != nil {
			t.Fatal(err)
		}
	}
	waitAssigned(t, ka)
	waitAssigned(t, kb)
	waitUsable(t, ka, "shmif1")
	tests := []struct {
		family int
		proto  tcpip.NetworkProtocolNumber
		dst    string
		net    string
	}{
		{4, ipv4.ProtocolNumber, "10.0.0.2", "10.0.0.0/24"},
		{6, ipv6.ProtocolNumber, "fc00::2", "fc00::/64"},
	}
	for _, tt := range tests {
		onVirt0 := func() bool {
			for _, n := range ka.Neighbors(tt.family) {
				if n.Addr == tt.dst && n.Interface == "virt0" {
					return true
				}
			}
			return false
		}
		c, err := gonet.DialUDP(ka.Stack(), nil, &tcpip.FullAddress{Addr: tcpip.AddrFromSlice(netip.MustParseAddr(tt.dst).AsSlice()), Port: 9}, tt.proto)
		if err != nil {
			t.Fatal(err)
		}
		c.Write([]byte("x"))
		c.Close()
		deadline := time.Now().Add(10 * time.Second)
		for !onVirt0() && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		if !onVirt0() {
			t.Fatalf("%s: no entry on virt0 after sending to it", tt.dst)
		}
		if err := ka.ChangeRoute(tt.family, api.Route{Dest: tt.net, Interface: "shmif1"}); err != nil {
			t.Fatalf("route change -net %s -ifp shmif1: %v", tt.net, err)
		}
		if onVirt0() {
			t.Errorf("%s: got an entry on virt0 after its connected route moved to shmif1, want none", tt.dst)
		}
	}
}
