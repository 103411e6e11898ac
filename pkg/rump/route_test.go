package rump

import (
	"context"
	"net/netip"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/rumpnet/rumpnet/pkg/api"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/adapters/gonet"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv6"
)

// routeLines renders routes as "dest gateway flags interface" for
// comparison.
func routeLines(rs []api.Route) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.Dest+" "+r.Gateway+" "+flagString(r.Flags)+" "+r.Interface)
	}
	return out
}

func flagString(f int) string {
	var s []byte
	for _, b := range []struct {
		bit int
		c   byte
	}{{api.RTF_UP, 'U'}, {api.RTF_GATEWAY, 'G'}, {api.RTF_HOST, 'H'}, {api.RTF_CONNECTED, 'C'},
		{api.RTF_STATIC, 'S'}, {api.RTF_LOCAL, 'l'}} {
		if f&b.bit != 0 {
			s = append(s, b.c)
		}
	}
	return string(s)
}

func wantRoutes(t *testing.T, k *Kernel, family int, want ...string) {
	t.Helper()
	if got := routeLines(k.Routes(family)); !slices.Equal(got, want) {
		t.Fatalf("inet%d routes:\ngot  %q\nwant %q", family, got, want)
	}
}

func TestStaticRoutes(t *testing.T) {
	k := newKernel(t, Options{})
	if err := k.Create("virt0"); err != nil {
		t.Fatal(err)
	}
	for _, a := range []string{"10.0.0.1/24", "10.0.0.7/24", "fc00::1/64"} {
		if err := k.AddAddr("virt0", api.IfAddr{Addr: a}); err != nil {
			t.Fatal(err)
		}
	}
	wantRoutes(t, k, 4, "10.0.0.0/24  UC virt0", "10.0.0.1/32  UHl lo0", "10.0.0.7/32  UHl lo0", "127.0.0.1/32  UHl lo0")
	gw := api.RTF_GATEWAY | api.RTF_STATIC
	steps := []struct {
		op    func(int, api.Route) error
		r     api.Route
		errno syscall.Errno
	}{
		{k.AddRoute, api.Route{Dest: "10.9.0.0/16", Gateway: "10.0.0.2", Flags: gw}, 0},
		{k.AddRoute, api.Route{Dest: "10.9.0.0/16", Gateway: "10.0.0.3", Flags: gw}, syscall.EEXIST},
		{k.AddRoute, api.Route{Dest: "10.0.0.0/24", Gateway: "10.0.0.3", Flags: gw}, syscall.EEXIST},
		{k.AddRoute, api.Route{Dest: "0.0.0.0/0", Gateway: "192.168.1.1", Flags: gw}, syscall.ENETUNREACH},
		{k.AddRoute, api.Route{Dest: "10.8.0.0/16", Gateway: "10.0.0.9", Flags: api.RTF_STATIC}, syscall.ENETUNREACH},
		{k.AddRoute, api.Route{Dest: "10.8.0.0/16", Gateway: "10.0.0.7", Flags: api.RTF_STATIC}, 0},
		// A gateway that is our own address: its interface, not lo0 (t_gif).
		{k.AddRoute, api.Route{Dest: "10.4.0.0/16", Gateway: "10.0.0.7", Flags: gw}, 0},
		{k.AddRoute, api.Route{Dest: "10.7.7.7/32", Interface: "virt0", Flags: api.RTF_STATIC}, 0},
		{k.AddRoute, api.Route{Dest: "10.6.0.0/16", Interface: "virt9", Flags: api.RTF_STATIC}, syscall.ENXIO},
		{k.AddRoute, api.Route{Dest: "fc00:1::/64", Gateway: "10.0.0.2", Flags: gw}, syscall.EAFNOSUPPORT},
		{k.AddRoute, api.Route{Dest: "10.6.0.0/16", Gateway: "fc00::2", Flags: gw}, syscall.EINVAL},
		{k.AddRoute, api.Route{Dest: "10.6.0.0/16"}, syscall.EINVAL},
		{k.AddRoute, api.Route{Dest: "0.0.0.0/0", Gateway: "10.0.0.254", Flags: gw}, 0},
		{k.DeleteRoute, api.Route{Dest: "10.0.0.1/32"}, syscall.EBUSY},
		{k.ChangeRoute, api.Route{Dest: "127.0.0.1/32", Interface: "virt0"}, syscall.EBUSY},
		{k.DeleteRoute, api.Route{Dest: "10.5.0.0/16"}, syscall.ESRCH},
		{k.ChangeRoute, api.Route{Dest: "10.5.0.0/16", Gateway: "10.0.0.2", Flags: gw}, syscall.ESRCH},
		{k.ChangeRoute, api.Route{Dest: "10.9.0.0/16", Gateway: "10.0.0.3", Flags: gw, MTU: 1400}, 0},
	}
	for i, s := range steps {
		err := s.op(4, s.r)
		if s.errno == 0 && err != nil || s.errno != 0 && !errorIs(err, s.errno) {
			t.Fatalf("step %d (%+v): got %v, want errno %d", i, s.r, err, s.errno)
		}
	}
	wantRoutes(t, k, 4,
		"0.0.0.0/0 10.0.0.254 UGS virt0",
		"10.0.0.0/24  UC virt0",
		"10.0.0.1/32  UHl lo0",
		"10.0.0.7/32  UHl lo0",
		"10.4.0.0/16 10.0.0.7 UGS virt0",
		"10.7.7.7/32  UHS virt0",
		"10.8.0.0/16 10.0.0.7 US virt0",
		"10.9.0.0/16 10.0.0.3 UGS virt0",
		"127.0.0.1/32  UHl lo0")
	if r := k.Routes(4)[7]; r.MTU != 1400 {
		t.Errorf("changed route MTU: got %d, want 1400", r.MTU)
	}
	// The stack routes by the same table.
	for _, r := range k.Routes(4) {
		if r.Flags&api.RTF_LOCAL != 0 {
			continue // the stack delivers to its own addresses without a route
		}
		found := false
		for _, rt := range k.Stack().GetRouteTable() {
			gw := ""
			if rt.Gateway.Len() != 0 {
				gw = rt.Gateway.String()
			}
			want := ""
			if r.Flags&api.RTF_GATEWAY != 0 {
				want = r.Gateway
			}
			found = found || prefixOf(rt.Destination).String() == r.Dest && gw == want && int(rt.NIC) == r.Index
		}
		if !found {
			t.Errorf("route %+v not in the stack's table %v", r, k.Stack().GetRouteTable())
		}
	}
	if err := k.DeleteRoute(4, api.Route{Dest: "10.9.1.2/16"}); err != nil {
		t.Fatalf("delete with host bits: %v", err)
	}
	// IPv6: a link-local gateway needs its interface.
	if err := k.AddRoute(6, api.Route{Dest: "::/0", Gateway: "fe80::1", Flags: gw}); !errorIs(err, syscall.EINVAL) {
		t.Errorf("link-local gateway without interface: got %v, want EINVAL", err)
	}
	if err := k.AddRoute(6, api.Route{Dest: "::/0", Gateway: "fe80::1%virt0", Flags: gw}); err != nil {
		t.Fatal(err)
	}
	if err := k.AddRoute(6, api.Route{Dest: "10.0.0.0/8", Gateway: "fc00::2", Flags: gw}); !errorIs(err, syscall.EAFNOSUPPORT) {
		t.Errorf("inet destination in inet6 table: got %v, want EAFNOSUPPORT", err)
	}
	routes6 := routeLines(k.Routes(6))
	if routes6[0] != "::/0 fe80::1 UGS virt0" || !slices.Contains(routes6, "::1/128  UH lo0") ||
		!slices.Contains(routes6, "fc00::/64  UC virt0") {
		t.Errorf("inet6 routes: got %q", routes6)
	}
	// Connected routes go with their addresses; static ones with their
	// interface.
	if err := k.DelAddr("virt0", "10.0.0.1"); err != nil {
		t.Fatal(err)
	}
	if err := k.DelAddr("virt0", "10.0.0.7"); err != nil {
		t.Fatal(err)
	}
	wantRoutes(t, k, 4,
		"0.0.0.0/0 10.0.0.254 UGS virt0",
		"10.4.0.0/16 10.0.0.7 UGS virt0",
		"10.7.7.7/32  UHS virt0",
		"10.8.0.0/16 10.0.0.7 US virt0",
		"127.0.0.1/32  UHl lo0")
	if err := k.Destroy("virt0"); err != nil {
		t.Fatal(err)
	}
	wantRoutes(t, k, 4, "127.0.0.1/32  UHl lo0")
	if len(k.routes) != 0 {
		t.Errorf("static routes of a destroyed interface kept: %v", k.routes)
	}
}

func errorIs(err error, e syscall.Errno) bool {
	return err != nil && api.ErrnoOf(err) == e
}

// TestStaticRouteCarriesTraffic reaches an address of the other kernel
// that is on no shared link, through a route via that kernel.
func TestStaticRouteCarriesTraffic(t *testing.T) {
	ka, kb := linkedKernels(t)
	if err := kb.AddAddr("virt0", api.IfAddr{Addr: "10.9.0.1/24"}); err != nil {
		t.Fatal(err)
	}
	if err := kb.AddAddr("virt0", api.IfAddr{Addr: "fc00:9::1/64"}); err != nil {
		t.Fatal(err)
	}
	waitAssigned(t, ka)
	waitAssigned(t, kb)
	tests := []struct {
		family int
		proto  tcpip.NetworkProtocolNumber
		dest   string
		via    string
		far    string
		port   uint16
	}{
		{4, ipv4.ProtocolNumber, "10.9.0.0/16", "10.0.0.2", "10.9.0.1", 80},
		{6, ipv6.ProtocolNumber, "fc00:9::/48", "fc00::2", "fc00:9::1", 81},
	}
	for _, tt := range tests {
		l, err := gonet.ListenTCP(kb.Stack(), tcpip.FullAddress{Port: tt.port}, tt.proto)
		if err != nil {
			t.Fatal(err)
		}
		go func() {
			if c, err := l.Accept(); err == nil {
				c.Close()
			}
		}()
		dial := func() error {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			c, err := gonet.DialContextTCP(ctx, ka.Stack(), tcpip.FullAddress{
				Addr: tcpip.AddrFromSlice(netip.MustParseAddr(tt.far).AsSlice()), Port: tt.port}, tt.proto)
			if err == nil {
				c.Close()
			}
			return err
		}
		if err := dial(); err == nil {
			t.Fatalf("inet%d: %s reachable before the route", tt.family, tt.far)
		}
		r := api.Route{Dest: tt.dest, Gateway: tt.via, Flags: api.RTF_GATEWAY | api.RTF_STATIC}
		if err := ka.AddRoute(tt.family, r); err != nil {
			t.Fatal(err)
		}
		if err := dial(); err != nil {
			t.Errorf("inet%d: connect to %s via %s: %v", tt.family, tt.far, tt.via, err)
		}
		if err := ka.DeleteRoute(tt.family, r); err != nil {
			t.Fatal(err)
		}
		if err := dial(); err == nil {
			t.Errorf("inet%d: %s still reachable after the route was deleted", tt.family, tt.far)
		}
		l.Close()
	}
}
