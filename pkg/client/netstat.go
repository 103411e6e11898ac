package client

import "github.com/rumpnet/rumpnet/pkg/api"

// Sockets returns the kernel's TCP and UDP endpoints.
func (c *Client) Sockets() ([]api.Socket, error) {
	var ss []api.Socket
	err := c.getValue(api.NodeSockets, &ss)
	return ss, err
}

// NetStats returns the kernel's protocol counters.
func (c *Client) NetStats() (api.NetStats, error) {
	var s api.NetStats
	err := c.getValue(api.NodeStats, &s)
	return s, err
}
