package rump

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rumpnet/rumpnet/pkg/api"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv6"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
)

func TestGCVictims(t *testing.T) {
	base := tcpip.MonotonicTime{}
	entry := func(n int, s stack.NeighborState, age int) stack.NeighborEntry {
		return stack.NeighborEntry{
			Addr:      tcpip.AddrFromSlice(netip.MustParseAddr(fmt.Sprintf("fc00::%x", n)).AsSlice()),
			State:     s,
			UpdatedAt: base.Add(time.Duration(100-age) * time.Second),
		}
	}
	// Six entries aged 60..10 s, then the new one (0x10, age 0).
	six := []stack.NeighborEntry{
		entry(3, stack.Reachable, 30), entry(1, stack.Stale, 60), entry(2, stack.Incomplete, 50),
		entry(6, stack.Delay, 10), entry(4, stack.Static, 40), entry(5, stack.Stale, 20),
	}
	made := entry(0x10, stack.Incomplete, 0)
	var many []stack.NeighborEntry
	for i := range 14 {
		many = append(many, entry(0x20+i, stack.Stale, 50-i))
	}
	tests := []struct {
		name    string
		entries []stack.NeighborEntry
		thresh  int
		want    string
	}{
		{"under threshold", append(slices.Clone(six), made), 7, ""},
		{"at threshold, static kept, oldest first", append(slices.Clone(six), made), 6, "fc00::1 fc00::2 fc00::3 fc00::5 fc00::6"},
		{"off", append(slices.Clone(six), made), -1, ""},
		{"zero collects all others", append(slices.Clone(six), made), 0, "fc00::1 fc00::2 fc00::3 fc00::5 fc00::6"},
		{"at most ten", append(slices.Clone(many), made), 5, "fc00::20 fc00::21 fc00::22 fc00::23 fc00::24 fc00::25 fc00::26 fc00::27 fc00::28 fc00::29"},
		{"made after it kept", append(slices.Clone(six), made), 2, "fc00::1 fc00::2 fc00::3"},
		{"made already gone", six, 2, ""},
	}
	for _, tt := range tests {
		var got []string
		older := func(a tcpip.Address) bool { return true }
		if strings.HasPrefix(tt.name, "made after") {
			// fc00::5 and fc00::6 came after the new entry.
			older = func(a tcpip.Address) bool { return a != entry(5, 0, 0).Addr && a != entry(6, 0, 0).Addr }
		}
		for _, a := range gcVictims(tt.entries, made.Addr, tt.thresh, older) {
			got = append(got, a.String())
		}
		if g := strings.Join(got, " "); g != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, g, tt.want)
		}
	}
}

// NetBSD's t_ndp ndp_neighborgcthresh: six entries stay under the default
// threshold; with net.inet6.ip6.neighborgcthresh=5 the next new entry
// makes the older ones go.
func TestNeighborGCThresh(t *testing.T) {
	ka, kb := linkedKernels(t)
	for i := range 10 {
		if err := kb.AddAddr("virt0", api.IfAddr{Addr: fmt.Sprintf("fc00::1%d/64", i)}); err != nil {
			t.Fatal(err)
		}
	}
	waitAssigned(t, ka)
	waitAssigned(t, kb)
	// kb knows ka statically, so it never solicits ka: a solicitation
	// from fc00::2 would make one more entry in ka, counted with the
	// others, and the collection the case expects would take the rest.
	ka.mu.Lock()
	ifa, err := ka.lookupLocked("virt0")
	ka.mu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	mac := ka.stack.NICInfo()[ifa.nic].LinkAddress.String()
	if err := kb.AddNeighbor(6, api.Neighbor{Addr: "fc00::1", LinkAddr: mac, Interface: "virt0"}); err != nil {
		t.Fatal(err)
	}
	global := func() []string {
		var out []string
		for _, n := range ka.Neighbors(6) {
			if !strings.HasPrefix(n.Addr, "fe80:") {
				out = append(out, n.Addr)
			}
		}
		return out
	}
	for i := range 6 {
		touch(t, ka, fmt.Sprintf("fc00::1%d", i), ipv6.ProtocolNumber)
		waitCollected(t, ka)
	}
	if got := global(); len(got) != 6 {
		t.Fatalf("under the default threshold: got entries %v, want 6", got)
	}
	if err := tunable(t, "net.inet6.ip6.neighborgcthresh").Set(ka, 5); err != nil {
		t.Fatal(err)
	}
	for i := 6; i < 10; i++ {
		touch(t, ka, fmt.Sprintf("fc00::1%d", i), ipv6.ProtocolNumber)
		waitCollected(t, ka)
	}
	want := "fc00::16 fc00::17 fc00::18 fc00::19"
	var got string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if got = strings.Join(global(), " "); got == want {
			return
		}
	}
	t.Fatalf("with threshold 5: got entries %q, want %q", got, want)
}

// waitCollected waits until k's collector has been through every entry
// made so far: NetBSD collects while it makes an entry, ours a little
// after, and a collection still queued when the threshold changes would
// apply the new one.
func waitCollected(t *testing.T, k *Kernel) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); k.ngc.done.Load() != k.ngc.queued.Load(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("collection: %d of %d new entries done", k.ngc.done.Load(), k.ngc.queued.Load())
		}
	}
}
