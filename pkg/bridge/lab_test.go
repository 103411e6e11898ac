package bridge_test

import (
	"fmt"
	"net"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/rumpnet/rumpnet/pkg/api"
	"github.com/rumpnet/rumpnet/pkg/bridge"
)

// lab is a set of bridges on one fake clock, their ports joined in pairs
// by in-memory wires. Frames on the wires wait in a queue that run
// delivers, so loops show up as a queue that never drains, not as a
// recursion, and the tests are deterministic.
type lab struct {
	t       *testing.T
	clk     *clock
	bridges map[string]*bridge.Bridge
	nbr     int
	ends    map[string]*end // by "bridge/port"
	queue   []delivery
}

// end is one port of a lab bridge: a wire end or a host.
type end struct {
	br      *bridge.Bridge
	name    string // port name
	peer    *end   // the other end of the wire, nil for a host
	cut     bool   // frames sent here vanish (a silent wire failure)
	got     int    // frames a host port was sent (from the bridge)
	deliver int    // frames delivered to the member's own stack
}

type delivery struct {
	to    *end
	frame []byte
}

func newLab(t *testing.T) *lab {
	return &lab{t: t, clk: newClock(), bridges: map[string]*bridge.Bridge{}, ends: map[string]*end{}}
}

// bridge adds a bridge; bridges added earlier get lower MAC addresses and
// so win the root election at equal priority.
func (l *lab) bridge(name string) *bridge.Bridge {
	l.nbr++
	b := bridge.New(bridge.Config{Now: l.clk.Now})
	l.t.Cleanup(b.Close)
	l.bridges[name] = b
	return b
}

// port adds a member to bridge br; stp switches spanning tree on for it.
func (l *lab) port(br, name string, stp bool) *end {
	l.t.Helper()
	b := l.bridges[br]
	e := &end{br: b, name: name}
	l.ends[br+"/"+name] = e
	n := len(l.ends)
	brIndex := slices.Index(l.bridgeNames(), br)
	err := b.AddPort(bridge.Port{
		Name:  name,
		Index: n + 1,
		MTU:   1500,
		MAC:   net.HardwareAddr{0x02, 0, 0, 0, byte(brIndex + 1), byte(n)},
		Send: func(f []byte) {
			if e.peer == nil {
				e.got++
				return
			}
			if !e.cut && !e.peer.cut {
				l.queue = append(l.queue, delivery{to: e.peer, frame: slices.Clone(f)})
			}
		},
		Deliver: func([]byte) { e.deliver++ },
	})
	if err != nil {
		l.t.Fatalf("AddPort(%s/%s): %v", br, name, err)
	}
	if stp {
		if err := b.Do(flag(name, api.IFBIF_STP, true)); err != nil {
			l.t.Fatal(err)
		}
	}
	return e
}

// bridgeNames lists the bridges in the order they were added (by name, as
// the tests add them alphabetically).
func (l *lab) bridgeNames() []string {
	var names []string
	for n := range l.bridges {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// wire joins two STP ports "A/a1" and "B/b1".
func (l *lab) wire(x, y string, stp bool) {
	bx, px := split(x)
	by, py := split(y)
	ex, ey := l.port(bx, px, stp), l.port(by, py, stp)
	ex.peer, ey.peer = ey, ex
}

func split(s string) (string, string) {
	for i := range s {
		if s[i] == '/' {
			return s[:i], s[i+1:]
		}
	}
	panic(s)
}

// up brings every bridge up.
func (l *lab) up() {
	for _, n := range l.bridgeNames() {
		l.bridges[n].SetUp(true)
	}
	l.run(10000)
}

// run delivers queued frames until the queue is empty or limit frames
// have been delivered, and returns how many were.
func (l *lab) run(limit int) int {
	n := 0
	for len(l.queue) > 0 && n < limit {
		d := l.queue[0]
		l.queue = l.queue[1:]
		d.to.br.Input(d.to.name, d.frame)
		n++
	}
	return n
}

// advance moves the clock by d a second at a time, ticking every bridge
// and delivering what they send.
func (l *lab) advance(d time.Duration) {
	for ; d > 0; d -= time.Second {
		now := l.clk.advance(time.Second)
		for _, n := range l.bridgeNames() {
			l.bridges[n].Tick(now)
		}
		if n := l.run(100000); n == 100000 {
			l.t.Fatalf("frames still circulating after %d deliveries", n)
		}
	}
}

// states returns "bridge/port state" for every STP port.
func (l *lab) states() []string {
	var out []string
	for _, bn := range l.bridgeNames() {
		for _, m := range l.bridges[bn].Status().Members {
			if m.Flags&api.IFBIF_STP != 0 {
				out = append(out, bn+"/"+m.Name+" "+m.State)
			}
		}
	}
	sort.Strings(out)
	return out
}

func (l *lab) wantStates(what string, want ...string) {
	l.t.Helper()
	sort.Strings(want)
	if got := l.states(); !slices.Equal(got, want) {
		l.t.Errorf("%s: got %q, want %q", what, got, want)
	}
}

// link sets the link of both ends of the wire at "bridge/port".
func (l *lab) link(at string, up bool) {
	l.t.Helper()
	e := l.ends[at]
	for _, x := range []*end{e, e.peer} {
		for bn, b := range l.bridges {
			if b == x.br {
				if err := b.SetPortLink(x.name, up); err != nil {
					l.t.Fatalf("SetPortLink(%s/%s): %v", bn, x.name, err)
				}
			}
		}
	}
}

// broadcast sends a broadcast from a station behind host port at and
// returns how many times each host port was sent it, and how many wire
// deliveries it took.
func (l *lab) broadcast(at string, src string) (hosts map[string]int, wireFrames int) {
	for _, e := range l.ends {
		e.got = 0
	}
	bn, pn := split(at)
	l.bridges[bn].Input(pn, frame(broadcast, src))
	wireFrames = l.run(1000)
	hosts = map[string]int{}
	for k, e := range l.ends {
		if e.peer == nil {
			hosts[k] = e.got
		}
	}
	return hosts, wireFrames
}

// twoBridges builds A and B joined by two wires, with a host port each;
// STP on the wire ports if stp.
func twoBridges(t *testing.T, stp bool) *lab {
	l := newLab(t)
	l.bridge("A")
	l.bridge("B")
	l.port("A", "ha", false)
	l.port("B", "hb", false)
	l.wire("A/a1", "B/b1", stp)
	l.wire("A/a2", "B/b2", stp)
	l.up()
	return l
}

// TestSTPLoopConverges joins two bridges by two links: once converged
// exactly one port blocks; taking the forwarding link down unblocks it;
// bringing the link back blocks it again.
func TestSTPLoopConverges(t *testing.T) {
	l := twoBridges(t, true)
	l.wantStates("after the first BPDUs", "A/a1 listening", "A/a2 listening", "B/b1 listening", "B/b2 blocking")
	l.advance(14 * time.Second)
	l.wantStates("14 s", "A/a1 listening", "A/a2 listening", "B/b1 listening", "B/b2 blocking")
	l.advance(2 * time.Second)
	l.wantStates("16 s", "A/a1 learning", "A/a2 learning", "B/b1 learning", "B/b2 blocking")
	l.advance(15 * time.Second)
	l.wantStates("converged", "A/a1 forwarding", "A/a2 forwarding", "B/b1 forwarding", "B/b2 blocking")
	hosts, _ := l.broadcast("A/ha", stationA)
	if hosts["B/hb"] != 1 || hosts["A/ha"] != 0 {
		t.Errorf("broadcast from ha: hosts got %v, want hb once and ha never", hosts)
	}

	l.link("A/a1", false)
	l.advance(time.Second)
	l.wantStates("link 1 down", "A/a1 disabled", "A/a2 forwarding", "B/b1 disabled", "B/b2 listening")
	l.advance(15 * time.Second)
	l.wantStates("link 1 down 16 s", "A/a1 disabled", "A/a2 forwarding", "B/b1 disabled", "B/b2 learning")
	l.advance(15 * time.Second)
	l.wantStates("failed over", "A/a1 disabled", "A/a2 forwarding", "B/b1 disabled", "B/b2 forwarding")
	hosts, _ = l.broadcast("B/hb", stationB)
	if hosts["A/ha"] != 1 || hosts["B/hb"] != 0 {
		t.Errorf("broadcast from hb after failover: hosts got %v, want ha once", hosts)
	}

	l.link("A/a1", true)
	l.advance(40 * time.Second)
	l.wantStates("link 1 back", "A/a1 forwarding", "A/a2 forwarding", "B/b1 forwarding", "B/b2 blocking")
}

// TestSTPSilentFailure cuts a wire without telling either end: the
// blocked port takes over once the root's information on the dead link
// ages out (max age) and it has gone through listening and learning.
func TestSTPSilentFailure(t *testing.T) {
	l := twoBridges(t, true)
	l.advance(40 * time.Second)
	l.wantStates("converged", "A/a1 forwarding", "A/a2 forwarding", "B/b1 forwarding", "B/b2 blocking")
	l.ends["A/a1"].cut = true
	l.advance(15 * time.Second)
	l.wantStates("before max age", "A/a1 forwarding", "A/a2 forwarding", "B/b1 forwarding", "B/b2 blocking")
	l.advance(37 * time.Second)
	l.wantStates("after max age and forward delays",
		"A/a1 forwarding", "A/a2 forwarding", "B/b1 forwarding", "B/b2 forwarding")
	hosts, _ := l.broadcast("A/ha", stationA)
	if hosts["B/hb"] != 1 {
		t.Errorf("broadcast from ha: hosts got %v, want hb once", hosts)
	}
}

// TestSTPTriangle joins three bridges in a ring: exactly one port blocks
// (on the segment between the two non-root bridges, at the higher bridge
// identifier) and every broadcast reaches each other host once.
func TestSTPTriangle(t *testing.T) {
	l := newLab(t)
	for _, n := range []string{"A", "B", "C"} {
		l.bridge(n)
		l.port(n, "h"+n, false)
	}
	l.wire("A/ab", "B/ba", true)
	l.wire("B/bc", "C/cb", true)
	l.wire("C/ca", "A/ac", true)
	l.up()
	l.advance(40 * time.Second)
	l.wantStates("converged", "A/ab forwarding", "A/ac forwarding", "B/ba forwarding",
		"B/bc forwarding", "C/ca forwarding", "C/cb blocking")
	for _, from := range []string{"A/hA", "B/hB", "C/hC"} {
		hosts, wire := l.broadcast(from, stationA)
		for h, n := range hosts {
			want := 1
			if h == from {
				want = 0
			}
			if n != want {
				t.Errorf("broadcast from %s: %s got it %d times, want %d", from, h, n, want)
			}
		}
		if wire > 3 {
			t.Errorf("broadcast from %s: %d wire frames, want at most 3", from, wire)
		}
	}
}

// TestSTPStopsBroadcastStorm counts frames: without STP a broadcast
// circles the loop for ever; with STP it crosses each live link once.
func TestSTPStopsBroadcastStorm(t *testing.T) {
	tests := []struct {
		stp       bool
		maxFrames int
	}{
		{stp: false, maxFrames: 1000},
		{stp: true, maxFrames: 2},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("stp=%v", tt.stp), func(t *testing.T) {
			l := twoBridges(t, tt.stp)
			if tt.stp {
				l.advance(40 * time.Second)
			}
			_, wire := l.broadcast("A/ha", stationA)
			if tt.stp && wire > tt.maxFrames {
				t.Errorf("got %d wire frames, want at most %d", wire, tt.maxFrames)
			}
			if !tt.stp && wire < tt.maxFrames {
				t.Errorf("got %d wire frames, want the loop to reach the limit %d", wire, tt.maxFrames)
			}
			l.queue = nil
		})
	}
}

// TestSTPPriority makes the second bridge the root by priority: the
// blocked port moves to the first.
func TestSTPPriority(t *testing.T) {
	l := twoBridges(t, true)
	if err := l.bridges["B"].Do(api.BridgeRequest{Op: api.BridgePriority, Value: 4096}); err != nil {
		t.Fatal(err)
	}
	l.advance(40 * time.Second)
	l.wantStates("B is root", "A/a1 forwarding", "A/a2 blocking", "B/b1 forwarding", "B/b2 forwarding")
}

// TestSTPPathCost makes the first link expensive: the blocked port moves
// to it.
func TestSTPPathCost(t *testing.T) {
	l := twoBridges(t, true)
	if err := l.bridges["B"].Do(api.BridgeRequest{Op: api.BridgeIfPathCost, Member: "b1", Value: 200}); err != nil {
		t.Fatal(err)
	}
	l.advance(40 * time.Second)
	l.wantStates("link 1 expensive", "A/a1 forwarding", "A/a2 forwarding", "B/b1 blocking", "B/b2 forwarding")
}

// TestSTPTopologyChangeAging checks that after a topology change the
// bridges age dynamic entries after the forward delay, and go back to the
// cache timeout once the change is over.
func TestSTPTopologyChangeAging(t *testing.T) {
	l := twoBridges(t, true)
	l.advance(40 * time.Second)
	l.advance(40 * time.Second) // let the start-up topology change end
	expire := func() int {
		l.bridges["B"].Input("hb", frame(broadcast, stationB))
		l.run(100)
		for _, a := range l.bridges["B"].Status().Cache {
			if a.MAC == stationB {
				return a.Expire
			}
		}
		return -1
	}
	if got := expire(); got != 1200 {
		t.Fatalf("before the change: expire %d, want 1200", got)
	}
	l.link("A/a1", false)
	l.advance(32 * time.Second) // b2 forwards, B notifies the root
	if got := expire(); got > 15 || got < 0 {
		t.Errorf("during the change: expire %d, want at most the forward delay 15", got)
	}
	l.advance(40 * time.Second)
	if got := expire(); got != 1200 {
		t.Errorf("after the change: expire %d, want 1200", got)
	}
}

// TestBPDUWithoutSTP checks NetBSD's behaviour for a BPDU arriving on a
// port without STP: it is an ordinary multicast frame and is forwarded;
// on a port with STP it is consumed.
func TestBPDUWithoutSTP(t *testing.T) {
	bpdu := frame("01:80:c2:00:00:00", stationA)
	bpdu[12], bpdu[13] = 0, 38
	bpdu[14], bpdu[15], bpdu[16] = 0x42, 0x42, 0x03

	r := newRig(t, 3)
	r.b.Input("m0", bpdu)
	if sent, _ := r.who(); !slices.Equal(sent, []string{"m1", "m2"}) {
		t.Errorf("without STP: sent on %v, want [m1 m2]", sent)
	}
	r.do(t, flag("m0", api.IFBIF_STP, true))
	r.reset()
	r.b.Input("m0", bpdu)
	if sent, _ := r.who(); len(sent) != 0 {
		t.Errorf("with STP: sent on %v, want nowhere", sent)
	}
}
