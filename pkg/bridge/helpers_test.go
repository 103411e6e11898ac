package bridge_test

import (
	"errors"
	"fmt"
	"net"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/rumpnet/rumpnet/pkg/api"
	"github.com/rumpnet/rumpnet/pkg/bridge"
)

// clock is a fake clock the tests move by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Unix(1_000_000, 0)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) advance(d time.Duration) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
	return c.t
}

// member records what the bridge sent out of and delivered to one member.
type member struct {
	name  string
	index int
	mac   net.HardwareAddr

	mu        sync.Mutex
	sent      [][]byte
	delivered [][]byte
}

func (m *member) port() bridge.Port {
	return bridge.Port{
		Name:  m.name,
		Index: m.index,
		MTU:   1500,
		MAC:   m.mac,
		Send: func(f []byte) {
			m.mu.Lock()
			m.sent = append(m.sent, slices.Clone(f))
			m.mu.Unlock()
		},
		Deliver: func(f []byte) {
			m.mu.Lock()
			m.delivered = append(m.delivered, slices.Clone(f))
			m.mu.Unlock()
		},
	}
}

func (m *member) counts() (sent, delivered int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.sent), len(m.delivered)
}

func (m *member) reset() {
	m.mu.Lock()
	m.sent, m.delivered = nil, nil
	m.mu.Unlock()
}

// rig is a bridge with members m0..mN-1 (MACs 02:00:00:00:00:0N,
// interface indexes N+2), up, on a fake clock.
type rig struct {
	b       *bridge.Bridge
	clk     *clock
	members []*member
}

func newRig(t *testing.T, n int) *rig {
	t.Helper()
	r := &rig{clk: newClock()}
	r.b = bridge.New(bridge.Config{Now: r.clk.Now})
	t.Cleanup(r.b.Close)
	for i := range n {
		m := &member{
			name:  fmt.Sprintf("m%d", i),
			index: i + 2,
			mac:   net.HardwareAddr{0x02, 0, 0, 0, 0, byte(i)},
		}
		r.members = append(r.members, m)
		if err := r.b.AddPort(m.port()); err != nil {
			t.Fatalf("AddPort(%s): %v", m.name, err)
		}
	}
	r.b.SetUp(true)
	return r
}

// do applies requests, failing the test on error.
func (r *rig) do(t *testing.T, reqs ...api.BridgeRequest) {
	t.Helper()
	for _, req := range reqs {
		if err := r.b.Do(req); err != nil {
			t.Fatalf("Do(%+v): %v", req, err)
		}
	}
}

// tick advances the clock by d in steps of a second, ticking the bridge.
func (r *rig) tick(d time.Duration) {
	for ; d > 0; d -= time.Second {
		r.b.Tick(r.clk.advance(min(d, time.Second)))
	}
}

func (r *rig) reset() {
	for _, m := range r.members {
		m.reset()
	}
}

// who lists the members that were sent and delivered at least one frame.
func (r *rig) who() (sent, delivered []string) {
	sent, delivered = []string{}, []string{}
	for _, m := range r.members {
		s, d := m.counts()
		if s > 0 {
			sent = append(sent, m.name)
		}
		if d > 0 {
			delivered = append(delivered, m.name)
		}
	}
	return sent, delivered
}

// cache returns the address cache as "MAC member expire flags" lines.
func (r *rig) cache() []string {
	var out []string
	for _, a := range r.b.Status().Cache {
		out = append(out, fmt.Sprintf("%s %s %d %d", a.MAC, a.Member, a.Expire, a.Flags))
	}
	return out
}

// Station addresses used as frame sources and destinations.
const (
	stationA  = "0a:00:00:00:00:0a"
	stationB  = "0a:00:00:00:00:0b"
	stationC  = "0a:00:00:00:00:0c"
	broadcast = "ff:ff:ff:ff:ff:ff"
	multicast = "01:00:5e:00:00:01"
)

// frame builds a minimal IPv4 Ethernet frame from src to dst.
func frame(dst, src string) []byte {
	f := make([]byte, 60)
	copy(f[0:6], mustMAC(dst))
	copy(f[6:12], mustMAC(src))
	f[12], f[13] = 0x08, 0x00
	return f
}

func mustMAC(s string) net.HardwareAddr {
	m, err := net.ParseMAC(s)
	if err != nil {
		panic(err)
	}
	return m
}

// wantErrno checks that err carries errno want.
func wantErrno(t *testing.T, what string, err error, want syscall.Errno) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Errorf("%s: got %v, want errno %v", what, err, want)
	}
	var ae *api.Error
	if err != nil && !errors.As(err, &ae) {
		t.Errorf("%s: got %T, want *api.Error", what, err)
	}
}
