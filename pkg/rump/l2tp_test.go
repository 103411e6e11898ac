package rump

import (
	"bytes"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/rumpnet/rumpnet/pkg/api"
)

func TestL2tpWireRoundTrip(t *testing.T) {
	frame := append(bytes.Repeat([]byte{0xaa}, 6), append(bytes.Repeat([]byte{0xbb}, 6), 0x08, 0x00, 0x45, 0, 0, 20)...)
	tests := []struct {
		sess    uint32
		cookie  l2tpCookie
		wantHdr []byte
	}{
		{1234, l2tpCookie{}, []byte{0, 0, 0x04, 0xd2}},
		{1, l2tpCookie{0xc0ffee, 4}, []byte{0, 0, 0, 1, 0, 0xc0, 0xff, 0xee}},
		{0xffffffff, l2tpCookie{0xbeef, 8}, []byte{0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0xbe, 0xef}},
	}
	for _, tt := range tests {
		p := l2tpEncap(nil, tt.sess, tt.cookie, frame)
		if got, want := p[:len(tt.wantHdr)], tt.wantHdr; !bytes.Equal(got, want) {
			t.Errorf("session %d cookie %v: header got %x, want %x", tt.sess, tt.cookie, got, want)
		}
		if s, ok := l2tpSession(p); !ok || s != tt.sess {
			t.Errorf("session got %d %v, want %d", s, ok, tt.sess)
		}
		if got, ok := l2tpDecap(p, tt.cookie); !ok || !bytes.Equal(got, frame) {
			t.Errorf("decap got %x %v, want %x", got, ok, frame)
		}
		if tt.cookie.len != 0 {
			wrong := tt.cookie
			wrong.val++
			if _, ok := l2tpDecap(p, wrong); ok {
				t.Errorf("cookie %v: a wrong cookie was taken", tt.cookie)
			}
		}
	}
	for _, p := range [][]byte{nil, {0, 0, 1}, {0, 0, 0, 1, 1, 2, 3}} {
		if _, ok := l2tpDecap(p, l2tpCookie{}); ok {
			t.Errorf("decap of %x: got ok, want a drop", p)
		}
	}
}

func TestL2tpConfigErrors(t *testing.T) {
	k := newKernel(t, Options{Components: []string{"rumpnet_netinet", "rumpnet_l2tp", "rumpnet_shmif"}})
	must(t, k.Create("l2tp0"), k.Create("l2tp1"), k.Create("shmif0"))
	must(t, k.L2tp("l2tp0", api.L2tpChange{Op: api.L2tpSetSession, L2tp: api.L2tp{LocalSession: 7, RemoteSession: 8}}))
	tests := []struct {
		name string
		ch   api.L2tpChange
		want syscall.Errno
	}{
		{"l2tp1", api.L2tpChange{Op: api.L2tpSetSession, L2tp: api.L2tp{LocalSession: 0, RemoteSession: 1}}, syscall.EINVAL},
		{"l2tp1", api.L2tpChange{Op: api.L2tpSetSession, L2tp: api.L2tp{LocalSession: 7, RemoteSession: 1}}, syscall.EINVAL},
		{"l2tp1", api.L2tpChange{Op: api.L2tpSetCookie, L2tp: api.L2tp{LocalCookie: 1, LocalCookieLen: 2, RemoteCookie: 1, RemoteCookieLen: 4}}, syscall.EINVAL},
		{"l2tp1", api.L2tpChange{Op: api.L2tpSetTunnel, L2tp: api.L2tp{Src: "10.0.0.1", Dst: "10.0.0.1"}}, syscall.EINVAL},
		{"l2tp1", api.L2tpChange{Op: api.L2tpSetTunnel, L2tp: api.L2tp{Src: "fc00::1", Dst: "fc00::2"}}, syscall.EAFNOSUPPORT},
		{"l2tp1", api.L2tpChange{Op: "frob"}, syscall.EINVAL},
		{"shmif0", api.L2tpChange{Op: api.L2tpDeleteTunnel}, syscall.ENOTTY},
	}
	for _, tt := range tests {
		err := k.L2tp(tt.name, tt.ch)
		wantErrno(t, err, tt.want)
		if info, _ := k.Interface("l2tp1"); *info.L2tp != (api.L2tp{}) {
			t.Errorf("%s %+v: got configuration %+v after a refusal, want none", tt.name, tt.ch, *info.L2tp)
		}
	}
}

// l2tpLAC is one side of NetBSD's t_l2tp: a kernel with shmif0 on its
// LAN bus, shmif1 on the WAN bus at wan, and l2tp0 bridged with shmif0.
func l2tpLAC(t *testing.T, lan, wanBus, wan, src, dst string, my, peer uint32) *Kernel {
	t.Helper()
	k := newKernel(t, Options{})
	must(t,
		k.Create("shmif0"), k.SetLinkstr("shmif0", lan), k.SetFlags("shmif0", api.IFF_UP),
		k.Create("shmif1"), k.SetLinkstr("shmif1", wanBus), k.AddAddr("shmif1", api.IfAddr{Addr: wan}),
		k.Create("l2tp0"),
		k.L2tp("l2tp0", api.L2tpChange{Op: api.L2tpSetTunnel, L2tp: api.L2tp{Src: src, Dst: dst}}),
		k.L2tp("l2tp0", api.L2tpChange{Op: api.L2tpSetSession, L2tp: api.L2tp{LocalSession: my, RemoteSession: peer}}),
		k.SetFlags("l2tp0", api.IFF_UP), // its MTU (1280) need not be the bridge's
		k.Create("bridge0"), k.SetFlags("bridge0", api.IFF_UP),
		k.Bridge("bridge0", api.BridgeRequest{Op: api.BridgeAdd, Member: "shmif0"}),
		k.Bridge("bridge0", api.BridgeRequest{Op: api.BridgeAdd, Member: "l2tp0"}),
	)
	waitUsable(t, k, "shmif1")
	return k
}

// l2tpNet is t_l2tp's network: two clients on two LANs, joined by the
// pseudowire of two LACs over a WAN bus.
type l2tpNet struct{ lac1, lac2, c1, c2 *Kernel }

func newL2tpNet(t *testing.T, wan6 bool) l2tpNet {
	dir := t.TempDir()
	wanBus, lan1, lan2 := filepath.Join(dir, "wan"), filepath.Join(dir, "lan1"), filepath.Join(dir, "lan2")
	w1, w2, p := "10.0.0.1", "10.0.0.2", "/8"
	if wan6 {
		w1, w2, p = "fc00::1", "fc00::2", "/64"
	}
	var n l2tpNet
	n.lac1 = l2tpLAC(t, lan1, wanBus, w1+p, w1, w2, 1234, 4321)
	n.lac2 = l2tpLAC(t, lan2, wanBus, w2+p, w2, w1, 4321, 1234)
	n.c1 = shmifKernel(t, lan1, "192.168.1.1/24")
	n.c2 = shmifKernel(t, lan2, "192.168.1.2/24")
	must(t, n.c1.AddAddr("shmif0", api.IfAddr{Addr: "fc00:1::1/64"}), n.c2.AddAddr("shmif0", api.IfAddr{Addr: "fc00:1::2/64"}))
	for _, k := range []*Kernel{n.c1, n.c2} {
		waitUsable(t, k, "shmif0")
	}
	// The WAN itself, as t_l2tp's test_setup_tunnel checks it.
	if !pingSoon(t, n.lac1, w2) {
		t.Fatalf("WAN: %s does not answer", w2)
	}
	return n
}

// TestL2tpPseudowire ports t_l2tp's basic cases: each inner family over
// each outer family, in both directions; after the tunnel goes the
// clients no longer meet.
func TestL2tpPseudowire(t *testing.T) {
	for _, wan6 := range []bool{false, true} {
		name := "overipv4"
		if wan6 {
			name = "overipv6"
		}
		t.Run(name, func(t *testing.T) {
			n := newL2tpNet(t, wan6)
			for _, tt := range []struct {
				from *Kernel
				dst  string
			}{{n.c1, "192.168.1.2"}, {n.c2, "192.168.1.1"}, {n.c1, "fc00:1::2"}, {n.c2, "fc00:1::1"}} {
				if !pingSoon(t, tt.from, tt.dst) {
					t.Errorf("%s does not answer across the pseudowire", tt.dst)
				}
			}
			// Frames the size of the LAN's MTU: the outer packets are
			// fragmented on the WAN.
			for _, dst := range []string{"192.168.1.2", "fc00:1::2"} {
				evs := pingAll(t, n.c1, api.PingRequest{Dst: dst, Count: 1, Wait: 2, Size: 1400})
				if got := countTypes(evs)[api.PingReply]; got != 1 {
					t.Errorf("a 1400-byte ping to %s: got %d replies, want 1", dst, got)
				}
			}
			l, _ := n.lac1.Interface("l2tp0")
			if l.Stats.IPackets == 0 || l.Stats.OPackets == 0 || l.Stats.IErrors != 0 {
				t.Errorf("l2tp0 counters got %+v, want frames both ways and no errors", l.Stats)
			}
			must(t, n.lac1.Destroy("bridge0"), n.lac1.L2tp("l2tp0", api.L2tpChange{Op: api.L2tpDeleteTunnel}), n.lac1.Destroy("l2tp0"))
			must(t, n.lac2.Destroy("bridge0"), n.lac2.L2tp("l2tp0", api.L2tpChange{Op: api.L2tpDeleteTunnel}), n.lac2.Destroy("l2tp0"))
			if replies(t, n.c1, "192.168.1.2") != 0 {
				t.Errorf("clients meet after the tunnel was torn down")
			}
		})
	}
}

// TestL2tpWrongSessionOrCookie: frames of another session or with a
// wrong cookie are dropped and counted as input errors of the receiving
// l2tp interface; with matching cookies they pass.
func TestL2tpWrongSessionOrCookie(t *testing.T) {
	n := newL2tpNet(t, false)
	set := func(k *Kernel, op string, l api.L2tp) error {
		return k.L2tp("l2tp0", api.L2tpChange{Op: op, L2tp: l})
	}
	steps := []struct {
		name      string
		change    func() error
		wantReach bool
	}{
		{"wrong session", func() error {
			return set(n.lac1, api.L2tpSetSession, api.L2tp{LocalSession: 1234, RemoteSession: 999})
		}, false},
		{"session back", func() error {
			return set(n.lac1, api.L2tpSetSession, api.L2tp{LocalSession: 1234, RemoteSession: 4321})
		}, true},
		{"cookie on one side", func() error {
			return set(n.lac1, api.L2tpSetCookie, api.L2tp{LocalCookie: 1, LocalCookieLen: 4, RemoteCookie: 2, RemoteCookieLen: 8})
		}, false},
		{"cookies on both sides", func() error {
			return set(n.lac2, api.L2tpSetCookie, api.L2tp{LocalCookie: 2, LocalCookieLen: 8, RemoteCookie: 1, RemoteCookieLen: 4})
		}, true},
		{"wrong cookie", func() error {
			return set(n.lac2, api.L2tpSetCookie, api.L2tp{LocalCookie: 2, LocalCookieLen: 8, RemoteCookie: 3, RemoteCookieLen: 4})
		}, false},
	}
	for _, s := range steps {
		must(t, s.change())
		before, _ := n.lac1.Interface("l2tp0")
		before2, _ := n.lac2.Interface("l2tp0")
		got := pingSoon(t, n.c1, "192.168.1.2")
		if !s.wantReach {
			got = replies(t, n.c1, "192.168.1.2") > 0
		}
		if got != s.wantReach {
			t.Errorf("%s: reached got %v, want %v", s.name, got, s.wantReach)
		}
		after, _ := n.lac1.Interface("l2tp0")
		after2, _ := n.lac2.Interface("l2tp0")
		errs := after.Stats.IErrors - before.Stats.IErrors + after2.Stats.IErrors - before2.Stats.IErrors
		if !s.wantReach && errs == 0 {
			t.Errorf("%s: got no input errors counted, want the dropped frames counted", s.name)
		}
	}
}
