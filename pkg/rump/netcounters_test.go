package rump

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rumpnet/rumpnet/pkg/api"
)

// pings is how many echo requests the counter tests send.
const pings = 5

// pingN pings dst from k until pings replies came back, in a few rounds:
// the first request may be lost while addresses are being resolved.
func pingN(t *testing.T, k *Kernel, dst string) {
	t.Helper()
	got := 0
	for round := 0; round < 5 && got < pings; round++ {
		evs := pingAll(t, k, api.PingRequest{Dst: dst, Count: pings - got, Interval: 0.05, Wait: 2})
		got += countTypes(evs)[api.PingReply]
	}
	if got < pings {
		t.Fatalf("ping %s: got %d replies, want %d", dst, got, pings)
	}
}

// stats reads the counters of k's interface name.
func stats(t *testing.T, k *Kernel, name string) api.Stats {
	t.Helper()
	ifc, err := k.Interface(name)
	if err != nil {
		t.Fatal(err)
	}
	return ifc.Stats
}

// eventually polls cond until it holds or a generous deadline passes.
func eventually(cond func() bool) bool {
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if cond() {
			return true
		}
	}
	return cond()
}

func setup(t *testing.T, steps ...error) {
	t.Helper()
	for _, err := range steps {
		if err != nil {
			t.Fatal(err)
		}
	}
}

// TestBridgeInterfaceCounts: frames a bridge forwards count as input on
// the member they came in on and output on the one they left by, and on
// the bridge interface as NetBSD's bridge(4) counts them: its input is
// what it took in to forward, its output everything it sent out of a
// member.
func TestBridgeInterfaceCounts(t *testing.T) {
	dir := t.TempDir()
	bus1, bus2 := filepath.Join(dir, "bus1"), filepath.Join(dir, "bus2")
	ka := shmifKernel(t, bus1, "10.9.0.1/24")
	shmifKernel(t, bus2, "10.9.0.3/24")
	kb := newKernel(t, Options{})
	add := func(m string) error { return kb.Bridge("bridge0", api.BridgeRequest{Op: api.BridgeAdd, Member: m}) }
	setup(t, kb.Create("shmif0"), kb.SetLinkstr("shmif0", bus1), kb.SetFlags("shmif0", api.IFF_UP),
		kb.Create("shmif1"), kb.SetLinkstr("shmif1", bus2), kb.SetFlags("shmif1", api.IFF_UP),
		kb.Create("bridge0"), add("shmif0"), add("shmif1"), kb.SetFlags("bridge0", api.IFF_UP))
	pingN(t, ka, "10.9.0.3") // resolves, fills the bridge's cache
	for _, name := range []string{"bridge0", "shmif0", "shmif1"} {
		setup(t, kb.ZeroStats(name))
	}
	pingN(t, ka, "10.9.0.3")

	var br, m0, m1 api.Stats
	read := func() {
		br, m0, m1 = stats(t, kb, "bridge0"), stats(t, kb, "shmif0"), stats(t, kb, "shmif1")
	}
	// Every frame a member sends goes through the bridge; a frame is
	// counted on the member an instant before the bridge.
	if !eventually(func() bool {
		read()
		return br.OPackets == m0.OPackets+m1.OPackets && br.OBytes == m0.OBytes+m1.OBytes
	}) {
		t.Errorf("bridge output %d packets %d bytes, want the members' %d+%d packets %d+%d bytes",
			br.OPackets, br.OBytes, m0.OPackets, m1.OPackets, m0.OBytes, m1.OBytes)
	}
	tests := []struct {
		name      string
		got, want uint64
	}{
		{"bridge0 ipackets (requests and replies)", br.IPackets, 2 * pings},
		{"bridge0 opackets", br.OPackets, 2 * pings},
		{"shmif0 ipackets (requests)", m0.IPackets, pings},
		{"shmif0 opackets (replies)", m0.OPackets, pings},
		{"shmif1 ipackets (replies)", m1.IPackets, pings},
		{"shmif1 opackets (requests)", m1.OPackets, pings},
	}
	for _, tt := range tests {
		if tt.got < tt.want {
			t.Errorf("%s: got %d, want at least %d", tt.name, tt.got, tt.want)
		}
	}
	if br.IPackets > m0.IPackets+m1.IPackets || br.IBytes > m0.IBytes+m1.IBytes {
		t.Errorf("bridge input %d packets %d bytes: more than its members took in (%d, %d bytes)",
			br.IPackets, br.IBytes, m0.IPackets+m1.IPackets, m0.IBytes+m1.IBytes)
	}
	if br.IBytes < 2*pings*42 {
		t.Errorf("bridge0 ibytes: got %d, want at least %d", br.IBytes, 2*pings*42)
	}
}

// TestRouterCountsForwarded: a kernel routing between two buses counts
// the echo requests and replies it forwards as ip "packets forwarded", and
// not as sent from this host.
func TestRouterCountsForwarded(t *testing.T) {
	tests := []struct {
		family                int
		a, r1, r2, c, dst, df string
		forwarding            string
	}{
		{4, "10.1.0.1/24", "10.1.0.2/24", "10.2.0.2/24", "10.2.0.1/24", "10.2.0.1", "0.0.0.0/0", "net.inet.ip.forwarding"},
		{6, "fc01::1/64", "fc01::2/64", "fc02::2/64", "fc02::1/64", "fc02::1", "::/0", "net.inet6.ip6.forwarding"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("inet%d", tt.family), func(t *testing.T) {
			if tt.family == 4 {
				skipInetForwardingRace(t)
			}
			dir := t.TempDir()
			bus1, bus2 := filepath.Join(dir, "bus1"), filepath.Join(dir, "bus2")
			gw := api.RTF_GATEWAY | api.RTF_STATIC
			ka := shmifKernel(t, bus1, tt.a)
			kc := shmifKernel(t, bus2, tt.c)
			kr := shmifKernel(t, bus1, tt.r1)
			setup(t, kr.Create("shmif1"), kr.SetLinkstr("shmif1", bus2),
				kr.AddAddr("shmif1", api.IfAddr{Addr: tt.r2}),
				tunable(t, tt.forwarding).Set(kr, 1),
				ka.AddRoute(tt.family, api.Route{Dest: tt.df, Gateway: strings.Split(tt.r1, "/")[0], Flags: gw}),
				kc.AddRoute(tt.family, api.Route{Dest: tt.df, Gateway: strings.Split(tt.r2, "/")[0], Flags: gw}))
			stats := func() (api.IPStats, api.IPStats) {
				st := kr.NetStats()
				if tt.family == 6 {
					return st.IP6, st.IP
				}
				return st.IP, st.IP6
			}
			before, _ := stats()
			pingN(t, ka, tt.dst)
			st, other := stats()
			if fwd := st.Forwarded - before.Forwarded; fwd < 2*pings {
				t.Errorf("forwarded: got %d, want at least %d (requests and replies)", fwd, 2*pings)
			}
			if out := st.LocalOut - before.LocalOut; out >= pings {
				t.Errorf("sent from this host: got %d while forwarding, want fewer than %d", out, pings)
			}
			if other.Forwarded != 0 {
				t.Errorf("other family forwarded: got %d, want 0", other.Forwarded)
			}
		})
	}
}
