package bridge_test

import (
	"fmt"
	"net"
	"sync/atomic"
	"testing"

	"github.com/rumpnet/rumpnet/pkg/bridge"
)

// TestForwardCountsWhatEntersForwarding: Config.Forward sees the frames
// NetBSD's bridge_forward counts as the bridge interface's input, and not
// those for a member itself, looped ones, or any while the bridge is down.
func TestForwardCountsWhatEntersForwarding(t *testing.T) {
	var n atomic.Int64
	clk := newClock()
	b := bridge.New(bridge.Config{Now: clk.Now, Forward: func([]byte) { n.Add(1) }})
	t.Cleanup(b.Close)
	for i := range 2 {
		m := &member{name: fmt.Sprintf("m%d", i), index: i + 2, mac: net.HardwareAddr{0x02, 0, 0, 0, 0, byte(i)}}
		if err := b.AddPort(m.port()); err != nil {
			t.Fatal(err)
		}
	}
	const (
		m1   = "02:00:00:00:00:01"
		host = "02:00:00:00:aa:01"
		far  = "02:00:00:00:bb:02"
	)
	tests := []struct {
		name  string
		up    bool
		frame []byte
		want  int64
	}{
		{"unknown unicast", true, frame(far, host), 1},
		{"broadcast", true, frame(broadcast, host), 1},
		{"multicast", true, frame(multicast, host), 1},
		{"unicast back to its own port", true, frame(host, host), 1},
		{"to a member's own address", true, frame(m1, host), 0},
		{"looped: a member's source address", true, frame(far, m1), 0},
		{"runt", true, frame(far, host)[:10], 0},
		{"bridge down", false, frame(far, host), 0},
	}
	for _, tt := range tests {
		b.SetUp(tt.up)
		before := n.Load()
		b.Input("m0", tt.frame)
		if got := n.Load() - before; got != tt.want {
			t.Errorf("%s: got %d frames counted, want %d", tt.name, got, tt.want)
		}
	}
}
