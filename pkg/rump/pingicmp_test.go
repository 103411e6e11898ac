package rump

import (
	"context"
	"testing"
	"time"

	"github.com/rumpnet/rumpnet/pkg/api"
	"gvisor.dev/gvisor/pkg/tcpip/header"
)

// TestPingReportsErrors: a router that cannot forward a request answers
// with an ICMP error quoting it, and the run reports the error with the
// request's sequence number, as NetBSD's ping prints it.
func TestPingReportsErrors(t *testing.T) {
	ka, kb := linkedKernels(t)
	waitAssigned(t, ka)
	waitAssigned(t, kb)
	if err := tunable(t, "net.inet.ip.forwarding").Set(kb, 1); err != nil {
		t.Fatal(err)
	}
	if err := tunable(t, "net.inet6.ip6.forwarding").Set(kb, 1); err != nil {
		t.Fatal(err)
	}
	gw := api.RTF_GATEWAY | api.RTF_STATIC
	if err := ka.AddRoute(4, api.Route{Dest: "10.9.0.0/16", Gateway: "10.0.0.2", Flags: gw}); err != nil {
		t.Fatal(err)
	}
	if err := ka.AddRoute(6, api.Route{Dest: "fd09::/16", Gateway: "fc00::2", Flags: gw}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		req      api.PingRequest
		typ      byte
		code     byte
		wantFrom string
	}{
		{"ttl exceeded", api.PingRequest{Dst: "10.9.0.1", TTL: 1}, byte(header.ICMPv4TimeExceeded), 0, "10.0.0.2"},
		{"no route at the router", api.PingRequest{Dst: "10.9.0.1"}, byte(header.ICMPv4DstUnreachable), byte(header.ICMPv4NetUnreachable), "10.0.0.2"},
		{"hop limit exceeded", api.PingRequest{Dst: "fd09::1", TTL: 1}, byte(header.ICMPv6TimeExceeded), 0, "fc00::2"},
		{"no route at the router, inet6", api.PingRequest{Dst: "fd09::1"}, byte(header.ICMPv6DstUnreachable), byte(header.ICMPv6NetworkUnreachable), "fc00::2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := tt.req
			// A generous wait: errors do not end the run, and a busy machine
			// may take seconds to bring the last one.
			req.Count, req.Interval, req.Size, req.Wait = 2, 0.01, 56, 5
			evs := pingAll(t, ka, req)
			var got []api.PingEvent
			for _, ev := range evs {
				if ev.Type == api.PingICMP {
					got = append(got, ev)
				}
			}
			if len(got) != 2 {
				t.Fatalf("icmp events: got %d, want 2; events %+v", len(got), evs)
			}
			for i, ev := range got {
				if !ev.Mine || ev.Seq != i || ev.From != tt.wantFrom || len(ev.ICMP) < 8 || ev.ICMP[0] != tt.typ || ev.ICMP[1] != tt.code || ev.Bytes != len(ev.ICMP) {
					t.Errorf("icmp event %d: got %+v, want type %d code %d about seq %d from %s", i, ev, tt.typ, tt.code, i, tt.wantFrom)
				}
			}
		})
	}
}

// TestPingWaitsForDAD: a run with a deadline, started while the source
// address is still tentative, waits for it instead of failing at once.
func TestPingWaitsForDAD(t *testing.T) {
	ka, _ := linkedKernels(t)
	if !ka.hasTentative(true, 0) {
		t.Fatal("precondition: no tentative inet6 address on the first kernel")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var evs []api.PingEvent
	req := api.PingRequest{Dst: "fc00::2", Interval: 0.2, Deadline: 15, Size: 56}
	err := ka.Ping(ctx, req, func(ev api.PingEvent) {
		evs = append(evs, ev)
		if ev.Type == api.PingReply {
			cancel() // the peer, also past DAD, answers: enough
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) == 0 || evs[0].Type != api.PingStart || evs[0].Error != nil || evs[0].Src != "fc00::1" {
		t.Fatalf("got events %+v, want a start from fc00::1 without error", evs)
	}
	for _, ev := range evs {
		if ev.Type == api.PingSent && ev.Error != nil {
			t.Errorf("got a failed send %+v, want none: the run waits for its source", ev)
		}
	}
	if got := countTypes(evs); got[api.PingReply] == 0 {
		t.Errorf("got events %+v, want a reply", evs)
	}
}
