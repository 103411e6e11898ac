package client

import (
	"context"

	"github.com/rumpnet/rumpnet/pkg/api"
)

// WatchRoutes opens the stream of routing messages (route monitor).
func (c *Client) WatchRoutes(ctx context.Context) (*RouteMonitor, error) {
	body, cancel, err := c.openStream(ctx, "GET", api.RouteMonitorPath, nil, nil)
	if err != nil {
		return nil, err
	}
	return newEventStream[api.RouteMessage](body, cancel, "routing message stream"), nil
}

// Multicast lists every interface's multicast memberships (ifmcstat).
func (c *Client) Multicast() ([]api.Multicast, error) {
	var out []api.Multicast
	err := c.do("GET", api.MulticastPath, nil, &out)
	return out, err
}
