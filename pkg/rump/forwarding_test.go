package rump

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rumpnet/rumpnet/pkg/api"
	"gvisor.dev/gvisor/pkg/tcpip/header"
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

// TestLocalSuperFrameWhileForwarding: with IPv4 forwarding on (the
// default), a tap's super-frame for the kernel's own address reaches the
// stack as one segment, as with forwarding off (only a frame the kernel
// may forward is cut into segments first).
func TestLocalSuperFrameWhileForwarding(t *testing.T) {
	tests := []struct {
		name       string
		forwarding int
		want       uint64 // TCP segments the stack takes
	}{
		{"forwarding on", 1, 1},
		{"forwarding off", 0, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, b := vnetKernel(t)
			setup(t, k.AddAddr("virt0", api.IfAddr{Addr: "10.0.0.2/24"}),
				tunable(t, "net.inet.ip.forwarding").Set(k, tt.forwarding))
			setSmall(t, k, 1, 0) // a listener on port 7
			v, _ := k.Interface("virt0")
			mac := macBytes(v.Address)
			const tcpOff = header.EthernetMinimumSize + header.IPv4MinimumSize
			super := tcpFrame(false, make([]byte, 3000), header.TCPFlagAck)
			copy(super, mac)
			h := vnetHdr{flags: vnetFlagDataValid, gsoType: vnetGSOTCPv4, hdrLen: tcpOff + header.TCPMinimumSize, gsoSize: 1000}
			// The marker, a datagram to a closed port, follows the
			// super-frame on the same path: once it is counted, so is
			// every segment made of the super-frame.
			marker := udpFrame(mac, 9, []byte("marker"))
			tcp, udp := k.stack.Stats().TCP, k.stack.Stats().UDP
			before, closed := tcp.ValidSegmentsReceived.Value(), udp.UnknownPortErrors.Value()
			for _, f := range []struct {
				h     vnetHdr
				frame []byte
			}{{h, super}, {vnetHdr{}, marker}} {
				hb := make([]byte, vnetHdrLen, vnetHdrLen+len(f.frame))
				f.h.put(hb)
				b.Write(append(hb, f.frame...))
			}
			if !eventually(func() bool { return udp.UnknownPortErrors.Value() > closed }) {
				t.Fatal("the marker datagram never reached the stack")
			}
			if got := tcp.ValidSegmentsReceived.Value() - before; got != tt.want {
				t.Errorf("segments taken: got %d, want %d (the super-frame whole)", got, tt.want)
			}
		})
	}
}
