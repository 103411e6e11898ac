package rump

import (
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/rumpnet/rumpnet/pkg/api"
)

// neighborIfaces lists the interfaces that have an inet entry for addr
// with a link address.
func neighborIfaces(k *Kernel, addr string) []string {
	var out []string
	for _, n := range k.Neighbors(4) {
		if n.Addr == addr && n.LinkAddr != "" {
			out = append(out, n.Interface)
		}
	}
	sort.Strings(out)
	return out
}

// TestARPStrayEntries follows NetBSD's t_arp arp_stray_entries and
// arp_purge_on_ifdown: with two interfaces on one subnet, the entry for a
// neighbour is made on the interface the packet left by; arp -d removes
// it; an interface going down drops its entries. Unlike NetBSD, a packet
// from the second interface's address leaves by that interface (gVisor
// sends from an address only through the interface that has it), so the
// entry is made there alone, where NetBSD makes one on each.
func TestARPStrayEntries(t *testing.T) {
	bus := filepath.Join(t.TempDir(), "bus")
	src, dst := newKernel(t, Options{}), newKernel(t, Options{})
	for _, step := range []error{
		src.Create("shmif0"), src.SetLinkstr("shmif0", bus), src.AddAddr("shmif0", api.IfAddr{Addr: "10.0.1.1/24"}),
		src.Create("shmif1"), src.SetLinkstr("shmif1", bus), src.AddAddr("shmif1", api.IfAddr{Addr: "10.0.1.5/24"}),
		dst.Create("shmif0"), dst.SetLinkstr("shmif0", bus), dst.AddAddr("shmif0", api.IfAddr{Addr: "10.0.1.2/24"}),
	} {
		if step != nil {
			t.Fatal(step)
		}
	}
	ping := func(from string) {
		t.Helper()
		deadline := time.Now().Add(15 * time.Second)
		for {
			evs := pingAll(t, src, api.PingRequest{Dst: "10.0.1.2", Src: from, Count: 1, Wait: 1})
			if countTypes(evs)[api.PingReply] == 1 {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("ping -I %q 10.0.1.2: got %v, want a reply", from, countTypes(evs))
			}
		}
	}
	ping("")
	if got := neighborIfaces(src, "10.0.1.2"); len(got) != 1 || got[0] != "shmif0" {
		t.Errorf("after ping: entries on %v, want [shmif0]", got)
	}
	if err := src.DeleteNeighbor(4, api.Neighbor{}); err != nil {
		t.Fatal(err)
	}
	if err := dst.DeleteNeighbor(4, api.Neighbor{}); err != nil {
		t.Fatal(err)
	}
	ping("10.0.1.5")
	if got := neighborIfaces(src, "10.0.1.2"); len(got) != 1 || got[0] != "shmif1" {
		t.Errorf("after ping -I 10.0.1.5: entries on %v, want [shmif1]", got)
	}
	if err := src.DeleteNeighbor(4, api.Neighbor{Addr: "10.0.1.2"}); err != nil {
		t.Fatal(err)
	}
	if got := neighborIfaces(src, "10.0.1.2"); len(got) != 0 {
		t.Errorf("after arp -d: entries on %v, want none", got)
	}
	ping("")
	if err := src.SetFlags("shmif0", 0); err != nil {
		t.Fatal(err)
	}
	if got := neighborIfaces(src, "10.0.1.2"); len(got) != 0 {
		t.Errorf("after shmif0 down: entries on %v, want none", got)
	}
}
