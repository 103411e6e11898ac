package rump

import (
	"net/netip"
	"testing"

	"github.com/rumpnet/rumpnet/pkg/api"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/adapters/gonet"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv6"
)

// sendDatagram sends one UDP datagram from k to addr, making a neighbour
// entry for it when it is on a link.
func sendDatagram(t *testing.T, k *Kernel, addr string) {
	t.Helper()
	a := netip.MustParseAddr(addr)
	proto := tcpip.NetworkProtocolNumber(ipv4.ProtocolNumber)
	if a.Is6() {
		proto = ipv6.ProtocolNumber
	}
	c, err := gonet.DialUDP(k.Stack(), nil, &tcpip.FullAddress{Addr: tcpip.AddrFromSlice(a.AsSlice()), Port: 9}, proto)
	if err != nil {
		t.Fatal(err)
	}
	c.Write([]byte("x"))
	c.Close()
}

// TestNeighborMissMessages follows NetBSD's t_arp arp_rtm and t_ndp
// ndp_rtm: the first message about a destination is, for an IPv4
// neighbour, RTM_ADD with its MAC once resolved; for an IPv6 one RTM_ADD
// with gateway link#N as soon as the incomplete entry is made (then
// RTM_CHANGE with the MAC); RTM_MISS <DONE> with gateway link#N when
// resolving gives up; and RTM_MISS with the destination alone for a
// ping that finds no route.
func TestNeighborMissMessages(t *testing.T) {
	ka, kb := linkedKernels(t)
	waitAssigned(t, ka)
	waitAssigned(t, kb)
	v, _ := kb.Interface("virt0")
	peer := v.Address
	const ll = api.RTF_UP | api.RTF_HOST | api.RTF_DONE | api.RTF_LLDATA | api.RTF_CLONED
	type msg struct {
		typ, flags, index int
		gateway           string
	}
	tests := []struct {
		name string
		dst  string
		op   func(dst string)
		want []msg
	}{
		{"inet resolved", "10.0.0.2", func(dst string) { sendDatagram(t, ka, dst) },
			[]msg{{api.RTM_ADD, ll, 2, peer}}},
		{"inet6 resolved", "fc00::2", func(dst string) { sendDatagram(t, ka, dst) },
			[]msg{{api.RTM_ADD, ll, 2, "link#2"}, {api.RTM_CHANGE, ll, 2, peer}}},
		{"inet gives up", "10.0.0.99", func(dst string) { sendDatagram(t, ka, dst) },
			[]msg{{api.RTM_MISS, api.RTF_DONE, 2, "link#2"}}},
		{"inet6 gives up", "fc00::99", func(dst string) { sendDatagram(t, ka, dst) },
			[]msg{{api.RTM_ADD, ll, 2, "link#2"}, {api.RTM_MISS, api.RTF_DONE, 2, "link#2"}}},
		{"no route", "10.99.99.99", func(dst string) {
			pingAll(t, ka, api.PingRequest{Dst: dst, Count: 1, Wait: 1})
		}, []msg{{api.RTM_MISS, api.RTF_DONE, 0, ""}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := ka.WatchRoutes()
			defer w.Close()
			tt.op(tt.dst)
			for i, want := range tt.want {
				m := waitMessage(t, w, tt.dst, func(m api.RouteMessage) bool { return m.Dst == tt.dst })
				got := msg{m.Type, m.Flags, m.Index, m.Gateway}
				if got != want {
					t.Errorf("message %d about %s: got %+v, want %+v", i, tt.dst, got, want)
				}
			}
		})
	}
}
