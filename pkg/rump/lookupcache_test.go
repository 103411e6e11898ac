package rump

import (
	"bytes"
	"testing"

	"github.com/rumpnet/rumpnet/pkg/api"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/header"
)

const macC = "\x02\x00\x00\x00\x00\x0c"

// TestLookupCacheInvalidation: once a destination's lookup is cached,
// each change that alters the answer makes the next packet take the new
// one: another next hop, another neighbour MAC, no route at all, or no
// forwarding.
func TestLookupCacheInvalidation(t *testing.T) {
	tests := []struct {
		name   string
		change func(k *Kernel) error
		// want checks what became of a packet sent after the change.
		want func(t *testing.T, k *Kernel, a, b wire, marker []byte, before api.NetStats)
	}{
		{"route added via another gateway", func(k *Kernel) error {
			if err := k.AddNeighbor(4, api.Neighbor{Addr: "10.2.0.3", LinkAddr: "02:00:00:00:00:0c", Interface: "virt1"}); err != nil {
				return err
			}
			return k.AddRoute(4, api.Route{Dest: "10.2.0.2/32", Gateway: "10.2.0.3", Flags: api.RTF_GATEWAY | api.RTF_STATIC})
		}, wantMAC(macC)},
		{"neighbour MAC changed", func(k *Kernel) error {
			if err := k.DeleteNeighbor(4, api.Neighbor{Addr: "10.2.0.2"}); err != nil {
				return err
			}
			return k.AddNeighbor(4, api.Neighbor{Addr: "10.2.0.2", LinkAddr: "02:00:00:00:00:0c", Interface: "virt1"})
		}, wantMAC(macC)},
		{"address removed", func(k *Kernel) error { return k.DelAddr("virt1", "10.2.0.1") }, wantUnreachable},
		{"interface down", func(k *Kernel) error { return k.SetFlags("virt1", 0) }, wantUnreachable},
		{"reject route", func(k *Kernel) error {
			return k.AddRoute(4, api.Route{Dest: "10.2.0.2/32", Gateway: "127.0.0.1", Flags: api.RTF_GATEWAY | api.RTF_REJECT | api.RTF_STATIC})
		}, wantUnreachable},
		{"forwarding off", func(k *Kernel) error { return k.SetForwarding(4, false) }, wantNotForwarded},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, a, b := routerKernel(t)
			v0, _ := k.Interface("virt0")
			router := macBytes(v0.Address)
			send := func(marker string) []byte {
				a.send(vnetHdr{}, fwdFrame(false, router, 64, header.UDPProtocolNumber, []byte(marker)))
				return []byte(marker)
			}
			// Through the fast path, from the cache.
			hits := k.fast.cache.hits.Load()
			m := send("before")
			_, got := b.next(t, func(g []byte) bool { return bytes.HasSuffix(g, m) })
			if d := header.Ethernet(got).DestinationAddress(); string(d) != macB {
				t.Fatalf("before the change: got destination MAC %v, want %v", d, tcpip.LinkAddress(macB))
			}
			if k.fast.cache.hits.Load() == hits {
				t.Fatal("before the change: got no cache hit, want the lookups cached")
			}
			setup(t, tt.change(k))
			before := k.NetStats()
			tt.want(t, k, a, b, send("after"), before)
		})
	}
}

// wantMAC: the packet leaves by virt1 for mac.
func wantMAC(mac string) func(t *testing.T, k *Kernel, a, b wire, marker []byte, before api.NetStats) {
	return func(t *testing.T, k *Kernel, a, b wire, marker []byte, before api.NetStats) {
		t.Helper()
		_, got := b.next(t, func(g []byte) bool { return bytes.HasSuffix(g, marker) })
		if d := header.Ethernet(got).DestinationAddress(); string(d) != mac {
			t.Errorf("after the change: got destination MAC %v, want %v", d, tcpip.LinkAddress(mac))
		}
	}
}

// wantUnreachable: the sender gets an ICMP destination unreachable.
func wantUnreachable(t *testing.T, k *Kernel, a, b wire, marker []byte, before api.NetStats) {
	t.Helper()
	_, got := a.next(t, func(g []byte) bool {
		if len(g) < header.EthernetMinimumSize+header.IPv4MinimumSize+header.ICMPv4MinimumSize ||
			header.Ethernet(g).Type() != header.IPv4ProtocolNumber {
			return false
		}
		ip := header.IPv4(g[header.EthernetMinimumSize:])
		return ip.Protocol() == uint8(header.ICMPv4ProtocolNumber) && header.ICMPv4(ip.Payload()).Type() != header.ICMPv4Echo
	})
	if typ := header.ICMPv4(header.IPv4(got[header.EthernetMinimumSize:]).Payload()).Type(); typ != header.ICMPv4DstUnreachable {
		t.Errorf("after the change: got ICMP type %d, want %d (unreachable)", typ, header.ICMPv4DstUnreachable)
	}
}

// wantNotForwarded: the kernel drops the packet as not its own.
func wantNotForwarded(t *testing.T, k *Kernel, a, b wire, marker []byte, before api.NetStats) {
	t.Helper()
	if !eventually(func() bool { return k.NetStats().IP.BadAddr > before.IP.BadAddr }) {
		t.Fatal("after the change: the packet was never dropped as for another host")
	}
	if got := k.NetStats().IP.Forwarded - before.IP.Forwarded; got != 0 {
		t.Errorf("after the change: got %d packets forwarded, want 0", got)
	}
}

// TestLookupCacheConcurrent: receive goroutines reading the cache while
// routes come and go never see an answer older than the last change once
// it is made (run with -race for the rest).
func TestLookupCacheConcurrent(t *testing.T) {
	k, _, _ := routerKernel(t)
	dst := tcpip.AddrFrom4([4]byte{10, 9, 0, 1})
	stop := make(chan struct{})
	done := make(chan struct{})
	for range 3 {
		go func() {
			defer func() { done <- struct{}{} }()
			var probe neighProbe
			for {
				select {
				case <-stop:
					return
				default:
				}
				k.fast.cache.lookup(k.stack, &probe, 1, dst, header.IPv4ProtocolNumber, true)
				k.fast.cache.lookup(k.stack, &probe, 2, hostB4, header.IPv4ProtocolNumber, true)
			}
		}()
	}
	route := api.Route{Dest: "10.9.0.0/16", Gateway: "10.2.0.2", Flags: api.RTF_GATEWAY | api.RTF_STATIC}
	var probe neighProbe
	for i := range 50 {
		if i%2 == 0 {
			setup(t, k.AddRoute(4, route))
		} else {
			setup(t, k.DeleteRoute(4, route))
		}
		e := k.fast.cache.lookup(k.stack, &probe, 1, dst, header.IPv4ProtocolNumber, true)
		if want := i%2 == 0; e.route != want {
			t.Fatalf("change %d: got route %v, want %v", i, e.route, want)
		}
		if e.route && string(e.mac) != macB {
			t.Fatalf("change %d: got next hop MAC %v, want %v", i, e.mac, tcpip.LinkAddress(macB))
		}
	}
	close(stop)
	for range 3 {
		<-done
	}
}
