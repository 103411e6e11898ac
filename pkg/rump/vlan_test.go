package rump

import (
	"bytes"
	"fmt"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/rumpnet/rumpnet/pkg/api"
)

// must fails the test at the first error of steps.
func must(t *testing.T, steps ...error) {
	t.Helper()
	for i, err := range steps {
		if err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
	}
}

func vlanOf(t *testing.T, k *Kernel, name string) api.Interface {
	t.Helper()
	info, err := k.Interface(name)
	if err != nil {
		t.Fatal(err)
	}
	if info.Vlan == nil {
		t.Fatalf("%s: no vlan configuration reported", name)
	}
	return info
}

func TestVlanFrameRoundTrip(t *testing.T) {
	frame := append(bytes.Repeat([]byte{0xaa}, 6), append(bytes.Repeat([]byte{0xbb}, 6), 0x08, 0x00, 0x45, 0, 0, 20)...)
	tests := []struct {
		vid  uint16
		want uint16
	}{{1, 1}, {10, 10}, {4094, 4094}, {0xf00a, 10}}
	for _, tt := range tests {
		tagged := vlanEncap(nil, frame, tt.vid)
		if got, want := len(tagged), len(frame)+vlanEncapLen; got != want {
			t.Fatalf("vid %d: tagged length got %d, want %d", tt.vid, got, want)
		}
		vid, inner, ok := vlanDecap(nil, tagged)
		if !ok || vid != tt.want || !bytes.Equal(inner, frame) {
			t.Errorf("vid %d: decap got %d %x %v, want %d %x", tt.vid, vid, inner, ok, tt.want, frame)
		}
		if _, _, ok := vlanDecap(nil, frame); ok {
			t.Errorf("untagged frame decapsulated")
		}
	}
}

func TestVlanValidVID(t *testing.T) {
	for vid, want := range map[int]bool{-1: false, 0: false, 1: true, 4094: true, 4095: false, 4096: false, 65537: false} {
		if got := validVID(vid); got != want {
			t.Errorf("validVID(%d): got %v, want %v", vid, got, want)
		}
	}
}

// TestVlanConfigErrors follows NetBSD's t_vlan vlan_vlanid and
// vlan_configs: each refused configuration gets NetBSD's errno and
// leaves the vlan as it was.
func TestVlanConfigErrors(t *testing.T) {
	k := newKernel(t, Options{})
	must(t, k.Create("shmif0"), k.Create("shmif1"), k.Create("vlan0"), k.Create("vlan1"), k.Create("bridge0"), k.Create("vlan9"))
	before, _ := k.Interface("vlan0")
	tests := []struct {
		name   string
		vid    int
		parent string
		want   syscall.Errno
	}{
		{"vlan0", 0, "shmif0", syscall.EINVAL},
		{"vlan0", 4095, "shmif0", syscall.EINVAL},
		{"vlan0", 4096, "shmif0", syscall.EINVAL},
		{"vlan0", 65537, "shmif0", syscall.EINVAL},
		{"vlan0", 10, "shmif7", syscall.ENOENT},
		{"vlan0", 10, "bridge0", syscall.EPROTONOSUPPORT},
		{"vlan0", 10, "lo0", syscall.EPROTONOSUPPORT},
		{"vlan0", 10, "vlan9", syscall.EPROTONOSUPPORT},
		{"shmif0", 10, "shmif1", syscall.ENOTTY},
	}
	for _, tt := range tests {
		wantErrno(t, k.SetVlan(tt.name, tt.vid, tt.parent), tt.want)
		if got := vlanOf(t, k, "vlan0"); got.MTU != before.MTU || *got.Vlan != (api.Vlan{}) || got.Flags != before.Flags {
			t.Errorf("%+v: vlan0 got %+v, want it unchanged", tt, got)
		}
	}
	wantErrno(t, k.AddAddr("vlan0", api.IfAddr{Addr: "10.0.0.1/24"}), syscall.EINVAL)
	wantErrno(t, k.SetMTU("vlan0", 1400), syscall.EINVAL)

	must(t, k.SetVlan("vlan0", 1, "shmif0"))
	wantErrno(t, k.SetVlan("vlan0", 2, "shmif0"), syscall.EBUSY)
	wantErrno(t, k.SetVlan("vlan0", 1, "shmif1"), syscall.EBUSY)
	wantErrno(t, k.SetVlan("vlan1", 1, "shmif0"), syscall.EEXIST)
	must(t, k.SetVlan("vlan1", 1, "shmif1"))
	if got := vlanOf(t, k, "vlan0"); *got.Vlan != (api.Vlan{Tag: 1, Parent: "shmif0"}) {
		t.Errorf("vlan0 got %+v, want tag 1 on shmif0", *got.Vlan)
	}
	// Unconfiguring twice, or an unconfigured vlan, is no error.
	must(t, k.SetVlan("vlan0", 0, ""), k.SetVlan("vlan0", 0, ""), k.SetVlan("vlan0", 1, "shmif0"))
}

// TestVlanMTU follows t_vlan's vlan_configs and vlan_auto_follow_mtu:
// the parent's MTU less the tag on shmif, all of it on tap; NetBSD's
// bounds; a new configuration takes the parent's again.
func TestVlanMTU(t *testing.T) {
	k := newKernel(t, Options{})
	must(t, k.Create("shmif0"), k.Create("tap0"), k.Create("vlan0"), k.Create("vlan1"))
	if got := vlanOf(t, k, "vlan0"); got.MTU != 0 || got.Flags != 0 || got.Address != "" {
		t.Errorf("unconfigured vlan0: got mtu %d flags %#x address %q, want 0 0 \"\"", got.MTU, got.Flags, got.Address)
	}
	must(t, k.SetVlan("vlan0", 10, "shmif0"), k.SetVlan("vlan1", 10, "tap0"))
	tests := []struct {
		name string
		mtu  int
		want syscall.Errno
	}{
		{"vlan0", 1497, syscall.EINVAL},
		{"vlan0", 1496, 0},
		{"vlan0", 42, 0},
		{"vlan0", 41, syscall.EINVAL},
		{"vlan1", 1501, syscall.EINVAL},
		{"vlan1", 1500, 0},
		{"vlan1", 45, syscall.EINVAL},
	}
	for _, tt := range tests {
		err := k.SetMTU(tt.name, tt.mtu)
		if tt.want == 0 {
			if err != nil {
				t.Errorf("%s mtu %d: %v", tt.name, tt.mtu, err)
			}
			continue
		}
		wantErrno(t, err, tt.want)
	}
	must(t, k.SetMTU("vlan0", 1400), k.SetVlan("vlan0", 0, ""), k.SetVlan("vlan0", 10, "shmif0"))
	if got := vlanOf(t, k, "vlan0"); got.MTU != 1496 {
		t.Errorf("reconfigured vlan0 mtu got %d, want 1496", got.MTU)
	}
	shmif, _ := k.Interface("shmif0")
	if got := vlanOf(t, k, "vlan0"); got.Address != shmif.Address {
		t.Errorf("vlan0 address got %q, want its parent's %q", got.Address, shmif.Address)
	}
}

// TestVlanCreateDestroy follows t_vlan's vlan_create_destroy: up without a
// parent, destroy while up, and a destroyed parent unconfigures its vlans.
func TestVlanCreateDestroy(t *testing.T) {
	k := newKernel(t, Options{})
	must(t, k.Create("vlan0"), k.SetFlags("vlan0", api.IFF_UP))
	if got := vlanOf(t, k, "vlan0"); got.Flags != api.IFF_UP {
		t.Errorf("vlan0 up without parent: flags got %#x, want UP alone", got.Flags)
	}
	must(t, k.SetFlags("vlan0", 0), k.Destroy("vlan0"))
	bus := filepath.Join(t.TempDir(), "bus")
	must(t, k.Create("shmif0"), k.SetLinkstr("shmif0", bus), k.SetFlags("shmif0", api.IFF_UP), k.Create("shmif1"))
	for i, p := range []string{"shmif0", "shmif0", "shmif1", "shmif1"} {
		v := fmt.Sprintf("vlan%d", i)
		must(t, k.Create(v), k.SetVlan(v, 10+i, p))
	}
	must(t, k.SetFlags("vlan0", api.IFF_UP))
	if got := vlanOf(t, k, "vlan0"); got.Flags&api.IFF_RUNNING == 0 {
		t.Errorf("configured vlan0 up: flags got %#x, want RUNNING", got.Flags)
	}
	must(t, k.Destroy("shmif0"))
	for i, want := range []string{"", "", "shmif1", "shmif1"} {
		got := vlanOf(t, k, fmt.Sprintf("vlan%d", i))
		if got.Vlan.Parent != want {
			t.Errorf("vlan%d after shmif0 destroyed: parent got %q, want %q", i, got.Vlan.Parent, want)
		}
		if want == "" && got.Flags&(api.IFF_UP|api.IFF_RUNNING) != 0 {
			t.Errorf("vlan%d unconfigured: flags got %#x, want down", i, got.Flags)
		}
	}
	for i := range 4 {
		must(t, k.Destroy(fmt.Sprintf("vlan%d", i)))
	}
	if _, err := k.Interface("vlan0"); err == nil {
		t.Errorf("vlan0 still there after destroy")
	}
}

// vlanOnBus configures, on a kernel whose shmif0 is on bus and up, vlan
// ifname with tag vid and address addr, up.
func vlanOnBus(t *testing.T, k *Kernel, ifname string, vid int, addr string) {
	t.Helper()
	if _, err := k.Interface("shmif0"); err != nil {
		t.Fatal(err)
	}
	must(t, k.Create(ifname), k.SetVlan(ifname, vid, "shmif0"), k.AddAddr(ifname, api.IfAddr{Addr: addr}))
}

func replies(t *testing.T, k *Kernel, dst string) int {
	t.Helper()
	evs := pingAll(t, k, api.PingRequest{Dst: dst, Count: 1, Wait: 1})
	return countTypes(evs)[api.PingReply]
}

// pingSoon reports whether dst answers one of a few pings: the first may
// be lost with an address resolution that starts with it.
func pingSoon(t *testing.T, k *Kernel, dst string) bool {
	t.Helper()
	for range 5 {
		if replies(t, k, dst) > 0 {
			return true
		}
	}
	return false
}

// TestVlanKernelsOnBus follows t_vlan's vlan_basic and vlan_vlanid: two
// kernels talk over vlan 10 in both families, while vlans 20 and 30 of
// the same bus do not meet; the frames on the bus carry the tag.
func TestVlanKernelsOnBus(t *testing.T) {
	ks := busKernels(t, 2)
	a, b := ks[0], ks[1]
	vlanOnBus(t, a, "vlan0", 10, "10.0.0.1/24")
	vlanOnBus(t, b, "vlan0", 10, "10.0.0.2/24")
	must(t, a.AddAddr("vlan0", api.IfAddr{Addr: "fc00::1/64"}), b.AddAddr("vlan0", api.IfAddr{Addr: "fc00::2/64"}))
	vlanOnBus(t, a, "vlan1", 20, "10.0.1.1/24")
	vlanOnBus(t, b, "vlan1", 30, "10.0.1.2/24")
	waitUsable(t, a, "vlan0")
	waitUsable(t, b, "vlan0")
	for _, dst := range []string{"10.0.0.2", "fc00::2"} {
		if !pingSoon(t, a, dst) {
			t.Errorf("vlan 10: %s does not answer", dst)
		}
	}
	if n := replies(t, a, "10.0.1.2"); n != 0 {
		t.Errorf("vlan 20 reached vlan 30: got %d replies, want 0", n)
	}
	va, _ := a.Interface("vlan0")
	sa, _ := a.Interface("shmif0")
	if va.Stats.IPackets == 0 || va.Stats.OPackets == 0 || sa.Stats.OPackets < va.Stats.OPackets {
		t.Errorf("counters: vlan0 %+v shmif0 %+v, want vlan0's frames counted on both", va.Stats, sa.Stats)
	}
	// Reconfigured to another tag (as t_vlan does), vlan0 no longer
	// reaches B's vlan 10.
	must(t, a.SetVlan("vlan0", 0, ""), a.SetVlan("vlan0", 40, "shmif0"), a.AddAddr("vlan0", api.IfAddr{Addr: "10.0.2.1/24"}))
	if n := replies(t, a, "10.0.0.2"); n != 0 {
		t.Errorf("vlan 40 reached vlan 10: got %d replies, want 0", n)
	}
}

// TestVlanBridges: a bridge of vlans on two buses, with a tap(4) as the
// bridging kernel's own address, joins vlan 10 of one bus to vlan 20 of
// the other; a vlan on a member of a plain bridge is reached through it.
func TestVlanBridges(t *testing.T) {
	dir := t.TempDir()
	bus1, bus2 := filepath.Join(dir, "bus1"), filepath.Join(dir, "bus2")
	a := shmifKernel(t, bus1, "10.9.0.1/24")
	c := shmifKernel(t, bus2, "10.9.0.2/24")
	vlanOnBus(t, a, "vlan0", 10, "10.0.0.1/24")
	vlanOnBus(t, c, "vlan0", 20, "10.0.0.2/24")
	m := newKernel(t, Options{})
	must(t,
		m.Create("shmif0"), m.SetLinkstr("shmif0", bus1), m.SetFlags("shmif0", api.IFF_UP),
		m.Create("shmif1"), m.SetLinkstr("shmif1", bus2), m.SetFlags("shmif1", api.IFF_UP),
		m.Create("vlan0"), m.SetVlan("vlan0", 10, "shmif0"), m.SetFlags("vlan0", api.IFF_UP),
		m.Create("vlan1"), m.SetVlan("vlan1", 20, "shmif1"), m.SetFlags("vlan1", api.IFF_UP),
		m.Create("tap0"), m.SetMTU("tap0", 1496), m.AddAddr("tap0", api.IfAddr{Addr: "10.0.0.3/24"}),
		m.Create("bridge0"), m.SetMTU("bridge0", 1496), // as t_vlan does: the vlans' MTU
	)
	for _, mem := range []string{"vlan0", "vlan1", "tap0"} {
		must(t, m.Bridge("bridge0", api.BridgeRequest{Op: api.BridgeAdd, Member: mem}))
	}
	must(t, m.SetFlags("bridge0", api.IFF_UP))
	for _, dst := range []string{"10.0.0.2", "10.0.0.3"} {
		if !pingSoon(t, a, dst) {
			t.Errorf("bridge of vlans: A cannot reach %s", dst)
		}
	}
	// A vlan on a bridge member: the bridge carries tagged frames between
	// the buses, and the member's own vlan answers.
	m2 := newKernel(t, Options{})
	bus3 := filepath.Join(dir, "bus3")
	d := shmifKernel(t, bus3, "10.9.0.4/24")
	vlanOnBus(t, d, "vlan0", 30, "10.0.3.4/24")
	e := shmifKernel(t, bus1, "10.9.0.5/24")
	vlanOnBus(t, e, "vlan0", 30, "10.0.3.5/24")
	must(t,
		m2.Create("shmif0"), m2.SetLinkstr("shmif0", bus3), m2.SetFlags("shmif0", api.IFF_UP),
		m2.Create("shmif1"), m2.SetLinkstr("shmif1", bus1), m2.SetFlags("shmif1", api.IFF_UP),
		m2.Create("bridge0"),
		m2.Bridge("bridge0", api.BridgeRequest{Op: api.BridgeAdd, Member: "shmif0"}),
		m2.Bridge("bridge0", api.BridgeRequest{Op: api.BridgeAdd, Member: "shmif1"}),
		m2.SetFlags("bridge0", api.IFF_UP),
	)
	vlanOnBus(t, m2, "vlan0", 30, "10.0.3.6/24")
	for _, dst := range []string{"10.0.3.5", "10.0.3.6"} {
		if !pingSoon(t, d, dst) {
			t.Errorf("vlan on a bridge member: D cannot reach %s", dst)
		}
	}
	// Destroying members while up leaves the bridge working without them.
	must(t, m.Destroy("vlan1"), m.Destroy("tap0"))
	st, err := m.BridgeStatus("bridge0")
	if err != nil || len(st.Members) != 1 {
		t.Errorf("bridge0 after destroying two members: got %+v, %v, want one member", st, err)
	}
}

// TestTapNoWire: a tap outside a bridge sends into nothing, counted.
func TestTapNoWire(t *testing.T) {
	k := newKernel(t, Options{})
	must(t, k.Create("tap0"), k.AddAddr("tap0", api.IfAddr{Addr: "10.0.5.1/24"}))
	info, _ := k.Interface("tap0")
	if info.Address[:8] != "f2:0b:a4" || info.Flags&api.IFF_RUNNING == 0 || info.MTU != 1500 {
		t.Errorf("tap0: got %+v, want f2:0b:a4 address, running, mtu 1500", info)
	}
	if n := replies(t, k, "10.0.5.2"); n != 0 {
		t.Errorf("tap0 with no wire: got %d replies, want 0", n)
	}
	info, _ = k.Interface("tap0")
	if info.Stats.OPackets == 0 || info.Stats.IPackets != 0 {
		t.Errorf("tap0 counters got %+v, want output and no input", info.Stats)
	}
	must(t, k.Destroy("tap0"))
}

// TestTapStandAloneAndBridged follows NetBSD's t_tap (tap_stand_alone,
// tap_bridged): a tap with an address is unreachable alone, and reached
// once it and the kernel's shmif0 are members of a bridge.
func TestTapStandAloneAndBridged(t *testing.T) {
	bus := filepath.Join(t.TempDir(), "bus")
	local := newKernel(t, Options{})
	must(t, local.Create("shmif0"), local.SetLinkstr("shmif0", bus),
		local.AddAddr("shmif0", api.IfAddr{Addr: "10.0.0.1/24"}), local.AddAddr("shmif0", api.IfAddr{Addr: "fc00::1/64"}),
		local.Create("tap0"), local.AddAddr("tap0", api.IfAddr{Addr: "10.0.0.2/24"}), local.AddAddr("tap0", api.IfAddr{Addr: "fc00::2/64"}))
	remote := shmifKernel(t, bus, "10.0.0.3/24")
	must(t, remote.AddAddr("shmif0", api.IfAddr{Addr: "fc00::3/64"}))
	for _, k := range []*Kernel{local, remote} {
		waitUsable(t, k, "shmif0")
	}
	waitUsable(t, local, "tap0")
	if !pingSoon(t, remote, "10.0.0.1") || !pingSoon(t, remote, "fc00::1") {
		t.Fatal("remote cannot reach local's shmif0")
	}
	for _, dst := range []string{"10.0.0.2", "fc00::2"} {
		if n := replies(t, remote, dst); n != 0 {
			t.Errorf("a tap alone: %s got %d replies, want 0", dst, n)
		}
	}
	must(t, local.Create("bridge0"),
		local.Bridge("bridge0", api.BridgeRequest{Op: api.BridgeAdd, Member: "shmif0"}),
		local.Bridge("bridge0", api.BridgeRequest{Op: api.BridgeAdd, Member: "tap0"}),
		local.SetFlags("bridge0", api.IFF_UP))
	for _, dst := range []string{"10.0.0.1", "10.0.0.2", "fc00::1", "fc00::2"} {
		if !pingSoon(t, remote, dst) {
			t.Errorf("bridged: %s does not answer", dst)
		}
	}
}

// TestVlanRouteTarget: a static route through a gateway on a vlan goes out
// by the vlan.
func TestVlanRouteTarget(t *testing.T) {
	ks := busKernels(t, 2)
	a, b := ks[0], ks[1]
	vlanOnBus(t, a, "vlan0", 10, "10.0.0.1/24")
	vlanOnBus(t, b, "vlan0", 10, "10.0.0.2/24")
	waitUsable(t, a, "vlan0")
	must(t, b.AddAddr("lo0", api.IfAddr{Addr: "10.77.0.1/32"}),
		a.AddRoute(4, api.Route{Dest: "10.77.0.0/24", Gateway: "10.0.0.2", Flags: api.RTF_GATEWAY | api.RTF_STATIC}))
	for _, r := range a.Routes(4) {
		if r.Dest == "10.77.0.0/24" && r.Interface != "vlan0" {
			t.Errorf("route to 10.77.0.0/24: got interface %q, want vlan0", r.Interface)
		}
	}
	if !pingSoon(t, a, "10.77.0.1") {
		t.Errorf("10.77.0.1 through the vlan: no answer")
	}
}

// TestVlanParentPromisc checks that a vlan in a bridge makes its parent
// promiscuous, the PROMISC flag shown, as NetBSD's vlan_set_promisc does
// with ifpromisc on the parent; and that the parent's own bridge and the
// vlan each keep it so while the other lets go.
func TestVlanParentPromisc(t *testing.T) {
	k := newKernel(t, Options{})
	must(t, k.Create("shmif0"), k.Create("vlan0"), k.Create("bridge0"), k.Create("bridge1"),
		k.SetVlan("vlan0", 10, "shmif0"), k.SetMTU("bridge0", 1496)) // vlan0's MTU
	promisc := func(name string) bool {
		ifc, err := k.Interface(name)
		if err != nil {
			t.Fatal(err)
		}
		return ifc.Flags&api.IFF_PROMISC != 0
	}
	br := func(b, op, m string) func() error {
		return func() error { return k.Bridge(b, api.BridgeRequest{Op: op, Member: m}) }
	}
	for _, tt := range []struct {
		step string
		do   func() error
		want bool
	}{
		{"configured", nil, false},
		{"vlan0 in bridge0", br("bridge0", api.BridgeAdd, "vlan0"), true},
		{"shmif0 in bridge1 too", br("bridge1", api.BridgeAdd, "shmif0"), true},
		{"vlan0 out of bridge0", br("bridge0", api.BridgeDelete, "vlan0"), true},
		{"vlan0 in bridge0 again", br("bridge0", api.BridgeAdd, "vlan0"), true},
		{"shmif0 out of bridge1", br("bridge1", api.BridgeDelete, "shmif0"), true},
		{"vlan0 out again", br("bridge0", api.BridgeDelete, "vlan0"), false},
	} {
		if tt.do != nil {
			if err := tt.do(); err != nil {
				t.Fatalf("%s: %v", tt.step, err)
			}
		}
		if got := promisc("shmif0"); got != tt.want {
			t.Errorf("%s: shmif0 PROMISC: got %v, want %v", tt.step, got, tt.want)
		}
	}
}

// TestVlanPingDontFragment follows t_vlan's vlan_auto_follow_mtu: a
// don't-fragment ping (ping -D) that fits the vlan's MTU, parent's minus
// 4, is answered; once the vlan's MTU is lowered it is refused with
// EMSGSIZE ("Message too long") instead of being fragmented.
func TestVlanPingDontFragment(t *testing.T) {
	bus := filepath.Join(t.TempDir(), "bus")
	a := shmifKernel(t, bus, "10.9.0.1/24")
	b := shmifKernel(t, bus, "10.9.0.2/24")
	vlanOnBus(t, a, "vlan0", 10, "10.0.0.1/24")
	vlanOnBus(t, b, "vlan0", 10, "10.0.0.2/24")
	if !pingSoon(t, a, "10.0.0.2") {
		t.Fatal("10.0.0.2 does not answer over the vlan")
	}
	for _, tt := range []struct {
		name    string
		mtu     int // vlan0's on a, 0 to leave it (1496)
		wantErr string
		replies int
	}{
		{"fits 1496", 0, "", 1},
		{"vlan mtu 1400", 1400, "EMSGSIZE", 0},
	} {
		if tt.mtu != 0 {
			must(t, a.SetMTU("vlan0", tt.mtu))
		}
		evs := pingAll(t, a, api.PingRequest{Dst: "10.0.0.2", Count: 1, Wait: 2, Size: 1468, DontFragment: true})
		gotErr := ""
		for _, ev := range evs {
			if ev.Type == api.PingSent && ev.Error != nil {
				gotErr = ev.Error.Errno
			}
		}
		if got := countTypes(evs)[api.PingReply]; gotErr != tt.wantErr || got != tt.replies {
			t.Errorf("%s: got error %q and %d replies, want %q and %d", tt.name, gotErr, got, tt.wantErr, tt.replies)
		}
	}
}
