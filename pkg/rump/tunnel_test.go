package rump

import (
	"errors"
	"fmt"
	"syscall"
	"testing"

	"github.com/rumpnet/rumpnet/pkg/api"
	"github.com/rumpnet/rumpnet/pkg/pcap"
)

// tunnelPair joins two kernels on one shmif bus (10.9.0.N, fd00::N) with
// a tunnel ifname whose outer family is outer6's and whose inner
// addresses are 10.1.0.N -> 10.1.0.M and fd02::N -> fd02::M.
func tunnelPair(t *testing.T, ifname string, outer6 bool, flags int, ports bool) []*Kernel {
	t.Helper()
	ks := busKernels(t, 2)
	for i, k := range ks {
		j := 1 - i
		tun := api.Tunnel{Src: fmt.Sprintf("10.9.0.%d", i+1), Dst: fmt.Sprintf("10.9.0.%d", j+1)}
		if outer6 {
			tun = api.Tunnel{Src: fmt.Sprintf("fd00::%d", i+1), Dst: fmt.Sprintf("fd00::%d", j+1)}
		}
		if ports {
			tun.SrcPort, tun.DstPort = 4754, 4754
		}
		for _, err := range []error{
			k.Create(ifname),
			k.SetFlags(ifname, flags),
			k.SetTunnel(ifname, tun),
			k.AddAddr(ifname, api.IfAddr{Addr: fmt.Sprintf("10.1.0.%d/32", i+1), Dest: fmt.Sprintf("10.1.0.%d", j+1)}),
			k.AddAddr(ifname, api.IfAddr{Addr: fmt.Sprintf("fd02::%d/128", i+1), Dest: fmt.Sprintf("fd02::%d", j+1)}),
			k.SetFlags(ifname, flags|api.IFF_UP),
		} {
			if err != nil {
				t.Fatal(err)
			}
		}
		waitUsable(t, k, ifname)
	}
	return ks
}

func TestTunnelPing(t *testing.T) {
	for _, tc := range []struct {
		ifname string
		outer6 bool
		flags  int
		ports  bool
	}{
		{"gif0", false, 0, false},
		{"gif0", true, 0, false},
		{"gre0", false, 0, false},
		{"gre0", true, 0, false},
		{"gre0", false, api.IFF_LINK0 | api.IFF_LINK2, true},
		{"gre0", true, api.IFF_LINK0 | api.IFF_LINK2, true},
	} {
		t.Run(fmt.Sprintf("%s/outer6=%v/udp=%v", tc.ifname, tc.outer6, tc.ports), func(t *testing.T) {
			ks := tunnelPair(t, tc.ifname, tc.outer6, tc.flags, tc.ports)
			c, err := ks[0].StartCapture(tc.ifname, CaptureOptions{})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			for i, k := range ks {
				j := 1 - i
				for _, dst := range []string{fmt.Sprintf("10.1.0.%d", j+1), fmt.Sprintf("fd02::%d", j+1)} {
					evs := pingAll(t, k, api.PingRequest{Dst: dst, Count: 2, Interval: 0.1, Wait: 5})
					if got := countTypes(evs); got[api.PingReply] < 1 {
						t.Errorf("kernel %d → %s: got %v, want replies", i+1, dst, got)
					}
				}
			}
			readUntil(t, c, 4)
			if c.LinkType() != pcap.LinkTypeNull {
				t.Errorf("capture link type: got %d, want %d", c.LinkType(), pcap.LinkTypeNull)
			}
			info, err := ks[0].Interface(tc.ifname)
			if err != nil {
				t.Fatal(err)
			}
			if info.Stats.IPackets == 0 || info.Stats.OPackets == 0 {
				t.Errorf("stats: got %+v, want packets both ways", info.Stats)
			}
			if info.Flags&api.IFF_RUNNING == 0 || info.Flags&api.IFF_POINTOPOINT == 0 {
				t.Errorf("flags: got %#x, want POINTOPOINT and RUNNING", info.Flags)
			}
			// Destroyable while up.
			if err := ks[0].Destroy(tc.ifname); err != nil {
				t.Errorf("destroy: got %v, want nil", err)
			}
		})
	}
}

func TestTunnelErrors(t *testing.T) {
	k := newKernel(t, Options{})
	for _, n := range []string{"gif0", "gif1", "gre0"} {
		if err := k.Create(n); err != nil {
			t.Fatal(err)
		}
	}
	if err := k.SetTunnel("gif1", api.Tunnel{Src: "192.0.2.1", Dst: "192.0.2.2"}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		ifname string
		tun    api.Tunnel
		want   syscall.Errno
	}{
		{"two families", "gif0", api.Tunnel{Src: "192.0.2.1", Dst: "fd00::2"}, syscall.EINVAL},
		{"to itself", "gif0", api.Tunnel{Src: "192.0.2.1", Dst: "192.0.2.1"}, syscall.EINVAL},
		{"not addresses", "gif0", api.Tunnel{Src: "x", Dst: "192.0.2.2"}, syscall.EINVAL},
		{"pair of another gif", "gif0", api.Tunnel{Src: "192.0.2.1", Dst: "192.0.2.2"}, syscall.EADDRNOTAVAIL},
		{"ports without link2", "gre0", api.Tunnel{Src: "192.0.2.1", Dst: "192.0.2.2", SrcPort: 1, DstPort: 1}, syscall.EINVAL},
		{"ports on gif", "gif0", api.Tunnel{Src: "192.0.2.5", Dst: "192.0.2.6", DstPort: 1}, syscall.EINVAL},
		{"not a tunnel", "lo0", api.Tunnel{Src: "192.0.2.1", Dst: "192.0.2.2"}, syscall.ENOTTY},
	} {
		err := k.SetTunnel(tc.ifname, tc.tun)
		var errno syscall.Errno
		if !errors.As(err, &errno) || errno != tc.want {
			t.Errorf("%s: got %v, want %v", tc.name, err, tc.want)
		}
		if info, _ := k.Interface(tc.ifname); info.Tunnel != nil && tc.ifname == "gif0" {
			t.Errorf("%s: got tunnel %+v left behind, want none", tc.name, info.Tunnel)
		}
	}
	// The same pair on gre is another kind's business.
	if err := k.SetTunnel("gre0", api.Tunnel{Src: "192.0.2.1", Dst: "192.0.2.2"}); err != nil {
		t.Errorf("gre with gif's pair: got %v, want nil", err)
	}
	if err := k.SetTunnel("gif1", api.Tunnel{}); err != nil {
		t.Fatal(err)
	}
	info, _ := k.Interface("gif1")
	if info.Tunnel != nil || info.Flags&api.IFF_RUNNING != 0 {
		t.Errorf("after deletetunnel: got %+v flags %#x, want no tunnel, not RUNNING", info.Tunnel, info.Flags)
	}
	if info.MTU != gifMTU {
		t.Errorf("gif mtu: got %d, want %d", info.MTU, gifMTU)
	}
	if err := k.AddAddr("lo0", api.IfAddr{Addr: "127.0.0.2/8", Dest: "127.0.0.3"}); err == nil {
		t.Errorf("destination on lo0: got nil, want EINVAL")
	}
}

// TestTunnelNesting is NetBSD's recursive check: a gif whose outer
// packets would go out through another gif sends nothing.
func TestTunnelNesting(t *testing.T) {
	ks := tunnelPair(t, "gif0", false, 0, false)
	k := ks[0]
	for _, err := range []error{
		k.Create("gif1"),
		k.SetTunnel("gif1", api.Tunnel{Src: "10.1.0.1", Dst: "10.1.0.2"}),
		k.AddAddr("gif1", api.IfAddr{Addr: "172.16.101.1/32", Dest: "172.16.102.1"}),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	evs := pingAll(t, k, api.PingRequest{Dst: "172.16.102.1", Count: 1, Wait: 1})
	if got := countTypes(evs); got[api.PingReply] != 0 {
		t.Errorf("ping through nested gif: got %v, want no reply", got)
	}
	info, _ := k.Interface("gif1")
	if info.Stats.OErrors == 0 {
		t.Errorf("gif1 oerrors: got 0, want the refused packet counted")
	}
}
