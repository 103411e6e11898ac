package client

import (
	"encoding/json"
	"syscall"

	"github.com/rumpnet/rumpnet/pkg/api"
)

// getValue reads a node and decodes its value into dst.
func (c *Client) getValue(name string, dst any) error {
	n, err := c.Get(name)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(n.Value, dst); err != nil {
		return api.Errorf(syscall.EPROTO, name+": "+err.Error())
	}
	return nil
}

// Routes returns the routing table of a family (4 or 6).
func (c *Client) Routes(family int) ([]api.Route, error) {
	var rs []api.Route
	err := c.getValue(api.RouteNode(family), &rs)
	return rs, err
}

// AddRoute adds a static route (route add).
func (c *Client) AddRoute(family int, r api.Route) error {
	return c.Create(api.RouteNode(family), r)
}

// DeleteRoute deletes the route to r.Dest (route delete).
func (c *Client) DeleteRoute(family int, r api.Route) error {
	return c.Destroy(api.RouteNode(family), r)
}

// ChangeRoute gives the route to r.Dest r's gateway, interface and MTU
// (route change).
func (c *Client) ChangeRoute(family int, r api.Route) error {
	_, err := c.Set(api.RouteNode(family), r)
	return err
}
