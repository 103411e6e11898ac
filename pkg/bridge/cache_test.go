package bridge_test

import (
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/rumpnet/rumpnet/pkg/api"
)

// TestLearning checks what Input learns, as cache lines "MAC member expire
// flags", newest first.
func TestLearning(t *testing.T) {
	tests := []struct {
		name  string
		setup []api.BridgeRequest
		in    []struct{ port, dst, src string }
		want  []string
	}{
		{
			name: "unicast source learned",
			in:   []struct{ port, dst, src string }{{"m0", broadcast, stationA}},
			want: []string{stationA + " m0 1200 0"},
		},
		{
			name: "newest first",
			in: []struct{ port, dst, src string }{
				{"m0", broadcast, stationA}, {"m1", stationA, stationB}, {"m2", multicast, stationC}},
			want: []string{stationC + " m2 1200 0", stationB + " m1 1200 0", stationA + " m0 1200 0"},
		},
		{
			name: "a station that moves follows",
			in: []struct{ port, dst, src string }{
				{"m0", broadcast, stationA}, {"m1", broadcast, stationA}},
			want: []string{stationA + " m1 1200 0"},
		},
		{
			name: "multicast and zero sources are not learned",
			in: []struct{ port, dst, src string }{
				{"m0", broadcast, "01:00:5e:00:00:09"}, {"m0", broadcast, "00:00:00:00:00:00"}},
		},
		{
			name:  "learn off",
			setup: []api.BridgeRequest{flag("m0", api.IFBIF_LEARNING, false)},
			in: []struct{ port, dst, src string }{
				{"m0", broadcast, stationA}, {"m1", broadcast, stationB}},
			want: []string{stationB + " m1 1200 0"},
		},
		{
			name:  "static entries are not replaced",
			setup: []api.BridgeRequest{{Op: api.BridgeStatic, Member: "m2", MAC: stationA}},
			in:    []struct{ port, dst, src string }{{"m0", broadcast, stationA}},
			want:  []string{stationA + " m2 0 1"},
		},
		{
			name: "learned when the frame is for a member",
			in:   []struct{ port, dst, src string }{{"m0", "02:00:00:00:00:01", stationA}},
			want: []string{stationA + " m0 1200 0"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, 3)
			r.do(t, tt.setup...)
			for _, in := range tt.in {
				r.b.Input(in.port, frame(in.dst, in.src))
			}
			if got := r.cache(); !slices.Equal(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// TestMaxAddr checks that a full cache refuses new stations (still
// forwarding their frames), that statics count, and that shrinking trims
// dynamic entries newest first.
func TestMaxAddr(t *testing.T) {
	r := newRig(t, 2)
	r.do(t, api.BridgeRequest{Op: api.BridgeMaxAddr, Value: 3},
		api.BridgeRequest{Op: api.BridgeStatic, Member: "m1", MAC: "0a:00:00:00:00:01"})
	for _, src := range []string{"0a:00:00:00:00:02", "0a:00:00:00:00:03", "0a:00:00:00:00:04"} {
		r.b.Input("m0", frame(broadcast, src))
	}
	want := []string{"0a:00:00:00:00:03 m0 1200 0", "0a:00:00:00:00:02 m0 1200 0", "0a:00:00:00:00:01 m1 0 1"}
	if got := r.cache(); !slices.Equal(got, want) {
		t.Errorf("full cache: got %q, want %q", got, want)
	}
	if got := r.b.Counters().CacheFull; got != 1 {
		t.Errorf("CacheFull: got %d, want 1", got)
	}
	if sent, _ := r.members[1].counts(); sent != 3 {
		t.Errorf("frames forwarded to m1: got %d, want 3 (refused stations still forwarded)", sent)
	}
	err := r.b.Do(api.BridgeRequest{Op: api.BridgeStatic, Member: "m1", MAC: "0a:00:00:00:00:05"})
	wantErrno(t, "static into a full cache", err, syscall.ENOSPC)

	r.do(t, api.BridgeRequest{Op: api.BridgeMaxAddr, Value: 2})
	want = []string{"0a:00:00:00:00:02 m0 1200 0", "0a:00:00:00:00:01 m1 0 1"}
	if got := r.cache(); !slices.Equal(got, want) {
		t.Errorf("maxaddr 2: got %q, want %q", got, want)
	}
	r.do(t, api.BridgeRequest{Op: api.BridgeMaxAddr, Value: 0})
	want = []string{"0a:00:00:00:00:01 m1 0 1"}
	if got := r.cache(); !slices.Equal(got, want) {
		t.Errorf("maxaddr 0: got %q, want %q (statics are never trimmed)", got, want)
	}
	if got := r.b.Status().MaxAddr; got != 0 {
		t.Errorf("status maxaddr: got %d, want 0", got)
	}
}

// TestAging checks the timeout with a fake clock: seconds left count down,
// the entry goes when they reach zero, a refresh restarts them, statics
// and timeout 0 never age.
func TestAging(t *testing.T) {
	r := newRig(t, 2)
	r.do(t, api.BridgeRequest{Op: api.BridgeTimeout, Value: 10},
		api.BridgeRequest{Op: api.BridgeStatic, Member: "m1", MAC: stationC})
	r.b.Input("m0", frame(broadcast, stationA))
	r.b.Input("m0", frame(broadcast, stationB))
	r.tick(4 * time.Second)
	want := []string{stationB + " m0 6 0", stationA + " m0 6 0", stationC + " m1 0 1"}
	if got := r.cache(); !slices.Equal(got, want) {
		t.Errorf("after 4 s: got %q, want %q", got, want)
	}
	r.b.Input("m0", frame(broadcast, stationB)) // refresh B
	r.tick(6 * time.Second)
	want = []string{stationB + " m0 4 0", stationC + " m1 0 1"}
	if got := r.cache(); !slices.Equal(got, want) {
		t.Errorf("after 10 s: got %q, want %q", got, want)
	}
	r.tick(4 * time.Second)
	want = []string{stationC + " m1 0 1"}
	if got := r.cache(); !slices.Equal(got, want) {
		t.Errorf("after 14 s: got %q, want %q", got, want)
	}

	r.do(t, api.BridgeRequest{Op: api.BridgeTimeout, Value: 0})
	r.b.Input("m0", frame(broadcast, stationA))
	r.tick(100 * time.Hour)
	want = []string{stationA + " m0 0 0", stationC + " m1 0 1"}
	if got := r.cache(); !slices.Equal(got, want) {
		t.Errorf("timeout 0 after 100 h: got %q, want %q", got, want)
	}
	if got := r.b.Status().Timeout; got != 0 {
		t.Errorf("status timeout: got %d, want 0", got)
	}
}

// TestCacheCommands checks deladdr, flush, flushall, static and delete.
func TestCacheCommands(t *testing.T) {
	setup := func(t *testing.T) *rig {
		r := newRig(t, 3)
		r.do(t, api.BridgeRequest{Op: api.BridgeStatic, Member: "m1", MAC: stationC},
			api.BridgeRequest{Op: api.BridgeStatic, Member: "m2", MAC: "0a:0:0:0:0:d"})
		r.b.Input("m0", frame(broadcast, stationA))
		r.b.Input("m1", frame(broadcast, stationB))
		return r
	}
	tests := []struct {
		name string
		req  api.BridgeRequest
		err  syscall.Errno
		want []string
	}{
		{name: "deladdr", req: api.BridgeRequest{Op: api.BridgeDelAddr, MAC: stationA},
			want: []string{stationB + " m1 1200 0", "0a:00:00:00:00:0d m2 0 1", stationC + " m1 0 1"}},
		{name: "deladdr static", req: api.BridgeRequest{Op: api.BridgeDelAddr, MAC: stationC},
			want: []string{stationB + " m1 1200 0", stationA + " m0 1200 0", "0a:00:00:00:00:0d m2 0 1"}},
		{name: "deladdr missing", req: api.BridgeRequest{Op: api.BridgeDelAddr, MAC: "0a:00:00:00:00:99"},
			err:  syscall.ENOENT,
			want: []string{stationB + " m1 1200 0", stationA + " m0 1200 0", "0a:00:00:00:00:0d m2 0 1", stationC + " m1 0 1"}},
		{name: "flush", req: api.BridgeRequest{Op: api.BridgeFlush},
			want: []string{"0a:00:00:00:00:0d m2 0 1", stationC + " m1 0 1"}},
		{name: "flushall", req: api.BridgeRequest{Op: api.BridgeFlushAll}},
		{name: "delete drops the member's entries", req: api.BridgeRequest{Op: api.BridgeDelete, Member: "m1"},
			want: []string{stationA + " m0 1200 0", "0a:00:00:00:00:0d m2 0 1"}},
		{name: "static makes a dynamic entry static", req: api.BridgeRequest{Op: api.BridgeStatic, Member: "m2", MAC: stationA},
			want: []string{stationB + " m1 1200 0", stationA + " m2 0 1", "0a:00:00:00:00:0d m2 0 1", stationC + " m1 0 1"}},
		{name: "static over a static leaves it", req: api.BridgeRequest{Op: api.BridgeStatic, Member: "m0", MAC: stationC},
			want: []string{stationB + " m1 1200 0", stationA + " m0 1200 0", "0a:00:00:00:00:0d m2 0 1", stationC + " m1 0 1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := setup(t)
			err := r.b.Do(tt.req)
			if tt.err != 0 {
				wantErrno(t, tt.name, err, tt.err)
			} else if err != nil {
				t.Fatalf("Do(%+v): %v", tt.req, err)
			}
			if got := r.cache(); !slices.Equal(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// TestStaticForwarding checks that a static entry steers traffic and
// survives a station appearing elsewhere.
func TestStaticForwarding(t *testing.T) {
	r := newRig(t, 3)
	r.do(t, api.BridgeRequest{Op: api.BridgeStatic, Member: "m2", MAC: stationB})
	r.b.Input("m1", frame(broadcast, stationB)) // B claims to be on m1
	r.reset()
	r.b.Input("m0", frame(stationB, stationA))
	if sent, _ := r.who(); !slices.Equal(sent, []string{"m2"}) {
		t.Errorf("sent on %v, want [m2]", sent)
	}
	r.tick(2 * time.Hour)
	if got, want := r.cache(), []string{stationB + " m2 0 1"}; !slices.Equal(got, want) {
		t.Errorf("after 2 h: got %q, want %q", got, want)
	}
}

// TestDownFlushes checks that taking the bridge down flushes dynamic
// entries, as NetBSD's bridge_stop does, and that nothing is learned while
// it is down.
func TestDownFlushes(t *testing.T) {
	r := newRig(t, 2)
	r.do(t, api.BridgeRequest{Op: api.BridgeStatic, Member: "m1", MAC: stationC})
	r.b.Input("m0", frame(broadcast, stationA))
	r.b.SetUp(false)
	r.b.Input("m0", frame(broadcast, stationB))
	if got, want := r.cache(), []string{stationC + " m1 0 1"}; !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}
