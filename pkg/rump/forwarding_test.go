package rump

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rumpnet/rumpnet/pkg/api"
)

// TestForwardingDefault: a fresh kernel, with no sysctl set, forwards IPv4
// between its interfaces, as NetBSD's rump kernels (built as gateways) do,
// and IPv6 not; the sysctls say so.
func TestForwardingDefault(t *testing.T) {
	tests := []struct {
		family                int
		a, r1, r2, c, dst, df string
		node                  string
		want                  int
	}{
		{4, "10.1.0.1/24", "10.1.0.2/24", "10.2.0.2/24", "10.2.0.1/24", "10.2.0.1", "0.0.0.0/0", "net.inet.ip.forwarding", 1},
		{6, "fc01::1/64", "fc01::2/64", "fc02::2/64", "fc02::1/64", "fc02::1", "::/0", "net.inet6.ip6.forwarding", 0},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("inet%d", tt.family), func(t *testing.T) {
			if tt.want == 1 {
				skipInetForwardingRace(t)
			}
			dir := t.TempDir()
			bus1, bus2 := filepath.Join(dir, "bus1"), filepath.Join(dir, "bus2")
			gw := api.RTF_GATEWAY | api.RTF_STATIC
			ka := shmifKernel(t, bus1, tt.a)
			kc := shmifKernel(t, bus2, tt.c)
			kr := shmifKernel(t, bus1, tt.r1)
			// shmif1 is created after boot: the default covers it too.
			setup(t, kr.Create("shmif1"), kr.SetLinkstr("shmif1", bus2),
				kr.AddAddr("shmif1", api.IfAddr{Addr: tt.r2}),
				ka.AddRoute(tt.family, api.Route{Dest: tt.df, Gateway: strings.Split(tt.r1, "/")[0], Flags: gw}),
				kc.AddRoute(tt.family, api.Route{Dest: tt.df, Gateway: strings.Split(tt.r2, "/")[0], Flags: gw}))
			if got := tunable(t, tt.node).Get(kr); got != tt.want {
				t.Errorf("%s: got %d, want %d", tt.node, got, tt.want)
			}
			if tt.want == 1 {
				pingN(t, ka, tt.dst)
				return
			}
			// Reach the router first, so that a lost reply below is the
			// router's refusal and not address resolution.
			pingOnce(t, ka, strings.Split(tt.r1, "/")[0])
			evs := pingAll(t, ka, api.PingRequest{Dst: tt.dst, Count: 2, Interval: 0.2, Wait: 1})
			if n := countTypes(evs)[api.PingReply]; n != 0 {
				t.Errorf("ping %s through a kernel not forwarding: got %d replies, want 0", tt.dst, n)
			}
			if fwd := kr.NetStats().IP6.Forwarded; fwd != 0 {
				t.Errorf("ip6 forwarded: got %d, want 0", fwd)
			}
		})
	}
}
