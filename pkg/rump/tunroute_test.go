package rump

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/rumpnet/rumpnet/pkg/api"
	"gvisor.dev/gvisor/pkg/buffer"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv6"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
)

// heldSends returns how many packets ifname (gif, gre or l2tp) sent
// through its held outer route from the stack's write.
func heldSends(t *testing.T, k *Kernel, ifname string) uint64 {
	t.Helper()
	var n uint64
	must(t, k.withInterface(ifname, func(ifp *Interface) error {
		switch sc := ifp.sc.(type) {
		case *tunEndpoint:
			n = sc.held.Load()
		case *l2tpSoftc:
			n = sc.port.held.Load()
		default:
			t.Fatalf("%s: not a tunnel", ifname)
		}
		return nil
	}))
	return n
}

func opackets(t *testing.T, k *Kernel, ifname string) uint64 {
	t.Helper()
	info, err := k.Interface(ifname)
	if err != nil {
		t.Fatal(err)
	}
	return info.Stats.OPackets
}

// TestTunnelRouteChange: the outer route held between packets follows
// the routing table: moved to another interface, deleted, made a reject
// route, the next packet goes where the table now says.
func TestTunnelRouteChange(t *testing.T) {
	for _, ifname := range []string{"gif0", "gre0"} {
		t.Run(ifname, func(t *testing.T) {
			// The tunnel's ends are addresses of lo0, so that the stack
			// takes whichever route the table has to them (it prefers a
			// route out of the interface that has the source address).
			ks := busKernels(t, 2)
			bus2 := filepath.Join(t.TempDir(), "bus2")
			for i, k := range ks {
				j := 1 - i
				must(t, k.Create("shmif1"), k.SetLinkstr("shmif1", bus2),
					k.AddAddr("shmif1", api.IfAddr{Addr: fmt.Sprintf("10.8.0.%d/24", i+1)}),
					k.AddAddr("lo0", api.IfAddr{Addr: fmt.Sprintf("10.7.0.%d/32", i+1)}),
					k.AddRoute(4, api.Route{Dest: fmt.Sprintf("10.7.0.%d/32", j+1), Gateway: fmt.Sprintf("10.9.0.%d", j+1), Flags: api.RTF_GATEWAY | api.RTF_STATIC}),
					tunable(t, "net.inet.ip.forwarding").Set(k, 1),
					k.Create(ifname),
					k.SetTunnel(ifname, api.Tunnel{Src: fmt.Sprintf("10.7.0.%d", i+1), Dst: fmt.Sprintf("10.7.0.%d", j+1)}),
					k.AddAddr(ifname, api.IfAddr{Addr: fmt.Sprintf("10.1.0.%d/32", i+1), Dest: fmt.Sprintf("10.1.0.%d", j+1)}),
					k.SetFlags(ifname, api.IFF_UP))
				waitUsable(t, k, "shmif1")
			}
			k := ks[0]
			direct := api.Route{Dest: "10.7.0.2/32", Gateway: "10.9.0.2", Flags: api.RTF_GATEWAY | api.RTF_STATIC}
			host := api.Route{Dest: "10.7.0.2/32", Gateway: "10.8.0.2", Flags: api.RTF_GATEWAY | api.RTF_STATIC}
			reject := api.Route{Dest: "10.7.0.2/32", Gateway: "127.0.0.1", Flags: api.RTF_GATEWAY | api.RTF_REJECT | api.RTF_STATIC}
			for _, step := range []struct {
				name   string
				change func() error
				via    string // the outer interface; "" for none
			}{
				{"connected", func() error { return nil }, "shmif0"},
				{"moved", func() error { return errors.Join(k.DeleteRoute(4, direct), k.AddRoute(4, host)) }, "shmif1"},
				{"deleted", func() error { return k.DeleteRoute(4, host) }, ""},
				{"back", func() error { return k.AddRoute(4, direct) }, "shmif0"},
				{"reject", func() error { return errors.Join(k.DeleteRoute(4, direct), k.AddRoute(4, reject)) }, ""},
				{"reject deleted", func() error { return errors.Join(k.DeleteRoute(4, reject), k.AddRoute(4, direct)) }, "shmif0"},
			} {
				must(t, step.change())
				before := map[string]uint64{"shmif0": opackets(t, k, "shmif0"), "shmif1": opackets(t, k, "shmif1")}
				evs := pingAll(t, k, api.PingRequest{Dst: "10.1.0.2", Count: 5, Interval: 0.05, Wait: 2})
				got := countTypes(evs)[api.PingReply]
				if step.via == "" {
					if got != 0 {
						t.Errorf("%s: got %d replies, want none", step.name, got)
					}
					continue
				}
				if got != 5 {
					t.Errorf("%s: got %d replies, want 5", step.name, got)
				}
				// Five outer packets out of the route's interface; the
				// other sends at most its own few (neighbour discovery).
				for ifn, n := range before {
					sent := opackets(t, k, ifn) - n
					if carried := sent >= 5; carried != (ifn == step.via) {
						t.Errorf("%s: %s sent %d packets: got carried %v, want %v", step.name, ifn, sent, carried, ifn == step.via)
					}
				}
			}
			if heldSends(t, k, ifname) == 0 {
				t.Errorf("held route sends: got 0, want steady packets sent through it")
			}
		})
	}
}

// TestL2tpRouteChange: an l2tp tunnel's held route follows a reject
// route added and deleted for its destination.
func TestL2tpRouteChange(t *testing.T) {
	n := newL2tpNet(t, false)
	reject := api.Route{Dest: "10.0.0.2/32", Gateway: "127.0.0.1", Flags: api.RTF_GATEWAY | api.RTF_REJECT | api.RTF_STATIC}
	for _, step := range []struct {
		name   string
		change func() error
		want   bool
	}{
		{"connected", func() error { return nil }, true},
		{"reject", func() error { return n.lac1.AddRoute(4, reject) }, false},
		{"reject deleted", func() error { return n.lac1.DeleteRoute(4, reject) }, true},
	} {
		must(t, step.change())
		if step.want {
			if !pingSoon(t, n.c1, "192.168.1.2") {
				t.Errorf("%s: got no replies, want some", step.name)
			}
			continue
		}
		if got := replies(t, n.c1, "192.168.1.2"); got != 0 {
			t.Errorf("%s: got %d replies, want none", step.name, got)
		}
	}
	if heldSends(t, n.lac1, "l2tp0") == 0 {
		t.Errorf("held route sends: got 0, want steady frames sent through it")
	}
}

// TestTunnelSendWhileReporting: the stack sends IGMP and MLD reports on
// a tunnel with the tunnel's network endpoint locked (joining a group,
// the interface coming up), which is the lock finding a route takes.
// Such a report goes through the held route without finding one, and
// traffic through the tunnel goes on meanwhile: no deadlock.
func TestTunnelSendWhileReporting(t *testing.T) {
	for _, ifname := range []string{"gif0", "gre0"} {
		t.Run(ifname, func(t *testing.T) {
			ks := tunnelPair(t, ifname, false, 0, false)
			k := ks[0]
			if got := countTypes(pingAll(t, k, api.PingRequest{Dst: "10.1.0.2", Count: 2, Interval: 0.1, Wait: 2}))[api.PingReply]; got == 0 {
				t.Fatalf("ping before: got no replies, want some")
			}
			var nic tcpip.NICID
			must(t, k.withInterface(ifname, func(ifp *Interface) error { nic = ifp.nic; return nil }))
			held := heldSends(t, k, ifname)
			done := make(chan struct{})
			var wg sync.WaitGroup
			wg.Add(2)
			go func() {
				defer wg.Done()
				for i := 0; i < 20; i++ {
					g4 := tcpip.AddrFrom4([4]byte{239, 1, 2, byte(i)})
					g6 := tcpip.AddrFrom16([16]byte{0: 0xff, 1: 0x12, 15: byte(i)})
					k.stack.JoinGroup(ipv4.ProtocolNumber, nic, g4)
					k.stack.JoinGroup(ipv6.ProtocolNumber, nic, g6)
					if i%5 == 4 {
						k.SetFlags(ifname, 0)
						k.SetFlags(ifname, api.IFF_UP)
					}
				}
			}()
			go func() {
				defer wg.Done()
				ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
				defer cancel()
				// Errors show as the missing held sends below; t is not
				// for this goroutine.
				k.Ping(ctx, api.PingRequest{Dst: "10.1.0.2", Count: 20, Interval: 0.01, Wait: 1}, func(api.PingEvent) {})
			}()
			go func() { wg.Wait(); close(done) }()
			select {
			case <-done:
			case <-time.After(2 * time.Minute):
				t.Fatal("sending while reporting: still blocked after 2 minutes, want done")
			}
			if got := heldSends(t, k, ifname); got <= held {
				t.Errorf("held route sends while reporting: got %d, want more than %d", got, held)
			}
			waitUsable(t, k, ifname)
			if !pingSoon(t, k, "10.1.0.2") {
				t.Errorf("ping after: got no replies, want some")
			}
		})
	}
}

// TestTunnelDestroyWhileHeld: a tunnel destroyed while its outer route
// is held sends its IGMP and MLD leaves from within the stack's removal
// of the interface, with the stack's NIC table locked; they must not go
// through the held route, which reads that table.
func TestTunnelDestroyWhileHeld(t *testing.T) {
	for _, ifname := range []string{"gif0", "gre0"} {
		t.Run(ifname, func(t *testing.T) {
			ks := tunnelPair(t, ifname, false, 0, false)
			k := ks[0]
			if got := countTypes(pingAll(t, k, api.PingRequest{Dst: "10.1.0.2", Count: 2, Interval: 0.1, Wait: 2}))[api.PingReply]; got == 0 {
				t.Fatalf("ping: got no replies, want some")
			}
			// Hold a current route, as steady traffic leaves it.
			must(t, k.withInterface(ifname, func(ifp *Interface) error {
				e := ifp.sc.(*tunEndpoint)
				c := e.conf.Load()
				r, err := e.route(c)
				if err == nil {
					e.rt.set(r, e.lc.generation(), c)
				}
				return err
			}))
			done := make(chan error, 1)
			go func() { done <- k.Destroy(ifname) }()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("destroy: got %v, want nil", err)
				}
			case <-time.After(time.Minute):
				t.Fatal("destroy: still blocked after a minute, want done")
			}
		})
	}
}

func TestStackControl(t *testing.T) {
	v4 := func(proto byte, dst [4]byte) []byte {
		p := make([]byte, 28)
		p[0], p[9] = 0x45, proto
		copy(p[16:], dst[:])
		return p
	}
	v6 := func(nh byte, dst0 byte) []byte {
		p := make([]byte, 48)
		p[0], p[6], p[24] = 0x60, nh, dst0
		return p
	}
	for _, tc := range []struct {
		name string
		p    []byte
		want bool
	}{
		{"tcp", v4(6, [4]byte{10, 1, 0, 2}), false},
		{"icmp", v4(1, [4]byte{10, 1, 0, 2}), false},
		{"igmp", v4(2, [4]byte{224, 0, 0, 22}), true},
		{"udp to a group", v4(17, [4]byte{239, 1, 1, 1}), true},
		{"broadcast", v4(17, [4]byte{255, 255, 255, 255}), true},
		{"tcp6", v6(6, 0xfd), false},
		{"icmp6", v6(58, 0xfd), true},
		{"hop-by-hop (mld)", v6(0, 0xff), true},
		{"udp6 to a group", v6(17, 0xff), true},
		{"short", []byte{0x45, 0}, true},
		{"empty", nil, true},
		{"not ip", []byte{0x10, 0, 0, 0}, true},
	} {
		if got := stackControl(tc.p); got != tc.want {
			t.Errorf("%s: got %v, want %v", tc.name, got, tc.want)
		}
	}
}

// TestTunnelControlQueued: with a current held route, the stack's own
// control packets (which it may write with its locks held) still go to
// the send goroutine, and other packets through the held route.
func TestTunnelControlQueued(t *testing.T) {
	ks := tunnelPair(t, "gif0", false, 0, false)
	k := ks[0]
	var e *tunEndpoint
	must(t, k.withInterface("gif0", func(ifp *Interface) error {
		e = ifp.sc.(*tunEndpoint)
		return nil
	}))
	v4 := func(proto byte, dst [4]byte) []byte {
		p := make([]byte, 28)
		p[0], p[3], p[8], p[9] = 0x45, 28, 1, proto
		copy(p[12:], []byte{10, 1, 0, 1})
		copy(p[16:], dst[:])
		return p
	}
	for _, tc := range []struct {
		name string
		p    []byte
		want uint64 // held sends it adds
	}{
		{"igmp", v4(2, [4]byte{224, 0, 0, 22}), 0},
		{"udp", v4(17, [4]byte{10, 1, 0, 2}), 1},
	} {
		c := e.conf.Load()
		r, err := e.route(c)
		if err != nil {
			t.Fatal(err)
		}
		e.rt.set(r, e.lc.generation(), c)
		before := e.held.Load()
		var l stack.PacketBufferList
		pkt := stack.NewPacketBuffer(stack.PacketBufferOptions{Payload: buffer.MakeWithData(tc.p)})
		l.PushBack(pkt)
		e.WritePackets(l)
		pkt.DecRef()
		if got := e.held.Load() - before; got != tc.want {
			t.Errorf("%s: held sends: got %d, want %d", tc.name, got, tc.want)
		}
	}
}
