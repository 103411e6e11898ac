package rump

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/rumpnet/rumpnet/internal/testkit/framepipe"
	"github.com/rumpnet/rumpnet/pkg/api"
	"gvisor.dev/gvisor/pkg/tcpip/header"
)

// lineOfKernels returns three kernels in a line, A — B — C: A's virt0 and
// B's virt0 share one wire (10.0.1.0/24, fc01::/64), B's virt1 and C's
// virt0 another (10.0.2.0/24, fc02::/64). B forwards; A and C route the
// far network through B. A and B send 10.0.9.0/24 towards C, which does
// not forward (its IPv4 forwarding, on by default, is turned off) and
// drops it without a word.
func lineOfKernels(t *testing.T) (ka, kb, kc *Kernel) {
	t.Helper()
	a0, b0 := framepipe.New()
	b1, c0 := framepipe.New()
	opener := func(devs ...FrameDevice) func(string) (FrameDevice, error) {
		return func(string) (FrameDevice, error) {
			d := devs[0]
			devs = devs[1:]
			return d, nil
		}
	}
	ka = newKernel(t, Options{OpenTap: opener(a0)})
	kb = newKernel(t, Options{OpenTap: opener(b0, b1)})
	kc = newKernel(t, Options{OpenTap: opener(c0)})
	ifs := []struct {
		k      *Kernel
		ifname string
		addrs  []string
	}{
		{ka, "virt0", []string{"10.0.1.2/24", "fc01::2/64"}},
		{kb, "virt0", []string{"10.0.1.1/24", "fc01::1/64"}},
		{kb, "virt1", []string{"10.0.2.1/24", "fc02::1/64"}},
		{kc, "virt0", []string{"10.0.2.2/24", "fc02::2/64"}},
	}
	for _, i := range ifs {
		if err := i.k.Create(i.ifname); err != nil {
			t.Fatal(err)
		}
		for _, a := range i.addrs {
			if err := i.k.AddAddr(i.ifname, api.IfAddr{Addr: a}); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, name := range []string{"net.inet.ip.forwarding", "net.inet6.ip6.forwarding"} {
		if err := tunable(t, name).Set(kb, 1); err != nil {
			t.Fatal(err)
		}
	}
	if err := tunable(t, "net.inet.ip.forwarding").Set(kc, 0); err != nil {
		t.Fatal(err)
	}
	gw := api.RTF_GATEWAY | api.RTF_STATIC
	routes := []struct {
		k      *Kernel
		family int
		r      api.Route
	}{
		{ka, 4, api.Route{Dest: "10.0.2.0/24", Gateway: "10.0.1.1", Flags: gw}},
		{ka, 6, api.Route{Dest: "fc02::/64", Gateway: "fc01::1", Flags: gw}},
		{ka, 4, api.Route{Dest: "10.0.9.0/24", Gateway: "10.0.1.1", Flags: gw}},
		{kb, 4, api.Route{Dest: "10.0.9.0/24", Gateway: "10.0.2.2", Flags: gw}},
		{kc, 4, api.Route{Dest: "10.0.1.0/24", Gateway: "10.0.2.1", Flags: gw}},
		{kc, 6, api.Route{Dest: "fc01::/64", Gateway: "fc02::1", Flags: gw}},
	}
	for _, r := range routes {
		if err := r.k.AddRoute(r.family, r.r); err != nil {
			t.Fatalf("route %+v: %v", r.r, err)
		}
	}
	waitUsable(t, ka, "virt0")
	waitUsable(t, kb, "virt0")
	waitUsable(t, kb, "virt1")
	waitUsable(t, kc, "virt0")
	return ka, kb, kc
}

// traceAll runs a trace to its end and returns its events.
func traceAll(t *testing.T, k *Kernel, req api.TracerouteRequest) []api.TracerouteEvent {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var evs []api.TracerouteEvent
	if err := k.Traceroute(ctx, req, func(ev api.TracerouteEvent) { evs = append(evs, ev) }); err != nil {
		t.Fatalf("Traceroute %+v: %v", req, err)
	}
	if ctx.Err() != nil {
		t.Fatalf("Traceroute %+v: did not end within 60s; events %+v", req, evs)
	}
	return evs
}

// hop is the part of a probe event the tests compare.
type hop struct {
	ttl  int
	from string
	typ  int
	code int
}

func TestTracerouteLine(t *testing.T) {
	ka, _, _ := lineOfKernels(t)
	te4, unr4 := int(header.ICMPv4TimeExceeded), int(header.ICMPv4DstUnreachable)
	te6, unr6 := int(header.ICMPv6TimeExceeded), int(header.ICMPv6DstUnreachable)
	tests := []struct {
		name   string
		req    api.TracerouteRequest
		src    string
		want   []hop
		reason string
	}{
		{"udp", api.TracerouteRequest{Dst: "10.0.2.2", Probes: 2}, "10.0.1.2",
			[]hop{{1, "10.0.1.1", te4, 0}, {1, "10.0.1.1", te4, 0}, {2, "10.0.2.2", unr4, int(header.ICMPv4PortUnreachable)}, {2, "10.0.2.2", unr4, int(header.ICMPv4PortUnreachable)}},
			traceReached},
		{"icmp", api.TracerouteRequest{Dst: "10.0.2.2", Probes: 1, ICMP: true}, "10.0.1.2",
			[]hop{{1, "10.0.1.1", te4, 0}, {2, "10.0.2.2", int(header.ICMPv4EchoReply), 0}},
			traceReached},
		{"udp inet6", api.TracerouteRequest{Dst: "fc02::2", Probes: 1}, "fc01::2",
			[]hop{{1, "fc01::1", te6, 0}, {2, "fc02::2", unr6, int(header.ICMPv6PortUnreachable)}},
			traceReached},
		{"icmp inet6", api.TracerouteRequest{Dst: "fc02::2", Probes: 1, ICMP: true}, "fc01::2",
			[]hop{{1, "fc01::1", te6, 0}, {2, "fc02::2", int(header.ICMPv6EchoReply), 0}},
			traceReached},
		{"silent hop", api.TracerouteRequest{Dst: "10.0.9.1", Probes: 1, MaxTTL: 2, Wait: 0.5}, "10.0.1.2",
			[]hop{{1, "10.0.1.1", te4, 0}, {2, "", 0, 0}},
			traceMaxTTL},
		{"first ttl", api.TracerouteRequest{Dst: "10.0.2.2", Probes: 1, FirstTTL: 2}, "10.0.1.2",
			[]hop{{2, "10.0.2.2", unr4, int(header.ICMPv4PortUnreachable)}},
			traceReached},
		{"unreachable", api.TracerouteRequest{Dst: "10.0.7.1", Probes: 1}, "",
			nil, traceMaxTTL},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !strings.Contains(tt.req.Dst, ":") {
				skipInetForwardingRace(t)
			}
			if tt.name == "unreachable" {
				tt.req.MaxTTL, tt.req.Wait = 1, 0.1
			}
			evs := traceAll(t, ka, tt.req)
			if len(evs) < 2 || evs[0].Type != api.TracerouteStart || evs[len(evs)-1].Type != api.TracerouteEnd {
				t.Fatalf("events: got %+v, want start ... end", evs)
			}
			if evs[0].Src != tt.src {
				t.Errorf("start src: got %q, want %q", evs[0].Src, tt.src)
			}
			var got []hop
			for _, ev := range evs[1 : len(evs)-1] {
				if ev.Type != api.TracerouteProbe {
					t.Fatalf("event: got %+v, want a probe", ev)
				}
				if tt.want != nil {
					got = append(got, hop{ev.TTL, ev.From, ev.ICMPType, ev.ICMPCode})
				}
			}
			if len(got) != len(tt.want) {
				t.Fatalf("hops: got %+v, want %+v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("hop %d: got %+v, want %+v", i, got[i], tt.want[i])
				}
			}
			if r := evs[len(evs)-1].Reason; r != tt.reason {
				t.Errorf("end reason: got %q, want %q", r, tt.reason)
			}
		})
	}
}
