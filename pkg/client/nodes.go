package client

import (
	"encoding/json"
	"syscall"

	"github.com/rumpnet/rumpnet/pkg/api"
)

// Nodes reads several nodes in one request (api.NodesPath), in the order
// of names; a name net.link.*.LEAF gives that leaf of every interface. The
// first name the server cannot read fails the whole call with its error.
func (c *Client) Nodes(names ...string) ([]api.Node, error) {
	var nodes []api.Node
	err := c.do("POST", api.NodesPath, nameList(names), &nodes)
	return nodes, err
}

// rawBody is a request body already encoded as JSON: Client.do sends it as
// it is.
type rawBody []byte

// nameList encodes names as a JSON array. Node names are plain ASCII, and
// writing them directly spares a tool's single request the JSON encoder
// (its code's first use is page faults of its own); a name with anything
// that would need escaping goes through encoding/json.
func nameList(names []string) any {
	b := []byte{'['}
	for i, n := range names {
		for j := 0; j < len(n); j++ {
			if c := n[j]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
				return names
			}
		}
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '"')
		b = append(b, n...)
		b = append(b, '"')
	}
	if names == nil {
		return names // null, as encoding/json writes a nil slice
	}
	return rawBody(append(b, ']'))
}

// RouteTable is a family's routing table and neighbour cache.
type RouteTable struct {
	Family    int // 4 or 6
	Routes    []api.Route
	Neighbors []api.Neighbor
}

// RouteTables returns the routing table and neighbour cache of each
// family (4 or 6) in one request: what Routes and Neighbors give, family
// by family, without a request each.
func (c *Client) RouteTables(families ...int) ([]RouteTable, error) {
	names := make([]string, 0, 2*len(families))
	for _, f := range families {
		names = append(names, api.RouteNode(f), api.NeighborNode(f))
	}
	nodes, err := c.Nodes(names...)
	if err != nil {
		return nil, err
	}
	if len(nodes) != len(names) {
		return nil, api.Errorf(syscall.EPROTO, "nodes: wrong number of nodes in the reply")
	}
	out := make([]RouteTable, len(families))
	for i, f := range families {
		out[i].Family = f
		if err := decodeNode(nodes[2*i], names[2*i], &out[i].Routes); err != nil {
			return nil, err
		}
		if err := decodeNode(nodes[2*i+1], names[2*i+1], &out[i].Neighbors); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// decodeNode decodes the value of n, which must be the node name.
func decodeNode(n api.Node, name string, dst any) error {
	if n.Name != name {
		return api.Errorf(syscall.EPROTO, "nodes: "+n.Name+" in the reply where "+name+" was asked")
	}
	if err := json.Unmarshal(n.Value, dst); err != nil {
		return api.Errorf(syscall.EPROTO, name+": "+err.Error())
	}
	return nil
}

// InterfaceList returns every interface in index order with only its
// name, flags and link state, which is what a listing of names with
// ifconfig -l's filters needs: one request that carries two leaves of each
// interface instead of all of them.
func (c *Client) InterfaceList() ([]api.Interface, error) {
	all := api.LinkPrefix + api.LinkAll + "."
	nodes, err := c.Nodes(all+api.LeafFlags, all+api.LeafLinkState)
	if err != nil {
		return nil, err
	}
	return assemble(nodes)
}
