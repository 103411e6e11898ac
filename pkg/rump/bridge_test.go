package rump

import (
	"errors"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/rumpnet/rumpnet/pkg/api"
)

// shmifKernel boots a kernel whose shmif0 is on bus with addr (and up).
func shmifKernel(t *testing.T, bus, addr string) *Kernel {
	t.Helper()
	k := newKernel(t, Options{})
	for _, err := range []error{k.Create("shmif0"), k.SetLinkstr("shmif0", bus), k.AddAddr("shmif0", api.IfAddr{Addr: addr})} {
		if err != nil {
			t.Fatal(err)
		}
	}
	return k
}

func TestBridgeJoinsTwoBuses(t *testing.T) {
	dir := t.TempDir()
	bus1, bus2 := filepath.Join(dir, "bus1"), filepath.Join(dir, "bus2")
	ka := shmifKernel(t, bus1, "10.9.0.1/24")
	shmifKernel(t, bus2, "10.9.0.3/24")
	kb := newKernel(t, Options{})
	for _, err := range []error{
		kb.Create("shmif0"), kb.SetLinkstr("shmif0", bus1), kb.SetFlags("shmif0", api.IFF_UP),
		kb.Create("shmif1"), kb.SetLinkstr("shmif1", bus2), kb.SetFlags("shmif1", api.IFF_UP),
		kb.Create("bridge0"),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	unanswered := func() bool {
		evs := pingAll(t, ka, api.PingRequest{Dst: "10.9.0.3", Count: 1, Wait: 1})
		return countTypes(evs)[api.PingReply] == 0
	}
	if !unanswered() {
		t.Fatal("A reached C without a bridge")
	}
	add := func(m string) error { return kb.Bridge("bridge0", api.BridgeRequest{Op: api.BridgeAdd, Member: m}) }
	for _, m := range []string{"shmif0", "shmif1"} {
		if err := add(m); err != nil {
			t.Fatal(err)
		}
	}
	if err := kb.SetFlags("bridge0", api.IFF_UP); err != nil {
		t.Fatal(err)
	}
	// The first ping may be lost with the resolution that failed before
	// the bridge existed (it ends after its last probe).
	reached := false
	for i := 0; i < 10 && !reached; i++ {
		reached = !unanswered()
	}
	if !reached {
		t.Fatal("A cannot reach C through the bridge")
	}
	st, err := kb.BridgeStatus("bridge0")
	if err != nil || st.Flags != api.IFF_UP|api.IFF_RUNNING || len(st.Members) != 2 || st.Members[0].Name != "shmif1" || len(st.Cache) < 2 {
		t.Errorf("status: got %+v, %v", st, err)
	}
	m, _ := kb.Interface("shmif0")
	if m.Flags&api.IFF_PROMISC == 0 {
		t.Errorf("member flags %#x: want PROMISC", m.Flags)
	}

	kb.Create("bridge1")
	kb.Create("virt0")
	wantErrno(t, add("shmif0"), syscall.EEXIST)
	wantErrno(t, add("shmif9"), syscall.ENOENT)
	wantErrno(t, add("lo0"), syscall.EINVAL)
	wantErrno(t, kb.Bridge("bridge1", api.BridgeRequest{Op: api.BridgeAdd, Member: "shmif0"}), syscall.EBUSY)
	wantErrno(t, kb.Bridge("bridge0", api.BridgeRequest{Op: api.BridgeDelete, Member: "virt0"}), syscall.ENOENT)
	wantErrno(t, kb.Bridge("shmif0", api.BridgeRequest{Op: api.BridgeFlush}), syscall.EINVAL)
	wantErrno(t, kb.AddAddr("bridge0", api.IfAddr{Addr: "10.9.0.9/24"}), syscall.EINVAL)

	// Destroying a member takes it out; destroying the bridge while up
	// releases the rest.
	if err := kb.Destroy("shmif1"); err != nil {
		t.Fatal(err)
	}
	if st, _ := kb.BridgeStatus("bridge0"); len(st.Members) != 1 {
		t.Errorf("members after destroying shmif1: %+v", st.Members)
	}
	if err := kb.Destroy("bridge0"); err != nil {
		t.Fatal(err)
	}
	if m, _ := kb.Interface("shmif0"); m.Flags&api.IFF_PROMISC != 0 {
		t.Errorf("shmif0 still PROMISC after its bridge went: %#x", m.Flags)
	}
	if err := kb.Bridge("bridge1", api.BridgeRequest{Op: api.BridgeAdd, Member: "shmif0"}); err != nil {
		t.Errorf("shmif0 into another bridge after the first went: %v", err)
	}
}

// TestBridgeMTU checks NetBSD's MTU rules through the kernel: a bridge's
// MTU is its own (1500 until set, settable), an Ethernet member must have
// it, and an l2tp member need not.
func TestBridgeMTU(t *testing.T) {
	tests := []struct {
		name      string
		bridgeMTU int // 0: leave it
		member    string
		memberMTU int // 0: leave the member's default
		want      syscall.Errno
	}{
		{"shmif at the default", 0, "shmif0", 0, 0},
		{"shmif below the default", 0, "shmif0", 1400, syscall.EINVAL},
		{"shmif at a set bridge mtu", 1496, "shmif0", 1496, 0},
		{"shmif at 1500 into a 1496 bridge", 1496, "shmif0", 0, syscall.EINVAL},
		{"l2tp at its own 1280", 0, "l2tp0", 0, 0},
		{"l2tp into a 1496 bridge", 1496, "l2tp0", 1400, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := newKernel(t, Options{})
			must(t, k.Create(tt.member), k.Create("bridge0"))
			if tt.bridgeMTU != 0 {
				must(t, k.SetMTU("bridge0", tt.bridgeMTU))
			}
			if tt.memberMTU != 0 {
				must(t, k.SetMTU(tt.member, tt.memberMTU))
			}
			err := k.Bridge("bridge0", api.BridgeRequest{Op: api.BridgeAdd, Member: tt.member})
			if got := errnoOf(err); got != tt.want {
				t.Errorf("add %s: got %v, want errno %d (%v)", tt.member, err, tt.want, tt.want)
			}
			want := tt.bridgeMTU
			if want == 0 {
				want = 1500
			}
			if ifp, err := k.Interface("bridge0"); err != nil || ifp.MTU != want {
				t.Errorf("bridge0 mtu: got %+v (%v), want %d", ifp.MTU, err, want)
			}
		})
	}
	k := newKernel(t, Options{})
	must(t, k.Create("bridge0"))
	for _, mtu := range []int{45, 65536} {
		if got := errnoOf(k.SetMTU("bridge0", mtu)); got != syscall.EINVAL {
			t.Errorf("bridge0 mtu %d: got errno %v, want EINVAL", mtu, got)
		}
	}
}

// errnoOf is err's errno, 0 for nil or an error without one.
func errnoOf(err error) syscall.Errno {
	var e syscall.Errno
	if errors.As(err, &e) {
		return e
	}
	return 0
}
