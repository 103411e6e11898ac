package rump

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rumpnet/rumpnet/pkg/api"
)

// redirectSetup is tests/net/icmp/t_icmp_redirect.sh's network: local
// (10.9.0.1) routes by default through peer (10.9.0.2), which forwards
// 10.0.2/24 to gw (10.9.0.3), which has 10.0.2.1 on a second bus. The
// same for IPv6 with fd00::/64 and fd02::/64, routed through link-local
// first hops.
func redirectSetup(t *testing.T) (local, peer, gw *Kernel) {
	ks := busKernels(t, 3)
	local, peer, gw = ks[0], ks[1], ks[2]
	bus2 := filepath.Join(t.TempDir(), "bus2")
	for _, err := range []error{
		gw.Create("shmif1"), gw.SetLinkstr("shmif1", bus2),
		gw.AddAddr("shmif1", api.IfAddr{Addr: "10.0.2.1/24"}),
		gw.AddAddr("shmif1", api.IfAddr{Addr: "fd02::1/64"}),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	waitUsable(t, gw, "shmif1")
	// gw forwards too: gVisor, unlike NetBSD, takes a packet for an
	// address of another interface only when forwarding.
	for _, k := range []*Kernel{peer, gw} {
		for _, node := range []string{"net.inet.ip.forwarding", "net.inet6.ip6.forwarding"} {
			if err := tunable(t, node).Set(k, 1); err != nil {
				t.Fatal(err)
			}
		}
	}
	gwFlags := api.RTF_GATEWAY | api.RTF_STATIC
	for _, r := range []struct {
		k      *Kernel
		family int
		route  api.Route
	}{
		{peer, 4, api.Route{Dest: "10.0.2.0/24", Gateway: "10.9.0.3", Flags: gwFlags}},
		{local, 4, api.Route{Dest: "0.0.0.0/0", Gateway: "10.9.0.2", Flags: gwFlags}},
		{peer, 6, api.Route{Dest: "fd02::/64", Gateway: linkLocal(t, gw) + "%shmif0", Flags: gwFlags}},
		{local, 6, api.Route{Dest: "::/0", Gateway: linkLocal(t, peer) + "%shmif0", Flags: gwFlags}},
	} {
		if err := r.k.AddRoute(r.family, r.route); err != nil {
			t.Fatalf("route %+v: %v", r.route, err)
		}
	}
	return local, peer, gw
}

// linkLocal is the link-local address of k's shmif0.
func linkLocal(t *testing.T, k *Kernel) string {
	t.Helper()
	ifc, err := k.Interface("shmif0")
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range ifc.Inet6 {
		if strings.HasPrefix(a.Addr, "fe80:") {
			return strings.Split(strings.Split(a.Addr, "/")[0], "%")[0]
		}
	}
	t.Fatalf("shmif0 has no link-local address: %+v", ifc.Inet6)
	return ""
}

// hostRoute is k's route to the host dst, if any.
func hostRoute(k *Kernel, family int, dst string) (api.Route, bool) {
	for _, r := range k.Routes(family) {
		if r.Dest == dst {
			return r, true
		}
	}
	return api.Route{}, false
}

// pingOnce pings dst from k and fails the test without a reply.
func pingOnce(t *testing.T, k *Kernel, dst string) {
	t.Helper()
	evs := pingAll(t, k, api.PingRequest{Dst: dst, Count: 1, Size: 56, Deadline: 5})
	if countTypes(evs)[api.PingReply] != 1 {
		t.Fatalf("ping %s: got %+v, want a reply", dst, evs)
	}
}

// waitRoute polls until k's route to dst is there (want) or gone.
func waitRoute(t *testing.T, k *Kernel, family int, dst string, want bool) api.Route {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		r, ok := hostRoute(k, family, dst)
		if ok == want {
			return r
		}
		if time.Now().After(deadline) {
			t.Fatalf("route to %s: got present %v, want %v; table %+v", dst, ok, want, k.Routes(family))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestICMPRedirect restates t_icmp_redirect.sh icmp_redirect and
// icmp_redirect_timeout: the peer, forwarding back out of the interface a
// packet came in on, redirects the local kernel, which adds a dynamic host
// route (UGHD) through gw; net.inet.ip.redirect=0 on the peer sends none,
// and the route goes after net.inet.icmp.redirtimeout.
func TestICMPRedirect(t *testing.T) {
	skipInetForwardingRace(t)
	local, peer, _ := redirectSetup(t)
	set := func(k *Kernel, node string, v int) {
		t.Helper()
		if err := tunable(t, node).Set(k, v); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		family                int
		dst, host, gw         string
		sendNode, timeoutNode string
		wantGateway           func() string
	}{
		{4, "10.0.2.1", "10.0.2.1/32", "10.9.0.3", "net.inet.ip.redirect", "net.inet.icmp.redirtimeout", nil},
		{6, "fd02::1", "fd02::1/128", "", "net.inet6.ip6.redirect", "net.inet6.icmp6.redirtimeout", nil},
	}
	for _, tt := range tests {
		t.Run(tt.dst, func(t *testing.T) {
			set(peer, tt.sendNode, 0)
			pingOnce(t, local, tt.dst)
			if r, ok := hostRoute(local, tt.family, tt.host); ok {
				t.Fatalf("%s=0 on the peer: got route %+v, want none", tt.sendNode, r)
			}
			set(peer, tt.sendNode, 1)
			pingOnce(t, local, tt.dst)
			r := waitRoute(t, local, tt.family, tt.host, true)
			wantFlags := api.RTF_UP | api.RTF_GATEWAY | api.RTF_HOST | api.RTF_DYNAMIC
			if r.Flags != wantFlags || (tt.gw != "" && r.Gateway != tt.gw) {
				t.Errorf("redirected route: got %+v, want flags %#x (UGHD) via %s", r, wantFlags, tt.gw)
			}
			if err := local.DeleteRoute(tt.family, api.Route{Dest: tt.host}); err != nil {
				t.Fatal(err)
			}
			set(local, tt.timeoutNode, 1)
			pingOnce(t, local, tt.dst)
			waitRoute(t, local, tt.family, tt.host, true)
			waitRoute(t, local, tt.family, tt.host, false)
		})
	}
}

// TestICMPRedirectModifiesStatic restates t_flags.sh icmp_redirect's
// second half: a redirect for a destination with a static host route
// through a gateway changes that route's gateway and marks it modified
// (UGHMS), as NetBSD's rtredirect smashes the gateway of an existing
// gatewayed route; a host route to an interface stays as it was.
func TestICMPRedirectModifiesStatic(t *testing.T) {
	skipInetForwardingRace(t)
	local, _, _ := redirectSetup(t)
	static := api.RTF_GATEWAY | api.RTF_STATIC
	if err := local.AddRoute(4, api.Route{Dest: "10.0.2.1/32", Gateway: "10.9.0.2", Flags: static}); err != nil {
		t.Fatal(err)
	}
	pingOnce(t, local, "10.0.2.1")
	want := api.RTF_UP | api.RTF_GATEWAY | api.RTF_HOST | api.RTF_STATIC | api.RTF_MODIFIED
	deadline := time.Now().Add(10 * time.Second)
	for {
		r, _ := hostRoute(local, 4, "10.0.2.1/32")
		if r.Flags == want && r.Gateway == "10.9.0.3" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("static host route after a redirect: got %+v, want flags %#x (UGHMS) via 10.9.0.3", r, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
