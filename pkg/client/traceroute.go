package client

import (
	"context"
	"encoding/json"
	"syscall"

	"github.com/rumpnet/rumpnet/pkg/api"
)

// Traceroute asks the kernel to trace the route to req.Dst and returns
// the stream of what happens. A request the kernel refuses fails here,
// with its errno.
func (c *Client) Traceroute(ctx context.Context, req api.TracerouteRequest) (*TracerouteStream, error) {
	b, err := json.Marshal(req)
	if err != nil {
		return nil, api.Errorf(syscall.EINVAL, err.Error())
	}
	body, cancel, err := c.openStream(ctx, "POST", api.TraceroutePath, b, nil)
	if err != nil {
		return nil, err
	}
	return newEventStream[api.TracerouteEvent](body, cancel, "traceroute stream"), nil
}
