package client

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"syscall"

	"github.com/rumpnet/rumpnet/pkg/api"
)

// TracerouteStream is the event stream of a trace the kernel is running.
// Closing it (or cancelling the context Traceroute was given) stops the
// run.
type TracerouteStream struct {
	body   io.ReadCloser
	dec    *json.Decoder
	cancel context.CancelCauseFunc
}

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
	return &TracerouteStream{body: body, dec: json.NewDecoder(body), cancel: cancel}, nil
}

// Next returns the next event, io.EOF after the last one.
func (s *TracerouteStream) Next() (api.TracerouteEvent, error) {
	var ev api.TracerouteEvent
	err := s.dec.Decode(&ev)
	switch {
	case err == nil, errors.Is(err, io.EOF):
		return ev, err
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return ev, err
	}
	return ev, api.Errorf(syscall.EPROTO, "traceroute stream: "+err.Error())
}

// Close ends the stream; the server stops the run.
func (s *TracerouteStream) Close() error {
	err := s.body.Close()
	s.cancel(nil)
	return err
}
