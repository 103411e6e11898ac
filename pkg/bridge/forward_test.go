package bridge_test

import (
	"fmt"
	"net"
	"slices"
	"testing"

	"github.com/rumpnet/rumpnet/pkg/api"
	"github.com/rumpnet/rumpnet/pkg/bridge"
)

func flag(member string, f int, on bool) api.BridgeRequest {
	return api.BridgeRequest{Op: api.BridgeMemberFlag, Member: member, Value: f, On: on}
}

// TestInput checks which members send (output on their wire) and deliver
// (to their own stack) a frame that arrives on a member's wire. The rig has
// four members m0..m3; station B has been heard on m2 and station C on m1
// before each case.
func TestInput(t *testing.T) {
	m1MAC := "02:00:00:00:00:01"
	tests := []struct {
		name      string
		setup     []api.BridgeRequest
		down      bool
		in        string
		frame     []byte
		sent      []string
		delivered []string
	}{
		{name: "unknown unicast floods", in: "m0", frame: frame(stationA, stationC),
			sent: []string{"m1", "m2", "m3"}},
		{name: "known unicast goes out its port only", in: "m0", frame: frame(stationB, stationA),
			sent: []string{"m2"}},
		{name: "unicast for the input port's side is dropped", in: "m2", frame: frame(stationB, stationA)},
		{name: "broadcast floods and is delivered everywhere", in: "m0", frame: frame(broadcast, stationA),
			sent: []string{"m1", "m2", "m3"}, delivered: []string{"m0", "m1", "m2", "m3"}},
		{name: "multicast floods and is delivered everywhere", in: "m3", frame: frame(multicast, stationA),
			sent: []string{"m0", "m1", "m2"}, delivered: []string{"m0", "m1", "m2", "m3"}},
		{name: "unicast to a member's MAC is delivered to that member", in: "m0", frame: frame(m1MAC, stationA),
			delivered: []string{"m1"}},
		{name: "unicast to the input member's MAC", in: "m0", frame: frame("02:00:00:00:00:00", stationA),
			delivered: []string{"m0"}},
		{name: "a member's own source address is a loop", in: "m0", frame: frame(broadcast, m1MAC)},
		{name: "discover off: no unknown unicast", setup: []api.BridgeRequest{flag("m3", api.IFBIF_DISCOVER, false)},
			in: "m0", frame: frame(stationA, stationC), sent: []string{"m1", "m2"}},
		{name: "discover off: broadcast still", setup: []api.BridgeRequest{flag("m3", api.IFBIF_DISCOVER, false)},
			in: "m0", frame: frame(broadcast, stationA),
			sent: []string{"m1", "m2", "m3"}, delivered: []string{"m0", "m1", "m2", "m3"}},
		{name: "discover off: known unicast still", setup: []api.BridgeRequest{flag("m2", api.IFBIF_DISCOVER, false)},
			in: "m0", frame: frame(stationB, stationA), sent: []string{"m2"}},
		{name: "protected to protected: unicast blocked",
			setup: []api.BridgeRequest{flag("m0", api.IFBIF_PROTECTED, true), flag("m2", api.IFBIF_PROTECTED, true)},
			in:    "m0", frame: frame(stationB, stationA)},
		{name: "protected to unprotected: unicast passes",
			setup: []api.BridgeRequest{flag("m0", api.IFBIF_PROTECTED, true), flag("m2", api.IFBIF_PROTECTED, true)},
			in:    "m0", frame: frame(stationC, stationA), sent: []string{"m1"}},
		{name: "protected: flood skips protected ports",
			setup: []api.BridgeRequest{flag("m0", api.IFBIF_PROTECTED, true), flag("m2", api.IFBIF_PROTECTED, true)},
			in:    "m0", frame: frame(stationA, stationC), sent: []string{"m1", "m3"}},
		{name: "protected: broadcast skips protected ports, delivered everywhere",
			setup: []api.BridgeRequest{flag("m0", api.IFBIF_PROTECTED, true), flag("m2", api.IFBIF_PROTECTED, true)},
			in:    "m0", frame: frame(broadcast, stationA),
			sent: []string{"m1", "m3"}, delivered: []string{"m0", "m1", "m2", "m3"}},
		{name: "protected: unprotected input reaches everyone",
			setup: []api.BridgeRequest{flag("m0", api.IFBIF_PROTECTED, true), flag("m2", api.IFBIF_PROTECTED, true)},
			in:    "m3", frame: frame(broadcast, stationA),
			sent: []string{"m0", "m1", "m2"}, delivered: []string{"m0", "m1", "m2", "m3"}},
		{name: "down: unicast for the member is delivered", down: true, in: "m1", frame: frame(m1MAC, stationA),
			delivered: []string{"m1"}},
		{name: "down: other unicast is dropped", down: true, in: "m1", frame: frame(stationB, stationA)},
		{name: "down: broadcast is delivered on the input member only", down: true, in: "m1",
			frame: frame(broadcast, stationA), delivered: []string{"m1"}},
		{name: "runt", in: "m0", frame: frame(broadcast, stationA)[:13]},
		{name: "not a member", in: "m9", frame: frame(broadcast, stationA)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, 4)
			r.b.Input("m2", frame(broadcast, stationB))
			r.b.Input("m1", frame(broadcast, stationC))
			r.do(t, tt.setup...)
			if tt.down {
				r.b.SetUp(false)
			}
			r.reset()
			r.b.Input(tt.in, tt.frame)
			sent, delivered := r.who()
			if !slices.Equal(sent, orEmpty(tt.sent)) {
				t.Errorf("sent on %v, want %v", sent, tt.sent)
			}
			if !slices.Equal(delivered, orEmpty(tt.delivered)) {
				t.Errorf("delivered on %v, want %v", delivered, tt.delivered)
			}
		})
	}
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// TestOutput checks where a frame sent by member m0's own stack goes.
func TestOutput(t *testing.T) {
	tests := []struct {
		name      string
		down      bool
		frame     []byte
		sent      []string
		delivered []string
	}{
		{name: "broadcast goes out every member and up the others",
			frame: frame(broadcast, "02:00:00:00:00:00"),
			sent:  []string{"m0", "m1", "m2", "m3"}, delivered: []string{"m1", "m2", "m3"}},
		{name: "unknown unicast goes out every member",
			frame: frame(stationA, "02:00:00:00:00:00"), sent: []string{"m0", "m1", "m2", "m3"}},
		{name: "known unicast goes out its port",
			frame: frame(stationB, "02:00:00:00:00:00"), sent: []string{"m2"}},
		{name: "unicast to another member is delivered to it",
			frame: frame("02:00:00:00:00:03", "02:00:00:00:00:00"), delivered: []string{"m3"}},
		{name: "down: out the sending member only", down: true,
			frame: frame(broadcast, "02:00:00:00:00:00"), sent: []string{"m0"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, 4)
			r.b.Input("m2", frame(broadcast, stationB))
			if tt.down {
				r.b.SetUp(false)
			}
			r.reset()
			r.b.Output("m0", tt.frame)
			sent, delivered := r.who()
			if !slices.Equal(sent, orEmpty(tt.sent)) {
				t.Errorf("sent on %v, want %v", sent, tt.sent)
			}
			if !slices.Equal(delivered, orEmpty(tt.delivered)) {
				t.Errorf("delivered on %v, want %v", delivered, tt.delivered)
			}
		})
	}
}

// TestLinkDown checks that a member whose link is down gets nothing and
// loses its learned stations.
func TestLinkDown(t *testing.T) {
	r := newRig(t, 3)
	r.b.Input("m2", frame(broadcast, stationB))
	if err := r.b.SetPortLink("m2", false); err != nil {
		t.Fatal(err)
	}
	if got := r.cache(); len(got) != 0 {
		t.Errorf("cache after link down: got %v, want none", got)
	}
	r.reset()
	r.b.Input("m0", frame(broadcast, stationA))
	if sent, _ := r.who(); !slices.Equal(sent, []string{"m1"}) {
		t.Errorf("sent on %v, want [m1]", sent)
	}
	if err := r.b.SetPortLink("m2", true); err != nil {
		t.Fatal(err)
	}
	r.reset()
	r.b.Input("m0", frame(broadcast, stationA))
	if sent, _ := r.who(); !slices.Equal(sent, []string{"m1", "m2"}) {
		t.Errorf("after link up: sent on %v, want [m1 m2]", sent)
	}
}

// TestReentrantDeliver checks that Deliver may answer at once through
// Output (a member's stack replying) without deadlocking.
func TestReentrantDeliver(t *testing.T) {
	r := newRig(t, 2)
	replies := 0
	m := &member{name: "echo", index: 9, mac: mustMAC("02:00:00:00:00:09")}
	p := m.port()
	p.Deliver = func(f []byte) {
		replies++
		r.b.Output("echo", frame(stationA, "02:00:00:00:00:09"))
	}
	if err := r.b.AddPort(p); err != nil {
		t.Fatal(err)
	}
	r.b.Input("m0", frame("02:00:00:00:00:09", stationA))
	if replies != 1 {
		t.Fatalf("got %d deliveries, want 1", replies)
	}
	if s, _ := r.members[0].counts(); s != 1 {
		t.Errorf("reply sent %d times on m0, want 1 (station A was learned there)", s)
	}
}

// TestKnownUnicastAllocs checks that forwarding a known unicast frame,
// refreshing its source, allocates nothing.
func TestKnownUnicastAllocs(t *testing.T) {
	b, _ := benchBridge(t)
	f := frame(stationB, stationA)
	if allocs := testing.AllocsPerRun(100, func() { b.Input("m0", f) }); allocs != 0 {
		t.Errorf("known unicast: got %v allocations per frame, want 0", allocs)
	}
}

// benchBridge is an up bridge with four members that discard what they
// get, station A learned on m0 and station B on m1.
func benchBridge(tb testing.TB) (*bridge.Bridge, *clock) {
	clk := newClock()
	b := bridge.New(bridge.Config{Now: clk.Now})
	tb.Cleanup(b.Close)
	for i := range 4 {
		err := b.AddPort(bridge.Port{
			Name: fmt.Sprintf("m%d", i), Index: i + 2, MTU: 1500,
			MAC:     net.HardwareAddr{0x02, 0, 0, 0, 0, byte(i)},
			Send:    func([]byte) {},
			Deliver: func([]byte) {},
		})
		if err != nil {
			tb.Fatal(err)
		}
	}
	b.SetUp(true)
	b.Input("m0", frame(broadcast, stationA))
	b.Input("m1", frame(broadcast, stationB))
	return b, clk
}

func BenchmarkKnownUnicast(b *testing.B) {
	br, _ := benchBridge(b)
	f := frame(stationB, stationA)
	b.ReportAllocs()
	for b.Loop() {
		br.Input("m0", f)
	}
}

func BenchmarkBroadcast(b *testing.B) {
	br, _ := benchBridge(b)
	f := frame(broadcast, stationA)
	b.ReportAllocs()
	for b.Loop() {
		br.Input("m0", f)
	}
}

// TestNotForwardingPort checks a port STP has not yet put in forwarding
// (listening right after start): what arrives there is only delivered to
// the member itself and not learned; nothing goes out of it, not even its
// own stack's frames.
func TestNotForwardingPort(t *testing.T) {
	r := newRig(t, 3)
	r.do(t, flag("m0", api.IFBIF_STP, true))
	if got := r.b.Status().Members[2].State; got != api.STPListening {
		t.Fatalf("m0 state: got %s, want listening", got)
	}
	tests := []struct {
		name      string
		output    bool
		port      string
		frame     []byte
		sent      []string
		delivered []string
	}{
		{name: "broadcast in", port: "m0", frame: frame(broadcast, stationA), delivered: []string{"m0"}},
		{name: "unicast for the member", port: "m0", frame: frame("02:00:00:00:00:00", stationA), delivered: []string{"m0"}},
		{name: "unicast for another member", port: "m0", frame: frame("02:00:00:00:00:01", stationA)},
		{name: "broadcast from another member's wire", port: "m1", frame: frame(broadcast, stationB),
			sent: []string{"m2"}, delivered: []string{"m1", "m2"}},
		{name: "own stack's broadcast", output: true, port: "m0", frame: frame(broadcast, "02:00:00:00:00:00"),
			sent: []string{"m1", "m2"}, delivered: []string{"m1", "m2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r.reset()
			if tt.output {
				r.b.Output(tt.port, tt.frame)
			} else {
				r.b.Input(tt.port, tt.frame)
			}
			sent, delivered := r.who()
			if !slices.Equal(sent, orEmpty(tt.sent)) {
				t.Errorf("sent on %v, want %v", sent, tt.sent)
			}
			if !slices.Equal(delivered, orEmpty(tt.delivered)) {
				t.Errorf("delivered on %v, want %v", delivered, tt.delivered)
			}
		})
	}
	for _, line := range r.cache() {
		if line[:len(stationA)] == stationA {
			t.Errorf("station A learned on a listening port: %s", line)
		}
	}
}

// TestInputMeta checks that InputMeta's meta reaches the SendMeta and
// DeliverMeta of the members that have them, that the others get the frame
// through Send and Deliver, and that Input and Output pass no meta.
func TestInputMeta(t *testing.T) {
	r := newRig(t, 2)
	var gotSend, gotDeliver []any
	m := &member{name: "meta", index: 9, mac: mustMAC("02:00:00:00:00:09")}
	p := m.port()
	p.SendMeta = func(_ []byte, meta any) { gotSend = append(gotSend, meta) }
	p.DeliverMeta = func(_ []byte, meta any) { gotDeliver = append(gotDeliver, meta) }
	if err := r.b.AddPort(p); err != nil {
		t.Fatal(err)
	}
	meta := new(int)
	// A broadcast from m0 goes out m1 and "meta" and to every stack.
	r.b.InputMeta("m0", frame(broadcast, stationA), meta)
	if len(gotSend) != 1 || gotSend[0] != any(meta) || len(gotDeliver) != 1 || gotDeliver[0] != any(meta) {
		t.Errorf("meta member: sends %v, deliveries %v; want the meta once each", gotSend, gotDeliver)
	}
	if s, d := r.members[1].counts(); s != 1 || d != 1 {
		t.Errorf("m1 without meta functions: %d sent, %d delivered; want 1 and 1", s, d)
	}
	if s, d := m.counts(); s != 0 || d != 0 {
		t.Errorf("meta member's plain Send and Deliver: %d and %d calls, want none", s, d)
	}
	// Without a meta the plain functions are used.
	r.b.Input("m0", frame(broadcast, stationA))
	r.b.Output("m1", frame(broadcast, stationB))
	if s, d := m.counts(); s != 2 || d != 2 || len(gotSend) != 1 {
		t.Errorf("after Input and Output: plain %d sent, %d delivered, %d meta sends; want 2, 2, 1", s, d, len(gotSend))
	}
}
