package client

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"syscall"

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
	b, err := json.Marshal(req)
	if err != nil {
		return nil, api.Errorf(syscall.EINVAL, err.Error())
	}
	body, cancel, err := c.openStream(ctx, "POST", api.PingPath, b, nil)
	if err != nil {
		return nil, err
	}
	return &PingStream{body: body, dec: json.NewDecoder(body), cancel: cancel}, nil
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
