package ctlserver

import (
	"errors"
	"reflect"
	"strings"
	"syscall"
	"testing"

	"github.com/rumpnet/rumpnet/pkg/api"
)

func TestNodesRequest(t *testing.T) {
	c, _ := serve(t)
	for _, name := range []string{"virt0", "virt1"} {
		if err := c.CreateInterface(name); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.SetFlags("virt1", api.IFF_UP); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		names     []string
		wantNames string // the reply's node names, space-separated
		wantErr   syscall.Errno
	}{
		{"none", []string{}, "", 0},
		{"one", []string{api.NodeIPForwarding}, api.NodeIPForwarding, 0},
		{"in order", []string{api.RouteNode(6), api.NodeIPForwarding, api.NeighborNode(4)},
			api.RouteNode(6) + " " + api.NodeIPForwarding + " " + api.NeighborNode(4), 0},
		{"a leaf of one interface", []string{"net.link.virt1.flags"}, "net.link.virt1.flags", 0},
		{"a leaf of every interface", []string{"net.link.*.flags", "net.link.*.link_state"},
			"net.link.lo0.flags net.link.virt0.flags net.link.virt1.flags " +
				"net.link.lo0.link_state net.link.virt0.link_state net.link.virt1.link_state", 0},
		{"no such node", []string{api.NodeIPForwarding, "net.inet.ip.nonesuch"}, "", syscall.ENOENT},
		{"no such leaf", []string{"net.link.*.nonesuch"}, "", syscall.ENOENT},
		{"no such interface", []string{"net.link.virt7.flags"}, "", syscall.ENXIO},
		{"not a leaf", []string{"net.link"}, "", syscall.ENOENT},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			nodes, err := c.Nodes(tt.names...)
			if tt.wantErr != 0 {
				if !errors.Is(err, tt.wantErr) {
					t.Errorf("got error %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, n := range nodes {
				got = append(got, n.Name)
				want, err := c.Get(n.Name)
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(n, want) {
					t.Errorf("%s: got %+v, want %+v (GET /v1/node)", n.Name, n, want)
				}
			}
			if g := strings.Join(got, " "); g != tt.wantNames {
				t.Errorf("got nodes %q, want %q", g, tt.wantNames)
			}
		})
	}
}

func TestNodesBadBody(t *testing.T) {
	s := New(newKernel(t), nil)
	tests := []struct {
		name     string
		body     string
		wantCode int
	}{
		{"no body", "", 400},
		{"an object", `{"names":["kern.ostype"]}`, 400},
		{"not strings", `[1,2]`, 400},
		{"too many", "[" + strings.Repeat(`"kern.ostype",`, maxNodeNames) + `"kern.ostype"]`, 400},
		{"most", "[" + strings.Repeat(`"kern.ostype",`, maxNodeNames-1) + `"kern.ostype"]`, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := handleForTest(t.Context(), s, peer{}, "POST", api.NodesPath, []byte(tt.body))
			if rec.code != tt.wantCode {
				t.Errorf("got %d %s, want %d", rec.code, rec.body.String(), tt.wantCode)
			}
		})
	}
}

// TestRouteTablesAndInterfaceList checks the one-request readers against
// the requests they replace.
func TestRouteTablesAndInterfaceList(t *testing.T) {
	c, _ := serve(t)
	if err := c.CreateInterface("virt0"); err != nil {
		t.Fatal(err)
	}
	if err := c.AddAddr("virt0", api.IfAddr{Addr: "10.0.0.2/24"}); err != nil {
		t.Fatal(err)
	}
	if err := c.AddNeighbor(4, api.Neighbor{Addr: "10.0.0.9", LinkAddr: "02:00:00:00:00:09"}); err != nil {
		t.Fatal(err)
	}
	for _, fs := range [][]int{{4}, {6}, {4, 6}, {}} {
		got, err := c.RouteTables(fs...)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(fs) {
			t.Fatalf("families %v: got %d tables, want %d", fs, len(got), len(fs))
		}
		for i, f := range fs {
			routes, err := c.Routes(f)
			if err != nil {
				t.Fatal(err)
			}
			neigh, err := c.Neighbors(f)
			if err != nil {
				t.Fatal(err)
			}
			if got[i].Family != f || !reflect.DeepEqual(got[i].Routes, routes) || !reflect.DeepEqual(got[i].Neighbors, neigh) {
				t.Errorf("family %d: got %+v, want routes %+v, neighbours %+v", f, got[i], routes, neigh)
			}
		}
	}
	full, err := c.Interfaces()
	if err != nil {
		t.Fatal(err)
	}
	var want []api.Interface
	for _, ifc := range full {
		want = append(want, api.Interface{Name: ifc.Name, Flags: ifc.Flags, LinkState: ifc.LinkState})
	}
	got, err := c.InterfaceList()
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
}
