package rump

import (
	"syscall"
	"testing"

	"github.com/rumpnet/rumpnet/pkg/api"
)

// TestChangeRouteIfaIfp restates NetBSD's t_change ifa, ifp and ifp_ifa
// cases: route change with -ifa, -ifp or both gives the route the
// interface and source address route get then shows, and -ifp alone keeps
// the gateway.
func TestChangeRouteIfaIfp(t *testing.T) {
	gw := api.RTF_GATEWAY | api.RTF_STATIC
	tests := []struct {
		name           string
		change         api.Route
		wantGW, wantIf string
		wantIfa        string
	}{
		{"ifa", api.Route{Gateway: "10.0.0.1", Flags: gw, Ifa: "10.0.0.12"}, "10.0.0.1", "virt0", "10.0.0.12"},
		{"ifp", api.Route{Gateway: "10.0.0.1", Flags: gw, Interface: "virt1"}, "10.0.0.1", "virt1", ""},
		{"ifp alone", api.Route{Interface: "virt1"}, "10.0.0.1", "virt1", ""},
		{"ifp_ifa", api.Route{Interface: "virt1", Ifa: "10.0.0.1"}, "10.0.0.1", "virt1", "10.0.0.11"},
		{"ifa elsewhere", api.Route{Interface: "virt1", Ifa: "192.168.5.5"}, "10.0.0.1", "virt1", "10.0.0.11"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := newKernel(t, Options{})
			for _, a := range []struct{ ifname, addr string }{
				{"virt0", "10.0.0.10/24"}, {"virt0", "10.0.0.12/24"}, {"virt1", "10.0.0.11/24"}} {
				if err := k.Create(a.ifname); err != nil && !errorIs(err, syscall.EEXIST) {
					t.Fatal(err)
				}
				if err := k.AddAddr(a.ifname, api.IfAddr{Addr: a.addr}); err != nil {
					t.Fatal(err)
				}
			}
			if err := k.AddRoute(4, api.Route{Dest: "192.168.0.0/24", Gateway: "10.0.0.1", Flags: gw}); err != nil {
				t.Fatal(err)
			}
			tt.change.Dest = "192.168.0.0/24"
			if err := k.ChangeRoute(4, tt.change); err != nil {
				t.Fatalf("change: got %v, want success", err)
			}
			for _, r := range k.Routes(4) {
				if r.Dest != "192.168.0.0/24" {
					continue
				}
				if r.Gateway != tt.wantGW || r.Interface != tt.wantIf || r.Ifa != tt.wantIfa ||
					r.Flags&api.RTF_GATEWAY == 0 {
					t.Errorf("got gateway %q interface %q ifa %q flags %#x, want %q %q %q with RTF_GATEWAY",
						r.Gateway, r.Interface, r.Ifa, r.Flags, tt.wantGW, tt.wantIf, tt.wantIfa)
				}
				return
			}
			t.Fatal("route gone after change")
		})
	}
}
