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

// PingStream is the event stream of a ping the kernel is running. Closing
// it (or cancelling the context Ping was given) stops the run.
type PingStream struct {
	body   io.ReadCloser
	dec    *json.Decoder
	cancel context.CancelCauseFunc
}

// Ping asks the kernel to send echo requests and returns the stream of what
// happens. A request the kernel refuses (bad address, a source that is not
// the kernel's, no such interface) fails here, with its errno; failures of
// single requests arrive as events.
func (c *Client) Ping(ctx context.Context, req api.PingRequest) (*PingStream, error) {
	if err := c.init(); err != nil {
		return nil, err
	}
	b, err := json.Marshal(req)
	if err != nil {
		return nil, api.Errorf(syscall.EINVAL, err.Error())
	}
	// The client's timeout bounds the wait for the stream to start; the
	// stream then runs as long as ctx.
	ctx, cancel := context.WithCancelCause(ctx)
	var timer *time.Timer
	if d := c.timeout(); d > 0 {
		timer = time.AfterFunc(d, func() { cancel(errNoReply) })
	}
	resp, err := roundTrip(ctx, c.path, "POST", api.PingPath, b)
	if timer != nil && !timer.Stop() && err == nil {
		// The timer fired as the reply arrived: the stream is cut off.
		err = context.Cause(ctx)
		resp.body.Close()
	}
	if err != nil {
		cancel(nil)
		return nil, c.transportError(ctx, err)
	}
	if resp.code != 200 {
		defer cancel(nil)
		defer resp.body.Close()
		var er api.ErrorReply
		data, _ := io.ReadAll(io.LimitReader(resp.body, 64<<10))
		if json.Unmarshal(data, &er) != nil {
			return nil, api.Errorf(syscall.EPROTO, fmt.Sprintf("server answered %s", resp.status))
		}
		return nil, er.Err()
	}
	return &PingStream{body: resp.body, dec: json.NewDecoder(resp.body), cancel: cancel}, nil
}

// Next returns the next event, io.EOF after the last one.
func (s *PingStream) Next() (api.PingEvent, error) {
	var ev api.PingEvent
	err := s.dec.Decode(&ev)
	switch {
	case err == nil, errors.Is(err, io.EOF):
		return ev, err
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return ev, err
	}
	return ev, api.Errorf(syscall.EPROTO, "ping stream: "+err.Error())
}

// Close ends the stream; the server stops the run.
func (s *PingStream) Close() error {
	err := s.body.Close()
	s.cancel(nil)
	return err
}
