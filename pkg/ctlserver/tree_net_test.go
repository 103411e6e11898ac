package ctlserver

import (
	"errors"
	"strings"
	"syscall"
	"testing"

	"github.com/rumpnet/rumpnet/pkg/api"
)

func TestNetNodesThroughClient(t *testing.T) {
	c, _ := serve(t)
	if err := c.CreateInterface("virt0"); err != nil {
		t.Fatal(err)
	}
	if err := c.AddAddr("virt0", api.IfAddr{Addr: "10.0.0.2/24"}); err != nil {
		t.Fatal(err)
	}
	gw := api.RTF_GATEWAY | api.RTF_STATIC
	if err := c.AddRoute(4, api.Route{Dest: "0.0.0.0/0", Gateway: "10.0.0.1", Flags: gw}); err != nil {
		t.Fatal(err)
	}
	if err := c.AddRoute(4, api.Route{Dest: "0.0.0.0/0", Gateway: "10.0.0.1", Flags: gw}); !errors.Is(err, syscall.EEXIST) {
		t.Errorf("second add: got %v, want EEXIST", err)
	}
	if err := c.AddRoute(6, api.Route{Dest: "0.0.0.0/0", Gateway: "10.0.0.1", Flags: gw}); !errors.Is(err, syscall.EAFNOSUPPORT) {
		t.Errorf("inet route in the inet6 table: got %v, want EAFNOSUPPORT", err)
	}
	if err := c.ChangeRoute(4, api.Route{Dest: "0.0.0.0/0", Gateway: "10.0.0.3", Flags: gw}); err != nil {
		t.Fatal(err)
	}
	rs, err := c.Routes(4)
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 4 || rs[0].Dest != "0.0.0.0/0" || rs[0].Gateway != "10.0.0.3" || rs[0].Interface != "virt0" ||
		rs[0].Flags != api.RTF_UP|gw {
		t.Errorf("inet routes: got %+v", rs)
	}
	if err := c.DeleteRoute(4, api.Route{Dest: "0.0.0.0/0"}); err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteRoute(4, api.Route{Dest: "0.0.0.0/0"}); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("second delete: got %v, want ESRCH", err)
	}
	if err := c.DeleteRoute(4, api.Route{Dest: "10.0.0.2/32"}); !errors.Is(err, syscall.EBUSY) {
		t.Errorf("delete of a local route: got %v, want EBUSY", err)
	}

	if err := c.AddNeighbor(4, api.Neighbor{Addr: "10.0.0.9", LinkAddr: "b2:a0:20:00:00:10"}); err != nil {
		t.Fatal(err)
	}
	if err := c.AddNeighbor(4, api.Neighbor{Addr: "10.0.0.9", LinkAddr: "b2:a0:20:00:00:11"}); !errors.Is(err, syscall.EEXIST) {
		t.Errorf("second static entry: got %v, want EEXIST", err)
	}
	ns, err := c.Neighbors(4)
	if err != nil || len(ns) != 1 || !ns[0].Permanent || ns[0].Interface != "virt0" {
		t.Errorf("arp table: got %+v, %v", ns, err)
	}
	if err := c.ClearNeighbors(4); err != nil {
		t.Fatal(err)
	}
	if ns, err := c.Neighbors(4); err != nil || len(ns) != 0 {
		t.Errorf("arp table after clearing: got %+v, %v", ns, err)
	}
	if ns, err := c.Neighbors(6); err != nil || ns == nil {
		t.Errorf("empty nd6 table: got %#v, %v; want an empty list", ns, err)
	}
	if ss, err := c.Sockets(); err != nil || len(ss) != 0 {
		t.Errorf("sockets: got %+v, %v", ss, err)
	}
	if st, err := c.NetStats(); err != nil || st.IP.Total != 0 {
		t.Errorf("stats: got %+v, %v", st, err)
	}
	for _, name := range []string{api.NodeSockets, api.NodeStats} {
		if err := c.Create(name, nil); !errors.Is(err, syscall.EOPNOTSUPP) {
			t.Errorf("create %s: got %v, want EOPNOTSUPP", name, err)
		}
		if _, err := c.Set(name, 1); !errors.Is(err, syscall.EPERM) {
			t.Errorf("set %s: got %v, want EPERM", name, err)
		}
	}
	if err := c.Create(api.NodeRouteInet, nil); !errors.Is(err, syscall.EINVAL) {
		t.Errorf("route add without a body: got %v, want EINVAL", err)
	}
	nodes, err := c.List("net.route")
	if err != nil || len(nodes) != 2 || !strings.HasPrefix(nodes[0].Name, "net.route.inet") || !nodes[0].Writable {
		t.Errorf("list net.route: got %+v, %v", nodes, err)
	}
}
