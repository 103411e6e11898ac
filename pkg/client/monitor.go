package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"syscall"
	"time"

	"github.com/rumpnet/rumpnet/pkg/api"
)

// RouteMonitor is the kernel's stream of routing messages. Closing it (or
// cancelling the context WatchRoutes was given) ends it.
type RouteMonitor struct {
	body   io.ReadCloser
	dec    *json.Decoder
	cancel context.CancelCauseFunc
}

// WatchRoutes opens the stream of routing messages (route monitor).
func (c *Client) WatchRoutes(ctx context.Context) (*RouteMonitor, error) {
	body, cancel, err := c.openStream(ctx, "GET", api.RouteMonitorPath, nil, nil)
	if err != nil {
		return nil, err
	}
	return &RouteMonitor{body: body, dec: json.NewDecoder(body), cancel: cancel}, nil
}

// Next returns the next message, io.EOF when the server ends the stream.
func (m *RouteMonitor) Next() (api.RouteMessage, error) {
	var msg api.RouteMessage
	err := m.dec.Decode(&msg)
	switch {
	case err == nil, errors.Is(err, io.EOF), errors.Is(err, context.Canceled):
		return msg, err
	}
	return msg, api.Errorf(syscall.EPROTO, "routing message stream: "+err.Error())
}

// Close ends the stream.
func (m *RouteMonitor) Close() error {
	err := m.body.Close()
	m.cancel(nil)
	return err
}

// Multicast lists every interface's multicast memberships (ifmcstat).
func (c *Client) Multicast() ([]api.Multicast, error) {
	var out []api.Multicast
	err := c.do("GET", api.MulticastPath, nil, &out)
	return out, err
}

// openStream sends a request whose answer is a stream and returns the
// stream's body. The client's timeout bounds the wait for the stream to
// start, head included: head, when set, reads the head of an accepted
// stream (an error of its that carries an errno is returned as it is);
// the stream then runs as long as ctx. A refusal fails with its errno.
func (c *Client) openStream(ctx context.Context, method, path string, b []byte, head func(io.Reader) error) (io.ReadCloser, context.CancelCauseFunc, error) {
	if err := c.init(); err != nil {
		return nil, nil, err
	}
	ctx, cancel := context.WithCancelCause(ctx)
	var timer *time.Timer
	if d := c.timeout(); d > 0 {
		timer = time.AfterFunc(d, func() { cancel(errNoReply) })
	}
	resp, err := roundTrip(ctx, c.path, method, path, b)
	if err == nil && resp.code == 200 && head != nil {
		if herr := head(resp.body); herr != nil {
			if timer != nil {
				timer.Stop()
			}
			resp.body.Close()
			cancel(nil)
			if ae := (*api.Error)(nil); errors.As(herr, &ae) {
				return nil, nil, herr
			}
			return nil, nil, c.transportError(ctx, herr)
		}
	}
	if timer != nil && !timer.Stop() && err == nil {
		// The timer fired as the reply arrived: the stream is cut off.
		err = context.Cause(ctx)
		resp.body.Close()
	}
	if err != nil {
		cancel(nil)
		return nil, nil, c.transportError(ctx, err)
	}
	if resp.code != 200 {
		defer cancel(nil)
		defer resp.body.Close()
		var er api.ErrorReply
		data, _ := io.ReadAll(io.LimitReader(resp.body, 64<<10))
		if json.Unmarshal(data, &er) != nil {
			return nil, nil, api.Errorf(syscall.EPROTO, fmt.Sprintf("server answered %s", resp.status))
		}
		return nil, nil, er.Err()
	}
	return resp.body, cancel, nil
}
