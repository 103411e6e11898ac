package rump

import (
	"context"
	"net/netip"
	"syscall"
	"testing"
	"time"

	"github.com/rumpnet/rumpnet/pkg/api"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/adapters/gonet"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv6"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
)

// touch makes ka resolve addr: a TCP connect to a closed port of kb, which
// answers with a reset.
func touch(t *testing.T, ka *Kernel, addr string, proto tcpip.NetworkProtocolNumber) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := gonet.DialContextTCP(ctx, ka.Stack(), tcpip.FullAddress{
		Addr: tcpip.AddrFromSlice(netip.MustParseAddr(addr).AsSlice()), Port: 9}, proto)
	if err == nil {
		c.Close()
		t.Fatalf("connect to closed port of %s succeeded", addr)
	}
}

func findNeighbor(ns []api.Neighbor, addr string) (api.Neighbor, bool) {
	for _, n := range ns {
		if n.Addr == addr {
			return n, true
		}
	}
	return api.Neighbor{}, false
}

func TestNeighbors(t *testing.T) {
	ka, kb := linkedKernels(t)
	waitAssigned(t, ka)
	waitAssigned(t, kb)
	mac := func(k *Kernel) string { v, _ := k.Interface("virt0"); return v.Address }
	for _, tt := range []struct {
		family int
		proto  tcpip.NetworkProtocolNumber
		peer   string
		other  string // an address on the link nobody has
	}{
		{4, ipv4.ProtocolNumber, "10.0.0.2", "10.0.0.9"},
		{6, ipv6.ProtocolNumber, "fc00::2", "fc00::9"},
	} {
		touch(t, ka, tt.peer, tt.proto)
		n, ok := findNeighbor(ka.Neighbors(tt.family), tt.peer)
		if !ok || n.LinkAddr != mac(kb) || n.Interface != "virt0" || n.Permanent {
			t.Fatalf("inet%d: after traffic got %+v (found %v), want %s at %s on virt0", tt.family, n, ok, tt.peer, mac(kb))
		}
		steps := []struct {
			op    func(int, api.Neighbor) error
			n     api.Neighbor
			errno syscall.Errno
		}{
			{ka.AddNeighbor, api.Neighbor{Addr: tt.other, LinkAddr: "b2:a0:20:00:00:10"}, 0},
			{ka.AddNeighbor, api.Neighbor{Addr: tt.other, LinkAddr: "b2:a0:20:00:00:11"}, syscall.EEXIST},
			{ka.AddNeighbor, api.Neighbor{Addr: tt.peer, LinkAddr: "b2:a0:20:00:00:12", Temp: true}, 0},
			{ka.AddNeighbor, api.Neighbor{Addr: tt.peer, LinkAddr: "b2:a0:20:00:00:13", Temp: true}, 0},
			{ka.AddNeighbor, api.Neighbor{Addr: tt.other, LinkAddr: "zz"}, syscall.EINVAL},
			{ka.AddNeighbor, api.Neighbor{Addr: "192.0.2.1", LinkAddr: "b2:a0:20:00:00:10"}, syscall.ENETUNREACH},
			{ka.AddNeighbor, api.Neighbor{Addr: tt.other, LinkAddr: "b2:a0:20:00:00:10", Interface: "virt7"}, syscall.ENXIO},
			{ka.DeleteNeighbor, api.Neighbor{Addr: "10.1.1.1"}, syscall.ESRCH},
		}
		if tt.family == 6 {
			steps[5].n.Addr = "2001:db8::1"
			steps[7].n.Addr = "fc00::77"
		}
		for i, s := range steps {
			err := s.op(tt.family, s.n)
			if s.errno == 0 && err != nil || s.errno != 0 && !errorIs(err, s.errno) {
				t.Fatalf("inet%d step %d (%+v): got %v, want errno %d", tt.family, i, s.n, err, s.errno)
			}
		}
		ns := ka.Neighbors(tt.family)
		if n, _ := findNeighbor(ns, tt.other); !n.Permanent || n.State != api.NeighborStatic || n.LinkAddr != "b2:a0:20:00:00:10" {
			t.Errorf("inet%d static entry: got %+v", tt.family, n)
		}
		if n, _ := findNeighbor(ns, tt.peer); n.Permanent || n.Expire < api.NeighborTempSeconds-5 || n.LinkAddr != "b2:a0:20:00:00:13" {
			t.Errorf("inet%d temp entry: got %+v", tt.family, n)
		}
		if err := ka.DeleteNeighbor(tt.family, api.Neighbor{Addr: tt.other}); err != nil {
			t.Fatal(err)
		}
		if _, ok := findNeighbor(ka.Neighbors(tt.family), tt.other); ok {
			t.Errorf("inet%d: %s still listed after delete", tt.family, tt.other)
		}
		if err := ka.DeleteNeighbor(tt.family, api.Neighbor{}); err != nil {
			t.Fatal(err)
		}
		for _, n := range ka.Neighbors(tt.family) {
			t.Errorf("inet%d after clearing: got %+v, want no entries", tt.family, n)
		}
		if len(ka.tempNeigh) != 0 {
			t.Errorf("inet%d: temporary entries still timed after clearing: %v", tt.family, ka.tempNeigh)
		}
	}
}

func TestEntryLifetime(t *testing.T) {
	nud := stack.NUDConfigurations{BaseReachableTime: 30 * time.Second, DelayFirstProbeTime: 5 * time.Second, RetransmitTimer: time.Second}
	keep := 1200 * time.Second
	tests := []struct {
		family int
		state  stack.NeighborState
		want   time.Duration
	}{
		{6, stack.Stale, 24 * time.Hour}, // NetBSD's nd6_gctimer
		{6, stack.Reachable, 30 * time.Second},
		{6, stack.Delay, 5 * time.Second},
		{6, stack.Incomplete, time.Second},
		{4, stack.Stale, keep}, // net.inet.arp.keep, whatever the state
		{4, stack.Reachable, keep},
		{4, stack.Incomplete, time.Second},
	}
	for _, tt := range tests {
		if got := entryLifetime(tt.family, tt.state, nud, keep); got != tt.want {
			t.Errorf("inet%d %v: got %v, want %v", tt.family, tt.state, got, tt.want)
		}
	}
}

// NetBSD's t_arp arp_cache_expiration_10s looks for the entry two seconds
// after net.inet.arp.keep; the sweeper must have removed it by then.
func TestSweepInterval(t *testing.T) {
	for _, keep := range []time.Duration{time.Second, 5 * time.Second, 10 * time.Second, 1200 * time.Second} {
		got := sweepInterval(keep)
		if got <= 0 || got > time.Second {
			t.Errorf("keep %v: got interval %v, want in (0, 1s]", keep, got)
		}
	}
}

// ndp shows an entry's time left in its state from the base reachable
// time, and NetBSD's t_ndp ndp_cache_expiration waits exactly that long
// for the entry to go stale, so the time an entry is reachable must be the
// base one, not one drawn at random around it.
func TestReachableTimeNotRandom(t *testing.T) {
	k := newKernel(t, Options{})
	if err := k.Create("virt0"); err != nil {
		t.Fatal(err)
	}
	k.mu.Lock()
	ifp, err := k.lookupLocked("virt0")
	k.mu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	for _, proto := range []tcpip.NetworkProtocolNumber{ipv4.ProtocolNumber, ipv6.ProtocolNumber} {
		c, terr := k.stack.NUDConfigurations(ifp.nic, proto)
		if terr != nil {
			t.Fatal(terr)
		}
		if c.MinRandomFactor != 1 || c.MaxRandomFactor != 1 {
			t.Errorf("proto %d: got random factors %v..%v, want 1..1", proto, c.MinRandomFactor, c.MaxRandomFactor)
		}
	}
}

// The neighbour sweeper arms a timer only for an entry that can expire: a
// kernel with no entries sleeps until a neighbour event, and one with an
// entry wakes when that entry is due, not every second.
func TestSweepDue(t *testing.T) {
	ka, kb := linkedKernels(t)
	if got := ka.sweepNeighbors(); got != (tcpip.MonotonicTime{}) {
		t.Errorf("no entries: got next sweep at %v, want none", got)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	gonet.DialContextTCP(ctx, kb.Stack(), tcpip.FullAddress{Addr: tcpip.AddrFromSlice(mustAddr(t, "10.0.0.1")), Port: 9}, ipv4.ProtocolNumber)
	nb, _ := kb.Stack().Neighbors(2, ipv4.ProtocolNumber)
	if len(nb) == 0 {
		t.Fatal("no ARP entry after traffic")
	}
	keep := 1200 * time.Second
	got := kb.sweepNeighbors()
	if want := nb[0].UpdatedAt.Add(keep); got.Before(want) || got.After(want.Add(time.Minute)) {
		t.Errorf("one entry updated at %v: got next sweep at %v, want about %v", nb[0].UpdatedAt, got, want)
	}
}

// An entry learnt after the sweeper went to sleep with nothing to sweep
// still goes after net.inet.arp.keep: the neighbour event wakes it.
func TestSweeperWokenByNewEntry(t *testing.T) {
	ka, kb := linkedKernels(t)
	if err := tunable(t, "net.inet.arp.keep").Set(kb, 1); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	gonet.DialContextTCP(ctx, kb.Stack(), tcpip.FullAddress{Addr: tcpip.AddrFromSlice(mustAddr(t, "10.0.0.1")), Port: 9}, ipv4.ProtocolNumber)
	has := func() bool {
		nb, _ := kb.Stack().Neighbors(2, ipv4.ProtocolNumber)
		return len(nb) > 0
	}
	deadline := time.Now().Add(10 * time.Second)
	for has() {
		if time.Now().After(deadline) {
			t.Fatal("ARP entry learnt with net.inet.arp.keep=1 still there 10 s later")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if v, _ := ka.Interface("virt0"); v.Name != "virt0" {
		t.Fatal("peer kernel gone")
	}
}

// Every neighbour entry added or changed wakes the sweeper, so it can
// sleep without a timer while it has nothing to sweep.
func TestNeighborEventsKickSweeper(t *testing.T) {
	tests := []struct {
		name  string
		event func(n *nudEvents, e stack.NeighborEntry)
		want  int
	}{
		{"added", func(n *nudEvents, e stack.NeighborEntry) { n.OnNeighborAdded(1, e) }, 1},
		{"changed", func(n *nudEvents, e stack.NeighborEntry) { n.OnNeighborChanged(1, e) }, 1},
		{"removed", func(n *nudEvents, e stack.NeighborEntry) { n.OnNeighborRemoved(1, e) }, 0},
	}
	for _, tt := range tests {
		kicks := 0
		n := &nudEvents{b: &rtBroadcaster{}, kick: func() { kicks++ }}
		tt.event(n, stack.NeighborEntry{Addr: tcpip.AddrFromSlice(mustAddr(t, "10.0.0.1")), State: stack.Reachable, LinkAddr: "\x02\x00\x00\x00\x00\x01"})
		if kicks != tt.want {
			t.Errorf("%s: got %d kicks, want %d", tt.name, kicks, tt.want)
		}
	}
}
