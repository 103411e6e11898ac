package client

import (
	"context"
	"encoding/json"
	"syscall"

	"github.com/rumpnet/rumpnet/pkg/api"
)

// Ping asks the kernel to send echo requests and returns the stream of what
// happens. A request the kernel refuses (bad address, a source that is not
// the kernel's, no such interface) fails here, with its errno; failures of
// single requests arrive as events.
func (c *Client) Ping(ctx context.Context, req api.PingRequest) (*PingStream, error) {
	b, err := json.Marshal(req)
	if err != nil {
		return nil, api.Errorf(syscall.EINVAL, err.Error())
	}
	body, cancel, err := c.openStream(ctx, "POST", api.PingPath, b, nil)
	if err != nil {
		return nil, err
	}
	return newEventStream[api.PingEvent](body, cancel, "ping stream"), nil
}
