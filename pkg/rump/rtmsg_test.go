package rump

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/rumpnet/rumpnet/pkg/api"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"
)

// nextMessage waits, with a generous deadline, for w's next message.
func nextMessage(t *testing.T, w *RouteWatcher) api.RouteMessage {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	m, err := w.Next(ctx)
	if err != nil {
		t.Fatalf("waiting for a routing message: got %v, want one", err)
	}
	return m
}

// waitMessage reads w's messages until one satisfies match.
func waitMessage(t *testing.T, w *RouteWatcher, what string, match func(api.RouteMessage) bool) api.RouteMessage {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var seen []api.RouteMessage
	for {
		m, err := w.Next(ctx)
		if err != nil {
			t.Fatalf("%s: got %+v and then %v, want the message", what, seen, err)
		}
		if match(m) {
			return m
		}
		seen = append(seen, m)
	}
}

// TestWatcherFallsBehind fills a watcher's queue: publishing never waits,
// the watcher gets what fitted, in order, and the first message after
// the gap says how many it lost.
func TestWatcherFallsBehind(t *testing.T) {
	b := &rtBroadcaster{}
	slow := b.subscribe()
	defer slow.Close()
	const lost = 3
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range watchQueue + lost {
			b.publish(api.RouteMessage{Type: api.RTM_ADD, Index: i})
		}
	}()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		t.Fatal("publish to a full queue did not return")
	}
	b.publish(api.RouteMessage{Type: api.RTM_DELETE, Index: -1}) // lost too: the queue is still full
	for i := range watchQueue {
		if m := nextMessage(t, slow); m.Index != i || m.Dropped != 0 {
			t.Fatalf("message %d: got index %d dropped %d, want index %d dropped 0", i, m.Index, m.Dropped, i)
		}
	}
	tests := []struct{ index, dropped int }{{1000, lost + 1}, {1001, 0}}
	for _, tt := range tests {
		b.publish(api.RouteMessage{Type: api.RTM_ADD, Index: tt.index})
		if m := nextMessage(t, slow); m.Index != tt.index || m.Dropped != tt.dropped {
			t.Errorf("after the gap: got index %d dropped %d, want index %d dropped %d", m.Index, m.Dropped, tt.index, tt.dropped)
		}
	}
}

// TestWatcherClose: a closed watcher is let go and gets nothing more; the
// others are not affected.
func TestWatcherClose(t *testing.T) {
	b := &rtBroadcaster{}
	a, c := b.subscribe(), b.subscribe()
	defer c.Close()
	a.Close()
	a.Close() // twice is fine
	b.mu.Lock()
	_, stillA := b.subs[a]
	n := len(b.subs)
	b.mu.Unlock()
	if n != 1 || stillA {
		t.Fatalf("after Close: got %d watchers (closed one among them: %v), want 1 (false)", n, stillA)
	}
	b.publish(api.RouteMessage{Type: api.RTM_ADD})
	if got := len(a.ch); got != 0 {
		t.Errorf("closed watcher: got %d queued, want 0", got)
	}
	if m := nextMessage(t, c); m.Type != api.RTM_ADD {
		t.Errorf("open watcher: got type %d, want RTM_ADD", m.Type)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := a.Next(ctx); err != context.Canceled {
		t.Errorf("Next on a closed watcher with an ended context: got %v, want %v", err, context.Canceled)
	}
}

// msgSummary is what TestKernelMessages compares of a message.
func msgSummary(m api.RouteMessage) string {
	return fmt.Sprintf("%#x %s %s/%s gw=%s ifp=%s ifa=%s what=%s", m.Type, bprintRTF(m.Flags, m.Type),
		m.Dst, m.Netmask, m.Gateway, m.IFP, m.IFA, m.What)
}

// bprintRTF shows the flags as hex, IFF_* ones for RTM_IFINFO.
func bprintRTF(f, typ int) string {
	if typ == api.RTM_IFINFO {
		return fmt.Sprintf("iff=%#x", f)
	}
	return fmt.Sprintf("rtf=%#x", f)
}

// TestKernelMessages changes an interface's state step by step and checks
// the messages each step sends, in order.
func TestKernelMessages(t *testing.T) {
	k := newKernel(t, Options{})
	// Not a DAD test: addresses are usable, and routed, at once.
	if err := tunable(t, "net.inet.ip.dad_count").Set(k, 0); err != nil {
		t.Fatal(err)
	}
	w := k.WatchRoutes()
	defer w.Close()
	const conn = api.RTF_UP | api.RTF_DONE | api.RTF_CONNECTED
	const static = api.RTF_UP | api.RTF_DONE | api.RTF_STATIC | api.RTF_GATEWAY
	const ll64 = "ffff:ffff:ffff:ffff::"
	tests := []struct {
		name string
		op   func() error
		want []api.RouteMessage
	}{
		{"create", func() error { return k.Create("virt0") }, []api.RouteMessage{
			{Type: api.RTM_IFANNOUNCE, IFP: "virt0", What: api.IfArrival}}},
		{"add address", func() error { return k.AddAddr("virt0", api.IfAddr{Addr: "10.0.0.1/24"}) }, []api.RouteMessage{
			{Type: api.RTM_ADD, Flags: conn, Dst: "10.0.0.0", Netmask: "255.255.255.0", Gateway: "link#2", IFP: "virt0", IFA: "10.0.0.1"},
			{Type: api.RTM_NEWADDR, Flags: api.RTF_UP, Netmask: "255.255.255.0", IFP: "virt0", IFA: "10.0.0.1"},
			// The first address brings the interface up, with a link-local one.
			{Type: api.RTM_ADD, Flags: conn, Dst: "fe80::%virt0", Netmask: ll64, Gateway: "link#2", IFP: "virt0", IFA: "*"},
			{Type: api.RTM_NEWADDR, Flags: api.RTF_UP, Netmask: ll64, IFP: "virt0", IFA: "*"}}},
		{"second address, same prefix", func() error { return k.AddAddr("virt0", api.IfAddr{Addr: "10.0.0.5/24"}) }, []api.RouteMessage{
			{Type: api.RTM_NEWADDR, Flags: api.RTF_UP, Netmask: "255.255.255.0", IFP: "virt0", IFA: "10.0.0.5"}}},
		{"static route", func() error {
			return k.AddRoute(4, api.Route{Dest: "10.7.0.0/16", Gateway: "10.0.0.9", Flags: api.RTF_GATEWAY | api.RTF_STATIC})
		}, []api.RouteMessage{{Type: api.RTM_ADD, Flags: static, Dst: "10.7.0.0", Netmask: "255.255.0.0", Gateway: "10.0.0.9"}}},
		{"delete route", func() error { return k.DeleteRoute(4, api.Route{Dest: "10.7.0.0/16"}) }, []api.RouteMessage{
			{Type: api.RTM_DELETE, Flags: static &^ api.RTF_UP, Dst: "10.7.0.0", Netmask: "255.255.0.0", Gateway: "10.0.0.9"}}},
		{"delete first address", func() error { return k.DelAddr("virt0", "10.0.0.1") }, []api.RouteMessage{
			{Type: api.RTM_DELADDR, Flags: api.RTF_UP, Netmask: "255.255.255.0", IFP: "virt0", IFA: "10.0.0.1"}}},
		{"destroy", func() error { return k.Destroy("virt0") }, []api.RouteMessage{
			{Type: api.RTM_DELADDR, Flags: api.RTF_UP, Netmask: ll64, IFP: "virt0", IFA: "*"},
			{Type: api.RTM_DELADDR, Flags: api.RTF_UP, Netmask: "255.255.255.0", IFP: "virt0", IFA: "10.0.0.5"},
			{Type: api.RTM_DELETE, Flags: conn &^ api.RTF_UP, Dst: "10.0.0.0", Netmask: "255.255.255.0", Gateway: "link#2", IFP: "virt0", IFA: "10.0.0.5"},
			{Type: api.RTM_DELETE, Flags: conn &^ api.RTF_UP, Dst: "fe80::%virt0", Netmask: ll64, Gateway: "link#2", IFP: "virt0", IFA: "*"},
			{Type: api.RTM_IFANNOUNCE, IFP: "virt0", What: api.IfDeparture}}},
	}
	for _, tt := range tests {
		if err := tt.op(); err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		for _, want := range tt.want {
			got := nextMessage(t, w)
			want.Index, want.Brd = 2, got.Brd
			if want.IFA == "*" && strings.HasPrefix(got.IFA, "fe80::") && strings.HasSuffix(got.IFA, "%virt0") {
				want.IFA = got.IFA // the link-local address, from a random MAC
			}
			if msgSummary(got) != msgSummary(want) {
				t.Errorf("%s: got\n\t%s\nwant\n\t%s", tt.name, msgSummary(got), msgSummary(want))
			}
		}
	}
	if n := len(w.ch); n != 0 {
		t.Errorf("got %d messages more than the steps send", n)
	}
}

// TestNeighborMessages: a neighbour entry that gets a link-layer address
// is announced as a cloned host route, and its deletion as RTM_DELETE.
func TestNeighborMessages(t *testing.T) {
	ka, kb := linkedKernels(t)
	waitAssigned(t, ka)
	waitAssigned(t, kb)
	w := ka.WatchRoutes()
	defer w.Close()
	mac := func(k *Kernel) string { v, _ := k.Interface("virt0"); return v.Address }
	touch(t, ka, "10.0.0.2", ipv4.ProtocolNumber)
	const flags = api.RTF_HOST | api.RTF_DONE | api.RTF_LLDATA | api.RTF_CLONED
	tests := []struct {
		what  string
		op    func()
		typ   int
		flags int
	}{
		{"learned", func() {}, api.RTM_ADD, api.RTF_UP | flags},
		{"deleted", func() {
			if err := ka.DeleteNeighbor(4, api.Neighbor{Addr: "10.0.0.2"}); err != nil {
				t.Fatal(err)
			}
		}, api.RTM_DELETE, flags},
	}
	for _, tt := range tests {
		tt.op()
		m := waitMessage(t, w, tt.what+" 10.0.0.2", func(m api.RouteMessage) bool {
			return m.Dst == "10.0.0.2" && m.Type == tt.typ
		})
		if m.Flags != tt.flags || m.Gateway != mac(kb) || m.Index != 2 {
			t.Errorf("%s: got flags %#x gateway %s index %d, want %#x %s 2", tt.what, m.Flags, m.Gateway, m.Index, tt.flags, mac(kb))
		}
	}
}

// TestCarrierMessages: a device that loses and regains its link makes
// RTM_IFINFO with the link state, once per change.
func TestCarrierMessages(t *testing.T) {
	dev := newFlakyDevice(true)
	k := newKernel(t, Options{OpenTap: func(string) (FrameDevice, error) { return reportingDevice{dev}, nil }})
	if err := k.Create("virt0"); err != nil {
		t.Fatal(err)
	}
	if err := k.SetFlags("virt0", api.IFF_UP); err != nil {
		t.Fatal(err)
	}
	w := k.WatchRoutes()
	defer w.Close()
	for _, tt := range []struct {
		broken bool
		want   string
	}{{true, api.LinkStateDown}, {false, api.LinkStateUp}, {true, api.LinkStateDown}} {
		dev.setBroken(tt.broken)
		m := nextMessage(t, w)
		if m.Type != api.RTM_IFINFO || m.LinkState != tt.want || m.Index != 2 || m.Flags&api.IFF_UP == 0 {
			t.Errorf("broken=%v: got %+v, want RTM_IFINFO link %s on if# 2, UP", tt.broken, m, tt.want)
		}
	}
}

// TestMulticastSharedGroup: two addresses with one solicited-node group
// (lo0's ::1 and fe80::1) list it once.
func TestMulticastSharedGroup(t *testing.T) {
	k := newKernel(t, Options{})
	var n int
	for _, m := range k.Multicast() {
		if m.Interface != "lo0" {
			continue
		}
		for _, a := range m.Addrs {
			for _, g := range a.Groups {
				if g.Group == "ff02::1:ff00:1%lo0" {
					n++
				}
			}
		}
	}
	if n != 1 {
		t.Errorf("got ff02::1:ff00:1%%lo0 listed %d times, want 1", n)
	}
}
