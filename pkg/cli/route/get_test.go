package route

import (
	"net/netip"
	"testing"

	"github.com/rumpnet/rumpnet/pkg/api"
)

// TestGetLocalAddr checks the local addr line of route get: a route's own
// source address (-ifa) wins over the interface's addresses, and a
// tentative address is shown when the interface has no other, as NetBSD
// gives a route its address when it is added (t_change ifa, ifp).
func TestGetLocalAddr(t *testing.T) {
	tentative := api.IN_IFF_TENTATIVE
	shmif0 := api.Interface{Name: "shmif0", Inet: []api.IfAddr{
		{Addr: "10.0.0.10/24"}, {Addr: "10.0.0.11/24"}}}
	shmif1 := api.Interface{Name: "shmif1", Inet: []api.IfAddr{{Addr: "10.0.0.11/24", Flags: tentative}}}
	mixed := api.Interface{Name: "shmif1", Inet: []api.IfAddr{
		{Addr: "10.0.0.11/24", Flags: tentative}, {Addr: "10.0.0.12/24"}}}
	gw := api.RTF_UP | api.RTF_GATEWAY | api.RTF_STATIC
	tests := []struct {
		name string
		rt   api.Route
		ifc  api.Interface
		want string
	}{
		{"first address", api.Route{Dest: "192.168.0.0/24", Gateway: "10.0.0.1", Interface: "shmif0", Flags: gw}, shmif0, "10.0.0.10"},
		{"ifa", api.Route{Dest: "192.168.0.0/24", Gateway: "10.0.0.1", Interface: "shmif0", Ifa: "10.0.0.11", Flags: gw}, shmif0, "10.0.0.11"},
		{"tentative only", api.Route{Dest: "192.168.0.0/24", Gateway: "10.0.0.1", Interface: "shmif1", Flags: gw}, shmif1, "10.0.0.11"},
		{"usable first", api.Route{Dest: "192.168.0.0/24", Gateway: "10.0.0.1", Interface: "shmif1", Flags: gw}, mixed, "10.0.0.12"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x := &executor{r: &request{family: 4, numeric: true, dest: netip.MustParsePrefix("192.168.0.1/32")}}
			g := x.reply(tt.rt, netip.MustParseAddr(tt.rt.Gateway), []api.Interface{tt.ifc})
			if g.local != tt.want {
				t.Errorf("local addr: got %q, want %q", g.local, tt.want)
			}
		})
	}
}
