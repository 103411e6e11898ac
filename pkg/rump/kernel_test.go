package rump

import (
	"context"
	"errors"
	"io"
	"os"
	"regexp"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rumpnet/rumpnet/internal/testkit/framepipe"
	"github.com/rumpnet/rumpnet/pkg/api"
	"gvisor.dev/gvisor/pkg/refs"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/adapters/gonet"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv6"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
)

func TestMain(m *testing.M) {
	refs.SetLeakMode(refs.LeaksPanic)
	code := m.Run()
	refs.DoLeakCheck()
	os.Exit(code)
}

// tapSet hands out framepipe ends as host taps: the kernel gets one end, the
// test keeps the other.
type tapSet struct {
	peers map[string]*framepipe.End
	open  map[string]bool
}

func newTapSet() *tapSet {
	return &tapSet{peers: map[string]*framepipe.End{}, open: map[string]bool{}}
}

func (ts *tapSet) openTap(name string) (FrameDevice, error) {
	if ts.open[name] {
		return nil, syscall.EBUSY
	}
	a, b := framepipe.New()
	ts.peers[name] = b
	ts.open[name] = true
	return &trackedEnd{End: a, onClose: func() { ts.open[name] = false }}, nil
}

type trackedEnd struct {
	*framepipe.End
	onClose func()
}

func (t *trackedEnd) Close() error { t.onClose(); return t.End.Close() }

func newKernel(t testing.TB, opts Options) *Kernel {
	t.Helper()
	if opts.OpenTap == nil {
		opts.OpenTap = newTapSet().openTap
	}
	k, err := New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(k.Close)
	return k
}

func wantErrno(t *testing.T, err error, want syscall.Errno) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("got error %v, want %v", err, want)
	}
}

func TestComponents(t *testing.T) {
	tests := []struct {
		libs        []string
		cloners     string
		inet, inet6 bool
		errno       syscall.Errno
	}{
		{nil, "gre gif wg l2tp tap vlan bridge shmif virt lo", true, true, 0},
		{[]string{"rumpnet_netinet"}, "lo", true, false, 0},
		{[]string{"librumpnet_virtif.so", "rumpnet_netinet6"}, "virt lo", false, true, 0},
		{[]string{"librumpnet_virtif"}, "virt lo", false, false, 0},
		{[]string{"rumpnet_shmif"}, "shmif lo", false, false, 0},
		{[]string{"rumpnet_bridge"}, "bridge lo", false, false, 0},
		{[]string{"rumpnet_vlan", "rumpnet_tap"}, "tap vlan lo", false, false, 0},
		{[]string{"rumpnet_l2tp", "rumpnet_tap"}, "l2tp tap lo", false, false, 0},
		{[]string{"rumpnet_netinet", "rumpnet_gre", "rumpnet_shmif", "rumpnet_gif"}, "gre gif shmif lo", true, false, 0},
		{[]string{"rumpnet_nosuch"}, "", false, false, syscall.ENOENT},
	}
	for _, tt := range tests {
		set, err := parseComponents(tt.libs)
		if tt.errno != 0 {
			wantErrno(t, err, tt.errno)
			continue
		}
		if err != nil {
			t.Fatalf("parseComponents(%v): %v", tt.libs, err)
		}
		if got := strings.Join(set.cloners(), " "); got != tt.cloners {
			t.Errorf("%v: cloners got %q, want %q", tt.libs, got, tt.cloners)
		}
		if set.inet() != tt.inet || set.inet6() != tt.inet6 {
			t.Errorf("%v: inet/inet6 got %v/%v, want %v/%v", tt.libs, set.inet(), set.inet6(), tt.inet, tt.inet6)
		}
	}
}

func TestBootLoopback(t *testing.T) {
	k := newKernel(t, Options{})
	ifs := k.Interfaces()
	if len(ifs) != 1 {
		t.Fatalf("got %d interfaces, want 1", len(ifs))
	}
	lo := ifs[0]
	if lo.Name != "lo0" || lo.Index != 1 || lo.Flags != 0x8049 || lo.MTU != 33624 {
		t.Errorf("got %s index %d flags %#x mtu %d, want lo0 index 1 flags 0x8049 mtu 33624", lo.Name, lo.Index, lo.Flags, lo.MTU)
	}
	var got []string
	for _, a := range append(lo.Inet6, lo.Inet...) {
		got = append(got, a.Addr)
	}
	if want := "::1/128 fe80::1/64 127.0.0.1/8"; strings.Join(got, " ") != want {
		t.Errorf("lo0 addresses: got %q, want %q", strings.Join(got, " "), want)
	}
	if lo.Inet6[0].Flags != api.IN6_IFF_NODAD || lo.Inet6[1].Flags != 0 {
		t.Errorf("lo0 inet6 flags: got %#x %#x, want 0x20 0", lo.Inet6[0].Flags, lo.Inet6[1].Flags)
	}
	wantErrno(t, k.Destroy("lo0"), syscall.EPERM)
}

func TestBootInetOnly(t *testing.T) {
	k := newKernel(t, Options{Components: []string{"rumpnet_netinet"}})
	lo, _ := k.Interface("lo0")
	if len(lo.Inet6) != 0 || len(lo.Inet) != 1 {
		t.Errorf("got inet6 %v inet %v, want only 127.0.0.1", lo.Inet6, lo.Inet)
	}
	wantErrno(t, k.Create("virt0"), syscall.EINVAL)
	wantErrno(t, k.AddAddr("lo0", api.IfAddr{Addr: "::2/128"}), syscall.EAFNOSUPPORT)
}

func TestVirtLifecycle(t *testing.T) {
	taps := newTapSet()
	k := newKernel(t, Options{OpenTap: taps.openTap})
	if err := k.VirtifCreate(3); err != nil {
		t.Fatal(err)
	}
	wantErrno(t, k.Create("virt3"), syscall.EEXIST)
	wantErrno(t, k.Create("bogus0"), syscall.EINVAL)
	wantErrno(t, k.Destroy("virt4"), syscall.ENXIO)
	if !taps.open["tap3"] {
		t.Fatalf("tap3 not opened")
	}
	v, err := k.Interface("virt3")
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^b2:0a:[0-9a-f]{2}:0b:0e:03$`).MatchString(v.Address) {
		t.Errorf("MAC: got %s, want b2:0a:RR:0b:0e:03", v.Address)
	}
	if v.Flags != 0x8802 || v.MTU != 1500 || v.Index != 2 || v.LinkState != api.LinkStateUp {
		t.Errorf("got flags %#x mtu %d index %d state %s, want 0x8802 1500 2 up", v.Flags, v.MTU, v.Index, v.LinkState)
	}
	if err := k.SetFlags("virt3", v.Flags|api.IFF_UP); err != nil {
		t.Fatal(err)
	}
	v, _ = k.Interface("virt3")
	if v.Flags != 0x8843 {
		t.Errorf("after up: flags %#x, want 0x8843", v.Flags)
	}
	if len(v.Inet6) != 1 || !strings.HasPrefix(v.Inet6[0].Addr, "fe80::b00a:") {
		t.Errorf("after up: inet6 %v, want one EUI-64 link-local", v.Inet6)
	}
	wantErrno(t, k.SetLinkstr("virt3", "tap9"), syscall.EBUSY)
	wantErrno(t, k.SetMTU("virt3", 65521), syscall.EINVAL)
	wantErrno(t, k.SetMTU("virt3", 45), syscall.EINVAL)
	if err := k.SetMTU("virt3", 1280); err != nil {
		t.Fatal(err)
	}
	if err := k.SetFlags("virt3", 0); err != nil {
		t.Fatal(err)
	}
	v, _ = k.Interface("virt3")
	if v.Flags != 0x8802 || v.MTU != 1280 {
		t.Errorf("after down: flags %#x mtu %d, want 0x8802 1280", v.Flags, v.MTU)
	}
	if err := k.SetLinkstr("virt3", "tap9"); err != nil {
		t.Fatal(err)
	}
	if taps.open["tap3"] || !taps.open["tap9"] {
		t.Errorf("linkstr tap9: open taps %v, want tap9 only", taps.open)
	}
	if err := k.SetLinkstr("virt3", ""); err != nil {
		t.Fatal(err)
	}
	v, _ = k.Interface("virt3")
	if v.LinkState != api.LinkStateDown || taps.open["tap9"] {
		t.Errorf("after -linkstr: state %s, taps %v; want down and none open", v.LinkState, taps.open)
	}
	wantErrno(t, k.SetFlags("virt3", api.IFF_UP), syscall.ENXIO)
	if err := k.SetLinkstr("virt3", "tap3"); err != nil {
		t.Fatal(err)
	}
	if err := k.SetFlags("virt3", api.IFF_UP); err != nil {
		t.Fatal(err)
	}
	if err := k.Destroy("virt3"); err != nil { // allowed while up
		t.Fatal(err)
	}
	if taps.open["tap3"] {
		t.Errorf("tap3 still open after destroy")
	}
}

func TestAddresses(t *testing.T) {
	k := newKernel(t, Options{})
	if err := k.Create("virt0"); err != nil {
		t.Fatal(err)
	}
	// The first address brings the interface up.
	if err := k.AddAddr("virt0", api.IfAddr{Addr: "10.0.0.2/24"}); err != nil {
		t.Fatal(err)
	}
	v, _ := k.Interface("virt0")
	if v.Flags&api.IFF_UP == 0 {
		t.Errorf("flags %#x: want UP after first address", v.Flags)
	}
	if len(v.Inet) != 1 || v.Inet[0].Broadcast != "10.0.0.255" {
		t.Fatalf("inet: got %+v, want 10.0.0.2/24 broadcast 10.0.0.255", v.Inet)
	}
	if err := k.AddAddr("virt0", api.IfAddr{Addr: "10.1.0.2/16", Replace: "10.0.0.2/24"}); err != nil {
		t.Fatal(err)
	}
	if err := k.AddAddr("virt0", api.IfAddr{Addr: "10.2.0.2/31"}); err != nil {
		t.Fatal(err)
	}
	v, _ = k.Interface("virt0")
	if len(v.Inet) != 2 || v.Inet[0].Addr != "10.1.0.2/16" || v.Inet[0].Broadcast != "10.1.255.255" || v.Inet[1].Broadcast != "" {
		t.Errorf("after replace and add: got %+v", v.Inet)
	}
	wantErrno(t, k.DelAddr("virt0", "10.9.9.9"), syscall.EADDRNOTAVAIL)
	wantErrno(t, k.AddAddr("virt0", api.IfAddr{Addr: "10.3.0.1/24", Dest: "10.3.0.2"}), syscall.EINVAL)
	wantErrno(t, k.AddAddr("virt0", api.IfAddr{Addr: "fc00::1/64", Broadcast: "10.0.0.255"}), syscall.EINVAL)
	wantErrno(t, k.AddAddr("virt0", api.IfAddr{Addr: "nonsense"}), syscall.EINVAL)
	wantErrno(t, k.AddAddr("lo0", api.IfAddr{Addr: "127.0.0.2/8", Broadcast: "127.255.255.255"}), syscall.EINVAL)
	if err := k.DelAddr("virt0", "10.1.0.2/16"); err != nil {
		t.Fatal(err)
	}
	v, _ = k.Interface("virt0")
	if len(v.Inet) != 1 || v.Inet[0].Addr != "10.2.0.2/31" {
		t.Errorf("after delete: got %+v", v.Inet)
	}
}

// linkedKernels returns two kernels whose virt0 interfaces share a wire.
func linkedKernels(t *testing.T) (*Kernel, *Kernel) {
	t.Helper()
	a, b := framepipe.New()
	return linkedKernelsOver(t, a, b)
}

// linkedKernelsOver is linkedKernels with the wire's two ends given.
func linkedKernelsOver(t *testing.T, a, b FrameDevice) (*Kernel, *Kernel) {
	t.Helper()
	open := func(dev FrameDevice) func(string) (FrameDevice, error) {
		return func(string) (FrameDevice, error) { return dev, nil }
	}
	ka := newKernel(t, Options{OpenTap: open(a)})
	kb := newKernel(t, Options{OpenTap: open(b)})
	for i, k := range []*Kernel{ka, kb} {
		if err := k.Create("virt0"); err != nil {
			t.Fatal(err)
		}
		if err := k.AddAddr("virt0", api.IfAddr{Addr: []string{"10.0.0.1/24", "10.0.0.2/24"}[i]}); err != nil {
			t.Fatal(err)
		}
		if err := k.AddAddr("virt0", api.IfAddr{Addr: []string{"fc00::1/64", "fc00::2/64"}[i]}); err != nil {
			t.Fatal(err)
		}
	}
	return ka, kb
}

// waitAssigned polls until no address of the kernel's virt0 is tentative.
func waitAssigned(t *testing.T, k *Kernel) {
	t.Helper()
	waitUsable(t, k, "virt0")
}

func TestTCPBetweenKernels(t *testing.T) {
	ka, kb := linkedKernels(t)
	waitAssigned(t, ka)
	waitAssigned(t, kb)
	tests := []struct {
		name  string
		proto tcpip.NetworkProtocolNumber
		dst   string
		port  uint16
	}{
		{"inet", ipv4.ProtocolNumber, "10.0.0.2", 7},
		{"inet6", ipv6.ProtocolNumber, "fc00::2", 8},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := gonet.ListenTCP(kb.Stack(), tcpip.FullAddress{Port: tt.port}, tt.proto)
			if err != nil {
				t.Fatal(err)
			}
			defer l.Close()
			done := make(chan string, 1)
			go func() {
				c, err := l.Accept()
				if err != nil {
					done <- err.Error()
					return
				}
				defer c.Close()
				b, _ := io.ReadAll(c)
				done <- string(b)
			}()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			c, err := gonet.DialContextTCP(ctx, ka.Stack(), tcpip.FullAddress{
				Addr: tcpip.AddrFromSlice(mustAddr(t, tt.dst)), Port: tt.port,
			}, tt.proto)
			if err != nil {
				t.Fatal(err)
			}
			msg := strings.Repeat("rumpnet ", 4096)
			c.Write([]byte(msg))
			c.Close()
			if got := <-done; got != msg {
				t.Errorf("got %d bytes, want %d", len(got), len(msg))
			}
		})
	}
	va, _ := ka.Interface("virt0")
	if va.Stats.OPackets < 40 || va.Stats.IPackets < 10 || va.Stats.IMcasts == 0 {
		t.Errorf("counters not moving: %+v", va.Stats)
	}
	if err := ka.ZeroStats("virt0"); err != nil {
		t.Fatal(err)
	}
	// A stray neighbour or MLD packet may arrive between zeroing and
	// reading, but not the transfers' dozens.
	va, _ = ka.Interface("virt0")
	if va.Stats.IPackets > 3 || va.Stats.OPackets > 3 || va.Stats.IBytes > 500 || va.Stats.OBytes > 500 {
		t.Errorf("after zero: %+v", va.Stats)
	}
}

func mustAddr(t *testing.T, s string) []byte {
	t.Helper()
	a, err := ParseAddr(s)
	if err != nil {
		t.Fatal(err)
	}
	return a.Addr().AsSlice()
}

func TestReceiveFilter(t *testing.T) {
	taps := newTapSet()
	k := newKernel(t, Options{OpenTap: taps.openTap, Components: []string{"rumpnet_virtif"}})
	if err := k.Create("virt0"); err != nil {
		t.Fatal(err)
	}
	peer := taps.peers["tap0"]
	frame := func(dst []byte) []byte {
		f := make([]byte, 60)
		copy(f, dst)
		copy(f[6:], []byte{2, 0, 0, 0, 0, 1})
		f[12], f[13] = 0x88, 0xb5 // local experimental ethertype
		return f
	}
	v, _ := k.Interface("virt0")
	own := []byte(macBytes(v.Address))
	send := func(dst []byte) {
		peer.Write(frame(dst))
		time.Sleep(10 * time.Millisecond)
	}
	send([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}) // dropped: not RUNNING
	if err := k.SetFlags("virt0", api.IFF_UP); err != nil {
		t.Fatal(err)
	}
	send([]byte{2, 9, 9, 9, 9, 9})                   // dropped: someone else's
	send(own)                                        // taken
	send([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}) // taken, multicast
	send([]byte{0x33, 0x33, 0, 0, 0, 1})             // taken, multicast
	deadline := time.Now().Add(5 * time.Second)
	for {
		v, _ = k.Interface("virt0")
		if v.Stats.IPackets >= 3 || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if v.Stats.IPackets != 3 || v.Stats.IMcasts != 2 || v.Stats.IBytes != 180 {
		t.Errorf("got %+v, want 3 packets, 180 bytes, 2 multicasts", v.Stats)
	}
}

func macBytes(s string) string {
	var b []byte
	for _, h := range strings.Split(s, ":") {
		var v byte
		for _, c := range h {
			v = v<<4 | byte(strings.IndexRune("0123456789abcdef", c))
		}
		b = append(b, v)
	}
	return string(b)
}

func TestCreateDestroyDoesNotLeak(t *testing.T) {
	k := newKernel(t, Options{})
	cycle := func() {
		if err := k.Create("virt0"); err != nil {
			t.Fatal(err)
		}
		if err := k.AddAddr("virt0", api.IfAddr{Addr: "10.0.0.1/24"}); err != nil {
			t.Fatal(err)
		}
		if err := k.Destroy("virt0"); err != nil {
			t.Fatal(err)
		}
	}
	cycle()
	before := runtime.NumGoroutine()
	for i := 0; i < 100; i++ {
		cycle()
	}
	time.Sleep(50 * time.Millisecond)
	if after := runtime.NumGoroutine(); after > before+2 {
		t.Errorf("goroutines: got %d after 100 cycles, want at most %d", after, before+2)
	}
}

func TestAddressEdgeCases(t *testing.T) {
	k := newKernel(t, Options{})
	if err := k.Create("virt0"); err != nil {
		t.Fatal(err)
	}
	if err := k.SetLinkstr("virt0", ""); err != nil {
		t.Fatal(err)
	}
	// The address would bring the interface up, which cannot work without
	// a tap: nothing may be left behind.
	wantErrno(t, k.AddAddr("virt0", api.IfAddr{Addr: "10.0.0.2/24"}), syscall.ENXIO)
	if v, _ := k.Interface("virt0"); len(v.Inet) != 0 {
		t.Errorf("after a failed add: got %+v, want no address", v.Inet)
	}
	if err := k.SetLinkstr("virt0", "tap0"); err != nil {
		t.Fatal(err)
	}
	for _, a := range []string{"10.0.0.2/24", "10.1.0.1/16", "10.0.0.2/25"} {
		if err := k.AddAddr("virt0", api.IfAddr{Addr: a}); err != nil {
			t.Fatal(err)
		}
	}
	v, _ := k.Interface("virt0")
	if len(v.Inet) != 2 || v.Inet[0].Addr != "10.0.0.2/25" || v.Inet[1].Addr != "10.1.0.1/16" {
		t.Errorf("updating an address: got %+v, want 10.0.0.2/25 still first", v.Inet)
	}
	if err := k.AddAddr("virt0", api.IfAddr{Addr: "fc00::5/64", Flags: api.IN6_IFF_NODAD}); err != nil {
		t.Fatal(err)
	}
	v, _ = k.Interface("virt0")
	for _, a := range v.Inet6 {
		if a.Flags&api.IN6_IFF_NODAD != 0 {
			t.Errorf("%s: NODAD on a virt interface, which does DAD", a.Addr)
		}
	}
	wantErrno(t, k.AddAddr("virt0", api.IfAddr{Addr: "10.5.0.1/24", Flags: api.IN6_IFF_ANYCAST}), syscall.EINVAL)
	vl, pl := uint32(10), uint32(20)
	wantErrno(t, k.AddAddr("virt0", api.IfAddr{Addr: "fc00::6/64", Pltime: &pl, Vltime: &vl}), syscall.EINVAL)
	wantErrno(t, k.AddAddr("virt0", api.IfAddr{Addr: "fc00::6/64", Vltime: &vl}), syscall.EINVAL) // pltime infinite
	zero := uint32(0)
	if err := k.AddAddr("virt0", api.IfAddr{Addr: "fc00::6/64", Pltime: &zero, Vltime: &zero}); err != nil {
		t.Errorf("vltime 0 on a new address: got %v, want nothing done", err)
	}
	if err := k.AddAddr("virt0", api.IfAddr{Addr: "fc00::5/64", Pltime: &zero, Vltime: &zero}); err != nil {
		t.Fatal(err)
	}
	v, _ = k.Interface("virt0")
	for _, a := range v.Inet6 {
		if a.Addr == "fc00::5/64" || a.Addr == "fc00::6/64" {
			t.Errorf("vltime 0: %s still listed", a.Addr)
		}
	}
	wantErrno(t, k.SetCapabilities("virt0", api.IFCAP_CSUM_IPv4_Tx), syscall.EINVAL)
	if err := k.SetCapabilities("virt0", 0); err != nil {
		t.Errorf("turning no capabilities on: %v", err)
	}
}

func TestLifetimes(t *testing.T) {
	k := newKernel(t, Options{})
	if err := k.Create("virt0"); err != nil {
		t.Fatal(err)
	}
	pl, vl := uint32(1), uint32(2)
	if err := k.AddAddr("virt0", api.IfAddr{Addr: "fc00::9/64", Pltime: &pl, Vltime: &vl}); err != nil {
		t.Fatal(err)
	}
	find := func() *api.IfAddr {
		v, _ := k.Interface("virt0")
		for _, a := range v.Inet6 {
			if a.Addr == "fc00::9/64" {
				return &a
			}
		}
		return nil
	}
	a := find()
	if a == nil || a.Pltime == nil || *a.Pltime != 1 || *a.Vltime != 2 || a.Flags&api.IN6_IFF_DEPRECATED != 0 {
		t.Fatalf("new address: got %+v, want pltime 1 vltime 2, not deprecated", a)
	}
	deadline := time.Now().Add(10 * time.Second)
	for a := find(); a != nil && a.Flags&api.IN6_IFF_DEPRECATED == 0; a = find() {
		if time.Now().After(deadline) {
			t.Fatal("never deprecated")
		}
		time.Sleep(50 * time.Millisecond)
	}
	for find() != nil {
		if time.Now().After(deadline) {
			t.Fatal("never removed")
		}
		time.Sleep(50 * time.Millisecond)
	}
	// deprecated and -deprecated by hand, changed in place.
	if err := k.AddAddr("virt0", api.IfAddr{Addr: "fc00::a/64", Flags: api.IN6_IFF_DEPRECATED}); err != nil {
		t.Fatal(err)
	}
	v, _ := k.Interface("virt0")
	if got := v.Inet6[len(v.Inet6)-1]; got.Flags&api.IN6_IFF_DEPRECATED == 0 {
		t.Errorf("deprecated: got flags %#x", got.Flags)
	}
	if err := k.AddAddr("virt0", api.IfAddr{Addr: "fc00::a/64"}); err != nil {
		t.Fatal(err)
	}
	v, _ = k.Interface("virt0")
	if got := v.Inet6[len(v.Inet6)-1]; got.Flags&api.IN6_IFF_DEPRECATED != 0 {
		t.Errorf("-deprecated: got flags %#x", got.Flags)
	}
}

func TestNoARP(t *testing.T) {
	ka, kb := linkedKernels(t)
	v, _ := ka.Interface("virt0")
	if err := ka.SetFlags("virt0", v.Flags|api.IFF_NOARP); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := gonet.DialContextTCP(ctx, kb.Stack(), tcpip.FullAddress{
		Addr: tcpip.AddrFromSlice(mustAddr(t, "10.0.0.1")), Port: 9,
	}, ipv4.ProtocolNumber)
	if err == nil || ctx.Err() != nil {
		t.Fatalf("dial to an interface without ARP: got %v (context %v), want a resolution failure", err, ctx.Err())
	}
	v, _ = ka.Interface("virt0")
	if err := ka.SetFlags("virt0", v.Flags&^api.IFF_NOARP); err != nil {
		t.Fatal(err)
	}
	ctx2, cancel2 := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel2()
	_, err = gonet.DialContextTCP(ctx2, kb.Stack(), tcpip.FullAddress{
		Addr: tcpip.AddrFromSlice(mustAddr(t, "10.0.0.1")), Port: 9,
	}, ipv4.ProtocolNumber)
	if err == nil || !strings.Contains(err.Error(), "refused") {
		t.Errorf("dial with ARP back on: got %v, want connection refused (the host answered)", err)
	}
}

func TestLinkAddresses(t *testing.T) {
	taps := newTapSet()
	ka := newKernel(t, Options{OpenTap: taps.openTap})
	if err := ka.Create("virt0"); err != nil {
		t.Fatal(err)
	}
	if err := ka.AddAddr("virt0", api.IfAddr{Addr: "10.0.0.1/24"}); err != nil {
		t.Fatal(err)
	}
	wire := taps.peers["tap0"]
	v, _ := ka.Interface("virt0")
	first := v.Address
	const next = "b2:0a:00:0b:0e:77"
	if err := ka.AddLinkAddr("virt0", next, false); err != nil {
		t.Fatal(err)
	}
	v, _ = ka.Interface("virt0")
	if v.Address != first || len(v.LinkAddrs) != 1 || v.LinkAddrs[0].Addr != next {
		t.Fatalf("inactive add: got address %s links %+v", v.Address, v.LinkAddrs)
	}
	if err := ka.AddLinkAddr("virt0", next, true); err != nil {
		t.Fatal(err)
	}
	v, _ = ka.Interface("virt0")
	if v.Address != next || len(v.LinkAddrs) != 1 || v.LinkAddrs[0].Addr != first {
		t.Fatalf("activate: got address %s links %+v", v.Address, v.LinkAddrs)
	}
	wantErrno(t, ka.DelLinkAddr("virt0", next), syscall.EBUSY)
	wantErrno(t, ka.DelLinkAddr("virt0", "02:00:00:00:00:09"), syscall.EADDRNOTAVAIL)
	wantErrno(t, ka.AddLinkAddr("virt0", "01:00:5e:00:00:01", true), syscall.EINVAL)
	// Activation announced the new address: a broadcast ARP request from
	// the new MAC whose sender and target are 10.0.0.1.
	newMAC, _ := ParseMAC(next)
	found := make(chan bool, 1)
	go func() {
		buf := make([]byte, 1600)
		for {
			n, err := wire.Read(buf)
			if err != nil {
				found <- false
				return
			}
			f := buf[:n]
			if n >= 42 && f[12] == 0x08 && f[13] == 0x06 && string(f[6:12]) == string(newMAC) &&
				string(f[28:32]) == "\x0a\x00\x00\x01" && string(f[38:42]) == "\x0a\x00\x00\x01" {
				found <- true
				return
			}
		}
	}()
	select {
	case ok := <-found:
		if !ok {
			t.Fatal("wire closed before the gratuitous ARP")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no gratuitous ARP from the new link address")
	}
	if err := ka.DelLinkAddr("virt0", first); err != nil {
		t.Fatal(err)
	}
}

func TestDuplicateAddressDetection(t *testing.T) {
	ka, kb := linkedKernels(t)
	waitAssigned(t, ka)
	if err := ka.AddAddr("virt0", api.IfAddr{Addr: "fc00::77/64"}); err != nil {
		t.Fatal(err)
	}
	waitAssigned(t, ka)
	if err := kb.AddAddr("virt0", api.IfAddr{Addr: "fc00::77/64"}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		v, _ := kb.Interface("virt0")
		flags := -1
		for _, a := range v.Inet6 {
			if a.Addr == "fc00::77/64" {
				flags = a.Flags
			}
		}
		if flags&api.IN6_IFF_DUPLICATED != 0 && flags != -1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("second holder of fc00::77: flags %#x, want DUPLICATED", flags)
		}
		time.Sleep(20 * time.Millisecond)
	}
	v, _ := ka.Interface("virt0")
	for _, a := range v.Inet6 {
		if a.Addr == "fc00::77/64" && a.Flags != 0 {
			t.Errorf("first holder: flags %#x, want 0", a.Flags)
		}
	}
	// A duplicated address can be deleted like any other.
	if err := kb.DelAddr("virt0", "fc00::77"); err != nil {
		t.Errorf("delete duplicated address: %v", err)
	}
}

func tunable(t *testing.T, name string) Tunable {
	t.Helper()
	for _, tu := range Tunables() {
		if tu.Name == name {
			return tu
		}
	}
	t.Fatalf("no tunable %s", name)
	return Tunable{}
}

func TestTunablesRoundTrip(t *testing.T) {
	k := newKernel(t, Options{})
	tests := []struct {
		name      string
		def, set  int
		badValues []int
	}{
		{"net.inet.ip.ttl", 64, 33, []int{0, 256}},
		{"net.inet6.ip6.hlim", 64, 17, []int{0, 300}},
		{"net.inet.ip.forwarding", 1, 0, nil},
		{"net.inet6.ip6.forwarding", 0, 1, nil},
		{"net.inet.ip.dad_count", 3, 2, []int{-1, 11}},
		{"net.inet6.ip6.dad_count", 1, 0, []int{-1}},
		{"net.inet6.ip6.neighborgcthresh", 2048, 5, nil},
		{"net.inet.arp.keep", 1200, 30, []int{0}},
		{"net.inet.icmp.errppslimit", 100, 0, []int{-5}},
		{"net.inet.tcp.sendspace", 0, 65536, []int{10}},
		{"net.inet.tcp.recvspace", 0, 131072, []int{10}},
		{"net.inet.udp.sendspace", 0, 9216, []int{10}},
		{"net.inet.udp.recvspace", 0, 41600, []int{10}},
		{"net.shmif.bussize", 1 << 20, 4 << 20, []int{-1, 0, 65536 - 4096, 65536 + 8, 256<<20 + 4096}},
	}
	for _, tt := range tests {
		tu := tunable(t, tt.name)
		if tt.def != 0 {
			if got := tu.Get(k); got != tt.def {
				t.Errorf("%s default: got %d, want %d", tt.name, got, tt.def)
			}
		}
		if err := tu.Set(k, tt.set); err != nil {
			t.Errorf("%s = %d: %v", tt.name, tt.set, err)
		}
		if got := tu.Get(k); got != tt.set {
			t.Errorf("%s after set: got %d, want %d", tt.name, got, tt.set)
		}
		for _, bad := range tt.badValues {
			if err := tu.Set(k, bad); !errors.Is(err, syscall.EINVAL) {
				t.Errorf("%s = %d: got %v, want EINVAL", tt.name, bad, err)
			}
		}
	}
	if tunable(t, "net.inet.tcp.mssdflt").Set != nil {
		t.Errorf("net.inet.tcp.mssdflt should be read-only")
	}
	names := []string{}
	for _, tu := range Tunables() {
		names = append(names, tu.Name)
	}
	if !sortedStrings(names) {
		t.Errorf("tunables not sorted: %v", names)
	}
}

func sortedStrings(s []string) bool {
	for i := 1; i < len(s); i++ {
		if s[i-1] > s[i] {
			return false
		}
	}
	return true
}

func TestInetDAD(t *testing.T) {
	ka, kb := linkedKernels(t) // ka 10.0.0.1, kb 10.0.0.2, added without DAD
	if err := tunable(t, "net.inet.ip.dad_count").Set(kb, 1); err != nil {
		t.Fatal(err)
	}
	for _, a := range []string{"10.0.0.1/24", "10.0.0.9/24"} {
		if err := kb.AddAddr("virt0", api.IfAddr{Addr: a, Replace: "10.0.0.2/24"}); err != nil {
			t.Fatal(err)
		}
		want := 0
		if a == "10.0.0.1/24" {
			want = api.IN_IFF_DUPLICATED // ka holds it
		}
		// ka may answer the first probe before the address is read back.
		v, _ := kb.Interface("virt0")
		if f := v.Inet[0].Flags; v.Inet[0].Addr != a || (f != api.IN_IFF_TENTATIVE && (want == 0 || f != want)) {
			t.Fatalf("%s right after adding: got %+v, want TENTATIVE", a, v.Inet)
		}
		deadline := time.Now().Add(10 * time.Second)
		for {
			v, _ = kb.Interface("virt0")
			if v.Inet[0].Flags == want {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: flags %#x, want %#x", a, v.Inet[0].Flags, want)
			}
			time.Sleep(20 * time.Millisecond)
		}
		if want == 0 {
			// The address that passed DAD answers.
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			_, err := gonet.DialContextTCP(ctx, ka.Stack(), tcpip.FullAddress{
				Addr: tcpip.AddrFromSlice(mustAddr(t, "10.0.0.9")), Port: 9,
			}, ipv4.ProtocolNumber)
			cancel()
			if err == nil || !strings.Contains(err.Error(), "refused") {
				t.Errorf("dial 10.0.0.9 after DAD: got %v, want connection refused", err)
			}
		}
		// Put 10.0.0.2 back for the next round.
		if err := kb.AddAddr("virt0", api.IfAddr{Addr: "10.0.0.2/24", Replace: a}); err != nil {
			t.Fatal(err)
		}
	}
}

func TestARPKeepAgesEntries(t *testing.T) {
	ka, kb := linkedKernels(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	gonet.DialContextTCP(ctx, kb.Stack(), tcpip.FullAddress{Addr: tcpip.AddrFromSlice(mustAddr(t, "10.0.0.1")), Port: 9}, ipv4.ProtocolNumber)
	has := func() bool {
		nb, _ := kb.Stack().Neighbors(2, ipv4.ProtocolNumber)
		return len(nb) > 0
	}
	if !has() {
		t.Fatal("no ARP entry after traffic")
	}
	if err := tunable(t, "net.inet.arp.keep").Set(kb, 1); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for has() {
		if time.Now().After(deadline) {
			t.Fatal("ARP entry still there 10 s after net.inet.arp.keep=1")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if v, _ := ka.Interface("virt0"); v.Name != "virt0" {
		t.Fatal("peer kernel gone")
	}
}

// TestDADAfterDownUp brings an interface down and up again and again: each
// time IPv6 DAD starts over, and its first probe is sent at once from
// another goroutine. An address whose probe could not be sent stays
// tentative for good, which is what happened when the probe beat the
// interface to running.
func TestDADAfterDownUp(t *testing.T) {
	ka, _ := linkedKernels(t)
	// Probes a millisecond apart, so that each round's DAD ends at once.
	err := ka.withInterface("virt0", func(ifp *Interface) error {
		ep, err := ka.stack.GetNetworkEndpoint(ifp.nic, ipv6.ProtocolNumber)
		if err != nil {
			return errors.New(err.String())
		}
		ep.(interface {
			SetDADConfigurations(stack.DADConfigurations)
		}).SetDADConfigurations(stack.DADConfigurations{DupAddrDetectTransmits: 1, RetransmitTimer: time.Millisecond})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	tentative := func() bool {
		v, err := ka.Interface("virt0")
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range v.Inet6 {
			if a.Addr == "fc00::1/64" {
				return a.Flags&api.IN6_IFF_TENTATIVE != 0
			}
		}
		t.Fatalf("fc00::1 gone: %+v", v.Inet6)
		return false
	}
	v, _ := ka.Interface("virt0")
	up := v.Flags | api.IFF_UP
	for i := range 1000 {
		if err := ka.SetFlags("virt0", up&^api.IFF_UP); err != nil {
			t.Fatal(err)
		}
		if err := ka.SetFlags("virt0", up); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(5 * time.Second)
		for tentative() {
			if time.Now().After(deadline) {
				t.Fatalf("round %d: fc00::1 still tentative 5 s after up", i)
			}
			time.Sleep(time.Millisecond)
		}
	}
}
