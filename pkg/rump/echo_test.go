package rump

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/rumpnet/rumpnet/internal/testkit/framepipe"
	"github.com/rumpnet/rumpnet/pkg/api"
	"gvisor.dev/gvisor/pkg/tcpip/checksum"
	"gvisor.dev/gvisor/pkg/tcpip/header"
)

// echoPair links kernel a (10.0.0.1 and fc00::1, the pinger) to kernel b
// (10.0.0.2, fc00::2) over virt0, with the fast path on or off in b, and returns b's device
// recorder (what b writes).
func echoPair(t *testing.T, fast bool) (ka, kb *Kernel, rec *recorder) {
	t.Helper()
	was := fastEcho
	t.Cleanup(func() { fastEcho = was })
	a, b := framepipe.New()
	rec = &recorder{End: b}
	ka = newKernel(t, Options{OpenTap: func(string) (FrameDevice, error) { return a, nil }})
	fastEcho = fast
	kb = newKernel(t, Options{OpenTap: func(string) (FrameDevice, error) { return rec, nil }})
	for i, k := range []*Kernel{ka, kb} {
		if err := k.Create("virt0"); err != nil {
			t.Fatal(err)
		}
		if err := k.AddAddr("virt0", api.IfAddr{Addr: []string{"10.0.0.1/24", "10.0.0.2/24"}[i]}); err != nil {
			t.Fatal(err)
		}
		if err := k.AddAddr("virt0", api.IfAddr{Addr: []string{"fc00::1/64", "fc00::2/64"}[i]}); err != nil {
			t.Fatal(err)
		}
		waitAssigned(t, k)
	}
	fastEcho = was
	return ka, kb, rec
}

// echoFamily is what the tests need to know of one address family.
type echoFamily struct {
	name     string
	v6       bool
	src, dst string // a's and b's addresses
}

var echoFamilies = []echoFamily{{"inet", false, "10.0.0.1", "10.0.0.2"}, {"inet6", true, "fc00::1", "fc00::2"}}

// echoType returns the ICMP (ICMPv6) type of the echo message in frame,
// and whether it is one (request or reply) of the family.
func (f echoFamily) echoType(frame []byte) (reply, ok bool) {
	const eth = header.EthernetMinimumSize
	if f.v6 {
		if len(frame) < eth+header.IPv6MinimumSize+header.ICMPv6EchoMinimumSize || header.Ethernet(frame).Type() != header.IPv6ProtocolNumber {
			return false, false
		}
		ip := header.IPv6(frame[eth:])
		if ip.NextHeader() != uint8(header.ICMPv6ProtocolNumber) {
			return false, false
		}
		typ := header.ICMPv6(ip.Payload()).Type()
		return typ == header.ICMPv6EchoReply, typ == header.ICMPv6EchoReply || typ == header.ICMPv6EchoRequest
	}
	if len(frame) < eth+header.IPv4MinimumSize+header.ICMPv4MinimumSize || header.Ethernet(frame).Type() != header.IPv4ProtocolNumber {
		return false, false
	}
	ip := header.IPv4(frame[eth:])
	if ip.Protocol() != uint8(header.ICMPv4ProtocolNumber) {
		return false, false
	}
	typ := header.ICMPv4(ip.Payload()).Type()
	return typ == header.ICMPv4EchoReply, typ == header.ICMPv4EchoReply || typ == header.ICMPv4Echo
}

// echoReplies returns the echo replies of family f among the frames
// recorded.
func (r *recorder) echoReplies(f echoFamily) [][]byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out [][]byte
	for _, fr := range r.frames {
		if reply, ok := f.echoType(fr); ok && reply {
			out = append(out, fr)
		}
	}
	return out
}

// echoCounts is what rnetstat -s shows of one kernel's echo traffic.
type echoCounts struct {
	ipTotal, ipDelivered, ipLocalOut, icmpIn, icmpOut, reflect uint64
}

func countsOf(k *Kernel, v6 bool) echoCounts {
	s := k.NetStats()
	if v6 {
		return echoCounts{s.IP6.Total, s.IP6.Delivered, s.IP6.LocalOut, s.ICMP6.InHist[128], s.ICMP6.OutHist[129], s.ICMP6.Reflect}
	}
	return echoCounts{s.IP.Total, s.IP.Delivered, s.IP.LocalOut, s.ICMP.InHist[8], s.ICMP.OutHist[0], s.ICMP.Reflect}
}

func (c echoCounts) minus(d echoCounts) echoCounts {
	return echoCounts{c.ipTotal - d.ipTotal, c.ipDelivered - d.ipDelivered, c.ipLocalOut - d.ipLocalOut,
		c.icmpIn - d.icmpIn, c.icmpOut - d.icmpOut, c.reflect - d.reflect}
}

// echoRun pings b from a three times with a capture on b's virt0, and
// returns the replies b wrote, the change in b's counters, and the
// directions of the ICMP frames the capture saw. A ping before resolves
// the neighbours (NDP's messages would count in the ip6 counters).
func echoRun(t *testing.T, f echoFamily, ka, kb *Kernel, rec *recorder) ([][]byte, echoCounts, []bool, uint64) {
	t.Helper()
	pingAll(t, ka, api.PingRequest{Dst: f.dst, Count: 1, Size: 56})
	// That reply is counted once its write has returned, maybe after ping
	// has it: wait until every request b took is answered in the counts.
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		if c := countsOf(kb, f.v6); c.icmpOut >= c.icmpIn {
			break
		}
	}
	rec.mu.Lock()
	rec.frames = nil
	rec.mu.Unlock()
	c, err := kb.StartCapture("virt0", CaptureOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	before, n0 := countsOf(kb, f.v6), echoAnswered.Load()
	// A generous wait for the last reply: the machine may be busy.
	evs := pingAll(t, ka, api.PingRequest{Dst: f.dst, Count: 3, Size: 56, Interval: 0.05, Wait: 10})
	if got := countTypes(evs)["reply"]; got != 3 {
		t.Fatalf("got %d replies, want 3 (events %+v)", got, evs)
	}
	// Replies are counted once their write has returned, which may be
	// after ping has them: wait for the third reply's count.
	delta, answered := countsOf(kb, f.v6).minus(before), echoAnswered.Load()-n0
	for deadline := time.Now().Add(10 * time.Second); delta.icmpOut < 3 && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
		delta, answered = countsOf(kb, f.v6).minus(before), echoAnswered.Load()-n0
	}
	var dirs []bool
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for len(dirs) < 6 && ctx.Err() == nil {
		pkts, err := c.Read(ctx, nil)
		if err != nil {
			break
		}
		for _, p := range pkts {
			if reply, ok := f.echoType(p.Data); ok {
				dirs = append(dirs, reply)
			}
		}
	}
	return rec.echoReplies(f), delta, dirs, answered
}

// TestEchoFastPath: the fast path's replies are the stack's, byte for
// byte, counted the same, and captured both ways.
func TestEchoFastPath(t *testing.T) {
	for _, f := range echoFamilies {
		t.Run(f.name, func(t *testing.T) { testEchoFastPath(t, f) })
	}
}

func testEchoFastPath(t *testing.T, fam echoFamily) {
	var replies [2][][]byte
	var counts [2]echoCounts
	for i, fast := range []bool{false, true} {
		ka, kb, rec := echoPair(t, fast)
		var dirs []bool
		var answered uint64
		replies[i], counts[i], dirs, answered = echoRun(t, fam, ka, kb, rec)
		if want := map[bool]uint64{false: 0, true: 3}[fast]; answered != want {
			t.Errorf("fast %v: got %d requests answered by the fast path, want %d", fast, answered, want)
		}
		if want := []bool{false, true, false, true, false, true}; !equalBools(dirs, want) {
			t.Errorf("fast %v: capture saw (reply?) %v, want %v", fast, dirs, want)
		}
		got, want := counts[i], echoCounts{3, 3, 3, 3, 3, 3}
		if fam.v6 {
			// MLD reports and NDP probes may come meanwhile: the ip6
			// counters have the echo traffic in them, and maybe more.
			got.ipTotal, got.ipDelivered, got.ipLocalOut = min(got.ipTotal, 3), min(got.ipDelivered, 3), min(got.ipLocalOut, 3)
		}
		if got != want {
			t.Errorf("fast %v: counters got %+v, want %+v", fast, counts[i], want)
		}
	}
	if len(replies[0]) != 3 || len(replies[1]) != 3 {
		t.Fatalf("replies written: got %d (stack) and %d (fast path), want 3 each", len(replies[0]), len(replies[1]))
	}
	// The MACs differ between kernels and the ICMP ident and data between
	// runs: the IP headers must be the same, the rest a valid reply.
	ipEnd := header.EthernetMinimumSize + header.IPv4MinimumSize
	if fam.v6 {
		ipEnd = header.EthernetMinimumSize + header.IPv6MinimumSize
	}
	for j := range replies[0] {
		s, f := replies[0][j], replies[1][j]
		if len(f) != len(s) || !bytes.Equal(f[header.EthernetMinimumSize:ipEnd], s[header.EthernetMinimumSize:ipEnd]) {
			t.Errorf("reply %d: got\n%x\nfrom the fast path, want the stack's IP header and length\n%x", j, f, s)
		}
		var sum uint16
		if fam.v6 {
			ip := header.IPv6(f[header.EthernetMinimumSize:])
			sum = header.PseudoHeaderChecksum(header.ICMPv6ProtocolNumber, ip.SourceAddress(), ip.DestinationAddress(), uint16(len(f)-ipEnd))
		}
		if code, got := f[ipEnd+1], checksum.Checksum(f[ipEnd:], sum); code != 0 || got != 0xffff {
			t.Errorf("reply %d: got code %d, ICMP checksum sum %#x; want 0 and 0xffff", j, code, got)
		}
	}
}

func equalBools(a, b []bool) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestEchoFastPathDeclines: requests the stack must answer, or not, itself.
func TestEchoFastPathDeclines(t *testing.T) {
	tests := []struct {
		name    string
		setup   func(t *testing.T, ka, kb *Kernel)
		req     api.PingRequest
		replies int
	}{
		{"reject route back", func(t *testing.T, ka, kb *Kernel) {
			if err := kb.AddRoute(4, api.Route{Dest: "10.0.0.1/32", Gateway: "127.0.0.1", Flags: api.RTF_GATEWAY | api.RTF_REJECT | api.RTF_STATIC}); err != nil {
				t.Fatal(err)
			}
		}, api.PingRequest{Dst: "10.0.0.2", Count: 1, Wait: 0.5}, 0},
		{"route back via a gateway", func(t *testing.T, ka, kb *Kernel) {
			if err := kb.AddRoute(4, api.Route{Dest: "10.0.0.1/32", Gateway: "10.0.0.9", Flags: api.RTF_GATEWAY | api.RTF_STATIC}); err != nil {
				t.Fatal(err)
			}
		}, api.PingRequest{Dst: "10.0.0.2", Count: 1, Wait: 0.5}, 0},
		{"ARP entry names another MAC", func(t *testing.T, ka, kb *Kernel) {
			if err := kb.AddNeighbor(4, api.Neighbor{Addr: "10.0.0.1", LinkAddr: "02:00:00:00:00:99", Interface: "virt0"}); err != nil {
				t.Fatal(err)
			}
		}, api.PingRequest{Dst: "10.0.0.2", Count: 1, Wait: 0.5}, -1},
		{"subnet broadcast", nil, api.PingRequest{Dst: "10.0.0.255", Count: 1, Wait: 1}, -1},
		{"IP options (record route)", nil, api.PingRequest{Dst: "10.0.0.2", Count: 1, RecordRoute: true}, 1},
		{"inet6 reject route back", func(t *testing.T, ka, kb *Kernel) {
			if err := kb.AddRoute(6, api.Route{Dest: "fc00::1/128", Gateway: "::1", Flags: api.RTF_GATEWAY | api.RTF_REJECT | api.RTF_STATIC}); err != nil {
				t.Fatal(err)
			}
		}, api.PingRequest{Dst: "fc00::2", Count: 1, Wait: 0.5}, 0},
		{"inet6 route back via a gateway", func(t *testing.T, ka, kb *Kernel) {
			if err := kb.AddRoute(6, api.Route{Dest: "fc00::1/128", Gateway: "fc00::9", Flags: api.RTF_GATEWAY | api.RTF_STATIC}); err != nil {
				t.Fatal(err)
			}
		}, api.PingRequest{Dst: "fc00::2", Count: 1, Wait: 0.5}, 0},
		{"NDP entry names another MAC", func(t *testing.T, ka, kb *Kernel) {
			if err := kb.AddNeighbor(6, api.Neighbor{Addr: "fc00::1", LinkAddr: "02:00:00:00:00:99", Interface: "virt0"}); err != nil {
				t.Fatal(err)
			}
		}, api.PingRequest{Dst: "fc00::2", Count: 1, Wait: 0.5}, -1},
		{"inet6 all-nodes multicast", nil, api.PingRequest{Dst: "ff02::1", Interface: "virt0", Count: 1, Wait: 1}, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ka, kb, _ := echoPair(t, true)
			if tt.setup != nil {
				tt.setup(t, ka, kb)
			}
			n0 := echoAnswered.Load()
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			var evs []api.PingEvent
			_ = ka.Ping(ctx, tt.req, func(ev api.PingEvent) { evs = append(evs, ev) })
			if got := echoAnswered.Load() - n0; got != 0 {
				t.Errorf("got %d requests answered by the fast path, want 0", got)
			}
			if got := countTypes(evs)["reply"]; tt.replies >= 0 && got != tt.replies {
				t.Errorf("got %d replies, want %d (events %+v)", got, tt.replies, evs)
			}
		})
	}
}
