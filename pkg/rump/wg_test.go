package rump

import (
	"crypto/rand"
	"fmt"
	"syscall"
	"testing"

	"github.com/rumpnet/rumpnet/pkg/api"
	"github.com/rumpnet/rumpnet/pkg/pcap"
	"golang.org/x/crypto/curve25519"
	"golang.zx2c4.com/wireguard/tun"
)

// wgKeys returns a fresh private key and its public key.
func wgKeys(t testing.TB) (priv, pub []byte) {
	t.Helper()
	priv = make([]byte, 32)
	rand.Read(priv)
	priv[0] &= 248
	priv[31] = priv[31]&127 | 64
	pub, err := curve25519.X25519(priv, curve25519.Basepoint)
	if err != nil {
		t.Fatal(err)
	}
	return priv, pub
}

// wgPair joins kernels a and b, on one shmif bus, with wg0 tunnels:
// 10.100.0.(i+1)/24 and fd01::(i+1)/64 inside, port 52428 outside.
func wgPair(t *testing.T) []*Kernel {
	ks := busKernels(t, 2)
	var privs, pubs [2][]byte
	for i := range ks {
		privs[i], pubs[i] = wgKeys(t)
	}
	for i, k := range ks {
		j := 1 - i
		for _, err := range []error{
			k.Create("wg0"),
			k.AddAddr("wg0", api.IfAddr{Addr: fmt.Sprintf("10.100.0.%d/24", i+1)}),
			k.AddAddr("wg0", api.IfAddr{Addr: fmt.Sprintf("fd01::%d/64", i+1)}),
			k.Wg("wg0", api.WgRequest{Op: api.WgSetPrivateKey, PrivateKey: privs[i]}),
			k.Wg("wg0", api.WgRequest{Op: api.WgSetListenPort, ListenPort: 52428}),
			k.Wg("wg0", api.WgRequest{Op: api.WgAddPeer, Peer: &api.WgPeer{
				Name: "peer0", PublicKey: pubs[j], Endpoint: fmt.Sprintf("10.9.0.%d:52428", j+1),
				AllowedIPs: []string{fmt.Sprintf("10.100.0.%d/32", j+1), fmt.Sprintf("fd01::%d/128", j+1)}}}),
			k.SetFlags("wg0", api.IFF_UP),
		} {
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	return ks
}

func TestWgTunnelPing(t *testing.T) {
	ks := wgPair(t)
	c, err := ks[0].StartCapture("wg0", CaptureOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for i, k := range ks {
		j := 1 - i
		for _, dst := range []string{fmt.Sprintf("10.100.0.%d", j+1), fmt.Sprintf("fd01::%d", j+1)} {
			evs := pingAll(t, k, api.PingRequest{Dst: dst, Count: 2, Interval: 0.1, Wait: 5})
			if got := countTypes(evs); got[api.PingReply] < 1 {
				t.Errorf("kernel %d → %s: got %v, want replies", i+1, dst, got)
			}
		}
	}
	ps := readUntil(t, c, 4)
	if c.LinkType() != pcap.LinkTypeNull {
		t.Errorf("capture link type: got %d, want %d", c.LinkType(), pcap.LinkTypeNull)
	}
	var in, out int
	for _, p := range ps {
		if p.Data[0] != pcap.AFInet && p.Data[0] != pcap.AFInet6 {
			t.Errorf("captured packet: got family %d, want inet or inet6", p.Data[0])
		}
		if p.Out {
			out++
		} else {
			in++
		}
	}
	if in == 0 || out == 0 {
		t.Errorf("capture: got %d in, %d out, want both", in, out)
	}
	info, _ := ks[0].Interface("wg0")
	if info.Stats.IPackets == 0 || info.Stats.OPackets == 0 || info.MTU != wgMTU {
		t.Errorf("wg0: got stats %+v mtu %d, want packets both ways and mtu %d", info.Stats, info.MTU, wgMTU)
	}
	st, err := ks[0].WgStatus("wg0", false)
	if err != nil || len(st.Peers) != 1 || st.Peers[0].LastHandshake == 0 || st.PrivateKey != nil || st.ListenPort != 52428 {
		t.Errorf("status: got %+v, %v; want one peer with a handshake, no private key, port 52428", st, err)
	}
	if err := ks[0].Destroy("wg0"); err != nil {
		t.Errorf("destroy while up: got %v, want nil", err)
	}
}

func TestWgRequestErrors(t *testing.T) {
	k := newKernel(t, Options{})
	if err := k.Create("wg0"); err != nil {
		t.Fatal(err)
	}
	_, pub := wgKeys(t)
	_, pub2 := wgKeys(t)
	add := func(name string, key []byte, allowed ...string) api.WgRequest {
		return api.WgRequest{Op: api.WgAddPeer, Peer: &api.WgPeer{Name: name, PublicKey: key, AllowedIPs: allowed}}
	}
	if err := k.Wg("wg0", add("a", pub, "10.0.0.2/32")); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		req  api.WgRequest
		want syscall.Errno
	}{
		{"short private key", api.WgRequest{Op: api.WgSetPrivateKey, PrivateKey: []byte{1, 2}}, syscall.EINVAL},
		{"port 0", api.WgRequest{Op: api.WgSetListenPort}, syscall.EINVAL},
		{"duplicate name", add("a", pub2), syscall.EEXIST},
		{"duplicate key", add("b", pub), syscall.EEXIST},
		{"bad allowed ip", add("c", pub2, "10.0.0.0/33"), syscall.EINVAL},
		{"short public key", add("d", pub2[:31]), syscall.EINVAL},
		{"unknown peer", api.WgRequest{Op: api.WgDeletePeer, Name: "zz"}, syscall.ENOENT},
		{"unknown op", api.WgRequest{Op: "frob"}, syscall.EINVAL},
	} {
		if got := api.ErrnoOf(k.Wg("wg0", tt.req)); got != tt.want {
			t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
		}
	}
	st, _ := k.WgStatus("wg0", true)
	if len(st.Peers) != 1 || st.Peers[0].Name != "a" {
		t.Errorf("after refused changes: got peers %+v, want only a", st.Peers)
	}
	if _, err := k.WgStatus("lo0", false); api.ErrnoOf(err) != syscall.EINVAL {
		t.Errorf("status of lo0: got %v, want EINVAL", err)
	}
	if err := k.Wg("wg0", api.WgRequest{Op: api.WgDeletePeer, Name: "a"}); err != nil {
		t.Errorf("delete a: got %v", err)
	}
}

// TestWgRecreateSamePort destroys a wg interface and at once makes another
// on the same listen port: the port must be free when Destroy returns.
func TestWgRecreateSamePort(t *testing.T) {
	k := newKernel(t, Options{})
	for i := 0; i < 3; i++ {
		if err := k.Create("wg0"); err != nil {
			t.Fatal(err)
		}
		if err := k.Wg("wg0", api.WgRequest{Op: api.WgSetListenPort, ListenPort: 52428}); err != nil {
			t.Fatalf("round %d: set listen-port: got %v, want nil", i, err)
		}
		if err := k.Destroy("wg0"); err != nil {
			t.Fatal(err)
		}
	}
}

// TestWgSocketBuffers checks that wg's UDP sockets take a tunnel's bursts:
// with the stack's default receive buffer a TCP flow through the tunnel
// lost datagrams whenever the device's receiver was late.
func TestWgSocketBuffers(t *testing.T) {
	ks := wgPair(t)
	w, err := ks[0].wgOf("wg0")
	if err != nil {
		t.Fatal(err)
	}
	got := w.bind.receiveBuffers()
	if len(got) != 2 {
		t.Fatalf("got %d sockets, want 2 (IPv4 and IPv6)", len(got))
	}
	for _, n := range got {
		if n < wgSocketBuffer {
			t.Errorf("got receive buffer %d, want at least %d", n, wgSocketBuffer)
		}
	}
}

// TestWgMTU checks rifconfig wg0 mtu: the range, the device told of the
// change (it pads to the MTU), and a ping that size through the tunnel,
// its datagrams fragmented on the bus.
func TestWgMTU(t *testing.T) {
	ks := wgPair(t)
	for _, tt := range []struct {
		mtu  int
		want syscall.Errno
	}{{45, syscall.EINVAL}, {46, 0}, {wgMaxMTU + 1, syscall.EINVAL}, {wgMaxMTU, 0}, {8000, 0}} {
		err := ks[0].SetMTU("wg0", tt.mtu)
		if got := errnoOrZero(err); got != tt.want {
			t.Errorf("SetMTU(wg0, %d): got %v, want errno %v", tt.mtu, err, tt.want)
		}
	}
	w, _ := ks[0].wgOf("wg0")
	if got, _ := (wgTun{w.ep}).MTU(); got != 8000 {
		t.Errorf("the device's tun MTU: got %d, want 8000", got)
	}
	if err := ks[1].SetMTU("wg0", 8000); err != nil {
		t.Fatal(err)
	}
	evs := pingAll(t, ks[0], api.PingRequest{Dst: "10.100.0.2", Count: 2, Interval: 0.1, Wait: 5, Size: 6000})
	if got := countTypes(evs); got[api.PingReply] < 1 {
		t.Errorf("6000-byte ping through wg0 at MTU 8000: got %v, want a reply", got)
	}
}

// TestWgTunMTUEvent checks that the device hears of an MTU change.
func TestWgTunMTUEvent(t *testing.T) {
	e := newWgEndpoint()
	e.SetMTU(1380)
	e.SetMTU(1381) // a second one while the first is pending does not block
	if got := <-(wgTun{e}).Events(); got != tun.EventMTUUpdate {
		t.Errorf("event: got %v, want EventMTUUpdate", got)
	}
	e.Close()
	e.SetMTU(1400) // after Close: no send on the closed channel
	if _, ok := <-(wgTun{e}).Events(); ok {
		t.Errorf("events after Close: got an event, want the channel closed")
	}
}

// TestWgDownUp checks ifconfig wg0 down and up as NetBSD's wg_stop and
// wg_init: down carries no packets through the interface but leaves the
// peers and their session alone, so up carries them again at once.
func TestWgDownUp(t *testing.T) {
	ks := wgPair(t)
	ping := func(what string, want bool) {
		t.Helper()
		evs := pingAll(t, ks[0], api.PingRequest{Dst: "10.100.0.2", Count: 2, Interval: 0.1, Wait: 2})
		if got := countTypes(evs)[api.PingReply] > 0; got != want {
			t.Errorf("%s: got replies %v, want %v", what, got, want)
		}
	}
	ping("both up", true)
	st, err := ks[1].WgStatus("wg0", false)
	if err != nil || len(st.Peers) != 1 || st.Peers[0].LastHandshake == 0 {
		t.Fatalf("WgStatus: got %+v, %v; want a handshake", st, err)
	}
	if err := ks[1].SetFlags("wg0", 0); err != nil {
		t.Fatal(err)
	}
	ping("peer down", false)
	after, _ := ks[1].WgStatus("wg0", false)
	if got := after.Peers[0].LastHandshake; got != st.Peers[0].LastHandshake {
		t.Errorf("last handshake while down: got %d, want %d (the session kept)", got, st.Peers[0].LastHandshake)
	}
	if err := ks[1].SetFlags("wg0", api.IFF_UP); err != nil {
		t.Fatal(err)
	}
	ping("up again", true)
}
