package rump

import (
	"errors"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/rumpnet/rumpnet/pkg/api"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv6"
)

// inet6Enabled reports whether the interface's IPv6 endpoint is enabled.
func inet6Enabled(t *testing.T, k *Kernel, name string) bool {
	t.Helper()
	var on bool
	err := k.withInterface(name, func(ifp *Interface) error {
		ep, err := k.stack.GetNetworkEndpoint(ifp.nic, ipv6.ProtocolNumber)
		if err != nil {
			t.Fatalf("%s: no IPv6 endpoint: %v", name, err)
		}
		on = ep.Enabled()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return on
}

func linkLocals(t *testing.T, k *Kernel, name string) int {
	t.Helper()
	v, err := k.Interface(name)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, a := range v.Inet6 {
		if len(a.Addr) > 4 && a.Addr[:5] == "fe80:" {
			n++
		}
	}
	return n
}

// TestSmallMTUCarriesNoInet6 checks that an interface whose MTU is below
// IPv6's minimum of 1280 never wedges the kernel (gVisor's MLDv2 report
// builder loops forever on such a link) and carries no IPv6 while its MTU
// is small, as NetBSD's in6_ifattach decides.
func TestSmallMTUCarriesNoInet6(t *testing.T) {
	up := func(k *Kernel, name string) error {
		v, err := k.Interface(name)
		if err != nil {
			return err
		}
		return k.SetFlags(name, v.Flags|api.IFF_UP)
	}
	down := func(k *Kernel, name string) error {
		v, err := k.Interface(name)
		if err != nil {
			return err
		}
		return k.SetFlags(name, v.Flags&^api.IFF_UP)
	}
	mtu := func(n int) func(*Kernel, string) error {
		return func(k *Kernel, name string) error { return k.SetMTU(name, n) }
	}
	addr := func(a string) func(*Kernel, string) error {
		return func(k *Kernel, name string) error { return k.AddAddr(name, api.IfAddr{Addr: a}) }
	}
	type step func(*Kernel, string) error
	tests := []struct {
		name       string
		ifname     string
		steps      []step
		wantInet6  bool
		wantLLAddr int
	}{
		{"virt mtu 1000 then up", "virt0", []step{mtu(1000), up}, false, 0},
		{"virt mtu 46 then up", "virt0", []step{mtu(46), up}, false, 0},
		{"virt mtu 1279 then up", "virt0", []step{mtu(1279), up}, false, 0},
		{"virt mtu 1280 then up", "virt0", []step{mtu(1280), up}, true, 1},
		{"virt mtu 1000 then inet6 address", "virt0", []step{mtu(1000), addr("fc00::1/64")}, false, 0},
		{"virt inet6 address (up), mtu 1000", "virt0", []step{addr("fc00::1/64"), mtu(1000), up}, false, 1},
		{"virt up then mtu 1000", "virt0", []step{addr("fc00::1/64"), up, mtu(1000)}, false, 1},
		{"virt lowered, down and up", "virt0", []step{up, mtu(1000), down, up}, false, 1},
		{"virt raised while up", "virt0", []step{mtu(1000), up, mtu(1500)}, true, 0},
		{"virt raised, then down and up", "virt0", []step{mtu(1000), up, mtu(1500), down, up}, true, 1},
		{"virt raised while down", "virt0", []step{mtu(1000), mtu(1500), up}, true, 1},
		{"shmif mtu 1000 then up", "shmif0", []step{mtu(1000), up}, false, 0},
		{"shmif up then mtu 1000", "shmif0", []step{up, mtu(1000)}, false, 1},
		{"lo mtu 576", "lo1", []step{mtu(576)}, false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, err := New(Options{OpenTap: newTapSet().openTap})
			if err != nil {
				t.Fatal(err)
			}
			steps := append([]step{func(k *Kernel, name string) error { return k.Create(name) }}, tt.steps...)
			if tt.ifname == "shmif0" {
				bus := filepath.Join(t.TempDir(), "bus")
				steps = append(steps[:1], append([]step{func(k *Kernel, name string) error {
					return k.SetLinkstr(name, bus)
				}}, steps[1:]...)...)
			}
			done := make(chan error, 1)
			go func() {
				for _, s := range steps {
					if err := s(k, tt.ifname); err != nil {
						done <- err
						return
					}
				}
				_, err := k.Interface(tt.ifname) // the kernel still answers
				done <- err
			}()
			select {
			case err := <-done:
				if err != nil {
					t.Fatal(err)
				}
			case <-time.After(20 * time.Second):
				// The kernel is wedged: leave it, Close would wedge too.
				t.Fatalf("the steps did not return within 20 s")
			}
			defer k.Close()
			if got := inet6Enabled(t, k, tt.ifname); got != tt.wantInet6 {
				t.Errorf("IPv6 enabled: got %v, want %v", got, tt.wantInet6)
			}
			if got := linkLocals(t, k, tt.ifname); got != tt.wantLLAddr {
				t.Errorf("link-local addresses: got %d, want %d", got, tt.wantLLAddr)
			}
		})
	}
}

// TestLoopbackSurvivesSecondLoopback checks that creating lo1 takes
// nothing from lo0: lo1 has no address until given one, and 127.0.0.1 and
// ::1 still answer.
func TestLoopbackSurvivesSecondLoopback(t *testing.T) {
	k := newKernel(t, Options{})
	if err := k.Create("lo1"); err != nil {
		t.Fatal(err)
	}
	v, err := k.Interface("lo1")
	if err != nil {
		t.Fatal(err)
	}
	if len(v.Inet) != 0 || len(v.Inet6) != 0 {
		t.Errorf("lo1 addresses: got %v %v, want none", v.Inet, v.Inet6)
	}
	for _, step := range []string{"create lo1", "create lo2", "destroy lo1"} {
		switch step {
		case "create lo2":
			if err := k.Create("lo2"); err != nil {
				t.Fatal(err)
			}
		case "destroy lo1":
			if err := k.Destroy("lo1"); err != nil {
				t.Fatal(err)
			}
		}
		for _, dst := range []string{"127.0.0.1", "::1"} {
			evs := pingAll(t, k, api.PingRequest{Dst: dst, Count: 2, Interval: 0.01, Size: 56})
			if got := countTypes(evs)[api.PingReply]; got != 2 {
				t.Errorf("ping %s after %s: got %d replies (%+v), want 2", dst, step, got, evs)
			}
		}
	}
}

// TestCreateMalformedNames checks that every malformed interface name is
// refused with EINVAL, as NetBSD's cloner lookup refuses it, before
// anything is made: no interface, no NIC, no host tap opened.
func TestCreateMalformedNames(t *testing.T) {
	tests := []struct{ name, why string }{
		{"", "empty"},
		{"virt", "no unit"},
		{"0", "no cloner"},
		{"virt01", "unit with a leading zero"},
		{"virt00", "unit with a leading zero"},
		{"virt99999999", "huge unit"},
		{"virt18446744073709551617", "unit beyond 64 bits"},
		{"virtabcdefghij0", "15 characters, no cloner"},
		{"virt01234567890", "15 characters, leading zero"},
		{"abcdefghijklmn01", "16 characters"},
		{"virt\xff0", "non-ASCII byte"},
		{"virté0", "non-ASCII letter"},
		{"virt0\x00", "NUL byte"},
		{"virt0 ", "trailing space"},
		{"vir.t0", "dot"},
		{"virt-1", "sign"},
		{"Virt0", "upper case"},
		{"foo0", "unknown cloner"},
	}
	for _, tt := range tests {
		t.Run(tt.why, func(t *testing.T) {
			opened := 0
			k := newKernel(t, Options{OpenTap: func(string) (FrameDevice, error) {
				opened++
				return nil, syscall.ENXIO
			}})
			before := len(k.stack.NICInfo())
			err := k.Create(tt.name)
			if !errors.Is(err, syscall.EINVAL) {
				t.Errorf("Create(%q): got %v, want EINVAL", tt.name, err)
			}
			if got := k.Interfaces(); len(got) != 1 {
				t.Errorf("Create(%q): got %d interfaces, want only lo0", tt.name, len(got))
			}
			if got := len(k.stack.NICInfo()); got != before {
				t.Errorf("Create(%q): got %d NICs, want %d", tt.name, got, before)
			}
			if opened != 0 {
				t.Errorf("Create(%q): got %d taps opened, want 0", tt.name, opened)
			}
			if err := k.Destroy(tt.name); !errors.Is(err, syscall.EINVAL) {
				t.Errorf("Destroy(%q): got %v, want EINVAL", tt.name, err)
			}
		})
	}
}

// TestInet6ComesBackWithMTU checks that IPv6 traffic stops while an
// interface's MTU is below 1280 and flows again once it is raised, while
// IPv4 flows throughout.
func TestInet6ComesBackWithMTU(t *testing.T) {
	ka, kb := linkedKernels(t)
	waitAssigned(t, ka)
	waitAssigned(t, kb)
	replies := func(dst string) int {
		evs := pingAll(t, ka, api.PingRequest{Dst: dst, Count: 1, Wait: 1, Size: 56})
		return countTypes(evs)[api.PingReply]
	}
	steps := []struct {
		mtu       int
		want4     int
		want6     int
		waitInet6 bool
	}{
		{1500, 1, 1, false},
		{1000, 1, 0, false},
		{1500, 1, 1, true},
	}
	for _, s := range steps {
		if err := ka.SetMTU("virt0", s.mtu); err != nil {
			t.Fatal(err)
		}
		if s.waitInet6 {
			waitAssigned(t, ka)
		}
		if got := replies("10.0.0.2"); got != s.want4 {
			t.Errorf("mtu %d: ping 10.0.0.2: got %d replies, want %d", s.mtu, got, s.want4)
		}
		if got := replies("fc00::2"); got != s.want6 {
			t.Errorf("mtu %d: ping fc00::2: got %d replies, want %d", s.mtu, got, s.want6)
		}
	}
}
