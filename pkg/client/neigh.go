package client

import "github.com/rumpnet/rumpnet/pkg/api"

// Neighbors returns a family's neighbour cache (4: ARP, 6: NDP).
func (c *Client) Neighbors(family int) ([]api.Neighbor, error) {
	var ns []api.Neighbor
	err := c.getValue(api.NeighborNode(family), &ns)
	return ns, err
}

// AddNeighbor adds a static neighbour entry (arp -s, ndp -s).
func (c *Client) AddNeighbor(family int, n api.Neighbor) error {
	return c.Create(api.NeighborNode(family), n)
}

// DeleteNeighbor removes the entry for n.Addr (arp -d, ndp -d).
func (c *Client) DeleteNeighbor(family int, n api.Neighbor) error {
	return c.Destroy(api.NeighborNode(family), n)
}

// ClearNeighbors removes every entry of a family, static ones too.
func (c *Client) ClearNeighbors(family int) error {
	return c.Destroy(api.NeighborNode(family), nil)
}
