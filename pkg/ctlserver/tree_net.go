package ctlserver

// Network nodes: the routing tables, the neighbour caches, the sockets and
// the protocol statistics. They are static nodes whose values the kernel
// computes when they are read. The routing tables and neighbour caches
// also take the create and destroy verbs (route add and delete, arp -s and
// -d), and the routing tables a set (route change); the body of each is an
// api.Route or api.Neighbor. See doc/control.md.

import (
	"encoding/json"
	"syscall"

	"github.com/rumpnet/rumpnet/pkg/api"
)

// netNodes returns the network nodes of t; newTree adds them to the
// static table. The kernel is only used when a node is read or written.
func (t *tree) netNodes() []node {
	var nodes []node
	for _, family := range []int{4, 6} {
		nodes = append(nodes,
			node{name: api.RouteNode(family), typ: "struct",
				get: func() (any, error) { return nonNil(t.k.Routes(family)), nil },
				set: func(v json.RawMessage) error {
					var r api.Route
					if err := decodeValue(v, &r); err != nil {
						return err
					}
					return t.k.ChangeRoute(family, r)
				}},
			node{name: api.NeighborNode(family), typ: "struct",
				get: func() (any, error) { return nonNil(t.k.Neighbors(family)), nil }})
	}
	return append(nodes,
		node{name: api.NodeSockets, typ: "struct", get: func() (any, error) { return nonNil(t.k.Sockets()), nil }},
		node{name: api.NodeStats, typ: "struct", get: func() (any, error) { return t.k.NetStats(), nil }})
}

// nonNil makes an empty list encode as [] rather than null.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// netVerb runs create (add) or destroy (delete) on a routing table or a
// neighbour cache; handled is false for any other name. A destroy on a
// neighbour cache without a body, or without an address in it, empties
// the cache.
func (t *tree) netVerb(name string, body json.RawMessage, create bool) (handled bool, err error) {
	for _, family := range []int{4, 6} {
		switch name {
		case api.RouteNode(family):
			var r api.Route
			if err := decodeValue(body, &r); err != nil {
				return true, err
			}
			if create {
				return true, t.k.AddRoute(family, r)
			}
			return true, t.k.DeleteRoute(family, r)
		case api.NeighborNode(family):
			var n api.Neighbor
			if len(body) > 0 || create {
				if err := decodeValue(body, &n); err != nil {
					return true, err
				}
			}
			if create {
				return true, t.k.AddNeighbor(family, n)
			}
			return true, t.k.DeleteNeighbor(family, n)
		}
	}
	if name == api.NodeSockets || name == api.NodeStats {
		return true, api.Errorf(syscall.EOPNOTSUPP, name+" has no create or destroy")
	}
	return false, nil
}
