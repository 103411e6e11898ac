package rump

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/rumpnet/rumpnet/internal/testkit/framepipe"
	"github.com/rumpnet/rumpnet/pkg/api"
	"gvisor.dev/gvisor/pkg/tcpip/header"
)

// pingAll runs a ping to completion and returns its events.
func pingAll(t *testing.T, k *Kernel, req api.PingRequest) []api.PingEvent {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var evs []api.PingEvent
	if err := k.Ping(ctx, req, func(ev api.PingEvent) { evs = append(evs, ev) }); err != nil {
		t.Fatalf("Ping %+v: %v", req, err)
	}
	if ctx.Err() != nil {
		t.Fatalf("Ping %+v: did not end within 20s; events %+v", req, evs)
	}
	return evs
}

// countTypes counts events by type.
func countTypes(evs []api.PingEvent) map[string]int {
	n := map[string]int{}
	for _, ev := range evs {
		n[ev.Type]++
	}
	return n
}

func TestPingBetweenKernels(t *testing.T) {
	ka, kb := linkedKernels(t)
	waitAssigned(t, ka)
	waitAssigned(t, kb)
	tests := []struct {
		name, dst, src string
		size, bytes    int
	}{
		{"inet", "10.0.0.2", "10.0.0.1", 56, 64},
		{"inet6", "fc00::2", "fc00::1", 56, 64},
		{"inet no timestamp", "10.0.0.2", "10.0.0.1", 4, 12},
		{"inet6 large", "fc00::2", "fc00::1", 3000, 3008}, // fragmented both ways
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			evs := pingAll(t, ka, api.PingRequest{Dst: tt.dst, Count: 3, Interval: 0.01, Size: tt.size})
			if got := countTypes(evs); got[api.PingStart] != 1 || got[api.PingSent] != 3 || got[api.PingReply] != 3 || got[api.PingEnd] != 1 {
				t.Fatalf("event counts: got %v, want 1 start, 3 sent, 3 reply, 1 end; events %+v", got, evs)
			}
			if start := evs[0]; start.Type != api.PingStart || start.Src != tt.src || start.Dst != tt.dst || start.Error != nil {
				t.Errorf("first event: got %+v, want start from %s to %s", start, tt.src, tt.dst)
			}
			if end := evs[len(evs)-1]; end.Type != api.PingEnd || end.Reason != api.PingEndCount || end.Seq != 3 {
				t.Errorf("last event: got %+v, want end, reason count, seq 3", end)
			}
			seq := 0
			for _, ev := range evs {
				if ev.Type != api.PingReply {
					continue
				}
				if ev.Seq != seq || ev.From != tt.dst || ev.Bytes != tt.bytes || ev.TTL != 64 {
					t.Errorf("reply: got %+v, want seq %d from %s, %d bytes, ttl 64", ev, seq, tt.dst, tt.bytes)
				}
				if timed := tt.size >= pingStampLen; timed != (ev.RTT > 0) || ev.RTT > 10000 {
					t.Errorf("reply %d: got rtt %v ms, want it measured: %v", seq, ev.RTT, timed)
				}
				seq++
			}
		})
	}
}

func TestPingLocal(t *testing.T) {
	k := newKernel(t, Options{})
	for _, dst := range []string{"127.0.0.1", "::1"} {
		evs := pingAll(t, k, api.PingRequest{Dst: dst, Count: 2, Interval: 0.01, Size: 56})
		if got := countTypes(evs); got[api.PingReply] != 2 || evs[0].Src != dst {
			t.Errorf("ping %s: got %+v, want 2 replies from source %s", dst, evs, dst)
		}
	}
}

func TestPingNoRoute(t *testing.T) {
	k := newKernel(t, Options{})
	for _, dst := range []string{"192.0.2.1", "2001:db8::1"} {
		evs := pingAll(t, k, api.PingRequest{Dst: dst, Count: 2, Interval: 0.01, Wait: 0.05})
		if start := evs[0]; start.Src != "" || start.Error == nil || start.Error.Errno != "EHOSTUNREACH" {
			t.Errorf("ping %s: start got %+v, want no source and EHOSTUNREACH", dst, start)
		}
		for _, ev := range evs[1 : len(evs)-1] {
			if ev.Type != api.PingSent || ev.Error == nil || ev.Error.Errno != "EHOSTUNREACH" {
				t.Errorf("ping %s: got %+v, want sent with EHOSTUNREACH", dst, ev)
			}
		}
		if got := countTypes(evs); got[api.PingSent] != 2 || got[api.PingEnd] != 1 {
			t.Errorf("ping %s: got %v, want 2 sent and an end", dst, got)
		}
	}
}

func TestPingUnanswered(t *testing.T) {
	ka, _ := linkedKernels(t)
	begin := time.Now()
	evs := pingAll(t, ka, api.PingRequest{Dst: "10.0.0.99", Count: 2, Interval: 0.01, Wait: 0.2})
	if got := countTypes(evs); got[api.PingSent] != 2 || got[api.PingReply] != 0 || evs[len(evs)-1].Reason != api.PingEndCount {
		t.Errorf("got %+v, want 2 sent, no reply, end count", evs)
	}
	if d := time.Since(begin); d < 200*time.Millisecond {
		t.Errorf("run took %v, want at least the 0.2s wait", d)
	}
	// Without Wait, NetBSD's rule: at least ten intervals.
	begin = time.Now()
	pingAll(t, ka, api.PingRequest{Dst: "10.0.0.99", Count: 1, Interval: 0.03})
	if d := time.Since(begin); d < 300*time.Millisecond {
		t.Errorf("run took %v, want at least ten 0.03s intervals", d)
	}
}

func TestPingDeadline(t *testing.T) {
	ka, _ := linkedKernels(t)
	evs := pingAll(t, ka, api.PingRequest{Dst: "10.0.0.2", Interval: 0.05, Deadline: 0.3})
	end := evs[len(evs)-1]
	if n := countTypes(evs)[api.PingSent]; end.Reason != api.PingEndDeadline || n < 3 || n > 8 {
		t.Errorf("got %d sent and end %+v, want about 6 sent and end by deadline", n, end)
	}
}

func TestPingRequestErrors(t *testing.T) {
	k := newKernel(t, Options{})
	if err := k.Create("virt0"); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		req  api.PingRequest
		want syscall.Errno
	}{
		{api.PingRequest{Dst: "nosuchhost"}, syscall.EINVAL},
		{api.PingRequest{Dst: "127.0.0.1", Src: "10.9.9.9"}, syscall.EADDRNOTAVAIL},
		{api.PingRequest{Dst: "127.0.0.1", Src: "::1"}, syscall.EINVAL},
		{api.PingRequest{Dst: "127.0.0.1", Interface: "virt9"}, syscall.ENXIO},
		{api.PingRequest{Dst: "127.0.0.1", Interface: "virt0"}, syscall.EADDRNOTAVAIL},
		{api.PingRequest{Dst: "fe80::1%virt9"}, syscall.ENXIO},
		{api.PingRequest{Dst: "fe80::1%lo0", Interface: "virt0"}, syscall.EINVAL},
		{api.PingRequest{Dst: "127.0.0.1", Size: 65508}, syscall.EMSGSIZE},
		{api.PingRequest{Dst: "::1", Size: 65528}, syscall.EMSGSIZE},
		{api.PingRequest{Dst: "127.0.0.1", TTL: 256}, syscall.EINVAL},
		{api.PingRequest{Dst: "127.0.0.1", Count: -1}, syscall.EINVAL},
		{api.PingRequest{Dst: "127.0.0.1", Interval: 2e9}, syscall.EINVAL},
		{api.PingRequest{Dst: "127.0.0.1", Wait: -1}, syscall.EINVAL},
	}
	for _, tt := range tests {
		called := false
		err := k.Ping(context.Background(), tt.req, func(api.PingEvent) { called = true })
		if !errors.Is(err, tt.want) || called {
			t.Errorf("Ping %+v: got %v (events: %v), want %v before any event", tt.req, err, called, tt.want)
		}
	}
	k4 := newKernel(t, Options{Components: []string{"rumpnet_netinet"}})
	if err := k4.Ping(context.Background(), api.PingRequest{Dst: "::1"}, func(api.PingEvent) {}); !errors.Is(err, syscall.EAFNOSUPPORT) {
		t.Errorf("ping6 in a kernel without inet6: got %v, want EAFNOSUPPORT", err)
	}
}

// recorder is a frame device that keeps a copy of every frame written to it.
type recorder struct {
	*framepipe.End
	mu     sync.Mutex
	frames [][]byte
}

func (r *recorder) Write(p []byte) (int, error) {
	r.mu.Lock()
	r.frames = append(r.frames, append([]byte(nil), p...))
	r.mu.Unlock()
	return r.End.Write(p)
}

// echoRequests returns the IP headers of the echo requests recorded.
func (r *recorder) echoRequests() (v4 []header.IPv4, v6 []header.IPv6) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, f := range r.frames {
		if len(f) < header.EthernetMinimumSize {
			continue
		}
		ip := f[header.EthernetMinimumSize:]
		switch header.Ethernet(f).Type() {
		case header.IPv4ProtocolNumber:
			h := header.IPv4(ip)
			if h.Protocol() == uint8(header.ICMPv4ProtocolNumber) && header.ICMPv4(h.Payload()).Type() == header.ICMPv4Echo {
				v4 = append(v4, h)
			}
		case header.IPv6ProtocolNumber:
			h := header.IPv6(ip)
			if h.NextHeader() == uint8(header.ICMPv6ProtocolNumber) && header.ICMPv6(h.Payload()).Type() == header.ICMPv6EchoRequest {
				v6 = append(v6, h)
			}
		}
	}
	return v4, v6
}

func TestPingHeaderFields(t *testing.T) {
	a, b := framepipe.New()
	rec := &recorder{End: a}
	ka := newKernel(t, Options{OpenTap: func(string) (FrameDevice, error) { return rec, nil }})
	kb := newKernel(t, Options{OpenTap: func(string) (FrameDevice, error) { return b, nil }})
	for i, k := range []*Kernel{ka, kb} {
		if err := k.Create("virt0"); err != nil {
			t.Fatal(err)
		}
		for _, addr := range [][]string{{"10.0.0.1/24", "fc00::1/64"}, {"10.0.0.2/24", "fc00::2/64"}}[i] {
			if err := k.AddAddr("virt0", api.IfAddr{Addr: addr}); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := ka.AddAddr("virt0", api.IfAddr{Addr: "10.0.0.3/24"}); err != nil {
		t.Fatal(err)
	}
	waitAssigned(t, ka)
	waitAssigned(t, kb)
	pingAll(t, ka, api.PingRequest{Dst: "10.0.0.2", Src: "10.0.0.3", Count: 1, Size: 100, TTL: 7, TOS: 0x10})
	pingAll(t, ka, api.PingRequest{Dst: "fc00::2", Interface: "virt0", Count: 1, TTL: 9})
	v4, v6 := rec.echoRequests()
	if len(v4) != 1 || len(v6) != 1 {
		t.Fatalf("echo requests on the wire: got %d inet and %d inet6, want 1 each", len(v4), len(v6))
	}
	h := v4[0]
	if tos, _ := h.TOS(); h.TTL() != 7 || tos != 0x10 || h.SourceAddress().String() != "10.0.0.3" || len(h.Payload()) != 108 {
		t.Errorf("inet request: got ttl %d tos %#x src %s, %d ICMP bytes; want ttl 7, tos 0x10, src 10.0.0.3, 108 bytes",
			h.TTL(), tos, h.SourceAddress(), len(h.Payload()))
	}
	if h := v6[0]; h.HopLimit() != 9 || len(h.Payload()) != 8 {
		t.Errorf("inet6 request: got hop limit %d, %d ICMP bytes; want 9 and 8", h.HopLimit(), len(h.Payload()))
	}
}

func TestPingLinkLocalZone(t *testing.T) {
	ka, kb := linkedKernels(t)
	waitAssigned(t, ka)
	waitAssigned(t, kb)
	vb, _ := kb.Interface("virt0")
	ll := vb.Inet6[0].Addr // fe80::.../64, first on up
	ll = ll[:len(ll)-3] + "%virt0"
	evs := pingAll(t, ka, api.PingRequest{Dst: ll, Count: 1})
	if got := countTypes(evs); got[api.PingReply] != 1 || evs[0].Dst != ll || evs[2].From != ll {
		t.Errorf("ping %s: got %+v, want one reply from it", ll, evs)
	}
}

// TestPingEnds checks that a run stops, leaving no goroutine behind, when
// its client goes away and when the kernel halts.
func TestPingEnds(t *testing.T) {
	ka, _ := linkedKernels(t)
	run := func(k *Kernel, stop func(cancel context.CancelFunc)) []api.PingEvent {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		evs := make(chan api.PingEvent, 100)
		done := make(chan error)
		go func() {
			done <- k.Ping(ctx, api.PingRequest{Dst: "10.0.0.2", Interval: 0.01}, func(ev api.PingEvent) { evs <- ev })
		}()
		for n := 0; n < 3; {
			if (<-evs).Type == api.PingReply {
				n++
			}
		}
		stop(cancel)
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("Ping: %v", err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("Ping did not return after the stop")
		}
		close(evs)
		var all []api.PingEvent
		for ev := range evs {
			all = append(all, ev)
		}
		return all
	}
	run(ka, func(cancel context.CancelFunc) { cancel() })
	before := runtime.NumGoroutine()
	for i := 0; i < 20; i++ {
		evs := run(ka, func(cancel context.CancelFunc) { cancel() })
		if n := countTypes(evs)[api.PingEnd]; n != 0 {
			t.Fatalf("cancelled run: got %d end events, want none", n)
		}
	}
	time.Sleep(50 * time.Millisecond)
	if after := runtime.NumGoroutine(); after > before+2 {
		t.Errorf("goroutines: got %d after 20 cancelled runs, want at most %d", after, before+2)
	}
	evs := run(ka, func(context.CancelFunc) { ka.Close() })
	if last := evs[len(evs)-1]; last.Type != api.PingEnd || last.Reason != api.PingEndHalt {
		t.Errorf("run ended by halt: last event %+v, want end, reason halt", last)
	}
	if err := ka.Ping(context.Background(), api.PingRequest{Dst: "127.0.0.1", Interface: "lo0"}, func(api.PingEvent) {}); !errors.Is(err, syscall.ENXIO) {
		t.Errorf("ping on a halted kernel: got %v, want ENXIO", err)
	}
}

func TestPingOwnAddress(t *testing.T) {
	ka, _ := linkedKernels(t)
	waitAssigned(t, ka)
	for _, dst := range []string{"10.0.0.1", "fc00::1"} {
		evs := pingAll(t, ka, api.PingRequest{Dst: dst, Count: 2, Interval: 0.01, Size: 56})
		if got := countTypes(evs); got[api.PingReply] != 2 || evs[0].Src != dst {
			t.Errorf("ping %s: got %+v, want 2 replies from source %s", dst, evs, dst)
		}
	}
}

// FuzzPingRequest checks that any request is either refused with an errno
// or accepted as a well-formed target, without running it.
func FuzzPingRequest(f *testing.F) {
	f.Add("10.0.0.1", "", "", 56, 0, 0, 1.0)
	f.Add("fe80::1%virt0", "fe80::2", "virt0", 8, 64, 0, 0.5)
	f.Add("::ffff:127.0.0.1", "127.0.0.1", "lo0", 65507, 255, 255, -1.0)
	k, err := New(Options{OpenTap: newTapSet().openTap})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(k.Close)
	f.Fuzz(func(t *testing.T, dst, src, ifname string, size, ttl, tos int, interval float64) {
		req := api.PingRequest{Dst: dst, Src: src, Interface: ifname, Size: size, TTL: ttl, TOS: tos, Interval: interval}
		tg, err := k.pingTarget(req)
		if err != nil {
			var ae *api.Error
			if !errors.As(err, &ae) || ae.Errno == 0 {
				t.Fatalf("%+v: error %v carries no errno", req, err)
			}
			return
		}
		if tg.dst.BitLen() == 0 || tg.interval < pingMinInterval || size < 0 || ttl < 0 || ttl > 255 {
			t.Fatalf("%+v: accepted as %+v", req, tg)
		}
	})
}

// TestPingRejectErrno restates t_flags.sh reject: a reject route whose
// gateway is on lo0 fails a send with ENETUNREACH when it is a network
// route and EHOSTUNREACH when it is a host route (the loopback output
// refuses it); without any route the error stays EHOSTUNREACH.
func TestPingRejectErrno(t *testing.T) {
	k := newKernel(t, Options{})
	gwReject := api.RTF_GATEWAY | api.RTF_STATIC | api.RTF_REJECT
	for _, r := range []api.Route{
		{Dest: "10.8.0.0/16", Gateway: "127.0.0.1", Flags: gwReject},
		{Dest: "10.7.0.1/32", Gateway: "127.0.0.1", Flags: api.RTF_STATIC | api.RTF_REJECT},
		{Dest: "fc00:8::/64", Gateway: "::1", Flags: gwReject},
	} {
		family := 4
		if strings.Contains(r.Dest, ":") {
			family = 6
		}
		if err := k.AddRoute(family, r); err != nil {
			t.Fatalf("route %+v: %v", r, err)
		}
	}
	tests := []struct{ dst, want string }{
		{"10.8.0.1", "ENETUNREACH"},
		{"10.7.0.1", "EHOSTUNREACH"},
		{"fc00:8::1", "ENETUNREACH"},
		{"10.6.0.1", "EHOSTUNREACH"},
	}
	for _, tt := range tests {
		evs := pingAll(t, k, api.PingRequest{Dst: tt.dst, Count: 1, Wait: 0.05})
		for _, ev := range evs[:len(evs)-1] {
			if ev.Error == nil || ev.Error.Errno != tt.want {
				t.Errorf("ping %s: got %+v, want %s", tt.dst, ev, tt.want)
			}
		}
	}
}
