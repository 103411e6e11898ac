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

// EventStream is a stream of events the kernel sends as JSON lines: a
// ping's or a trace's events, routing messages. Closing it (or cancelling
// the context it was opened with) ends it, and the kernel stops what it
// was running for it.
type EventStream[T any] struct {
	body   io.ReadCloser
	dec    *json.Decoder
	cancel context.CancelCauseFunc
	what   string // the stream's name in errors
}

// PingStream is the event stream of a ping the kernel is running.
type PingStream = EventStream[api.PingEvent]

// TracerouteStream is the event stream of a trace the kernel is running.
type TracerouteStream = EventStream[api.TracerouteEvent]

// RouteMonitor is the kernel's stream of routing messages.
type RouteMonitor = EventStream[api.RouteMessage]

func newEventStream[T any](body io.ReadCloser, cancel context.CancelCauseFunc, what string) *EventStream[T] {
	return &EventStream[T]{body: body, dec: json.NewDecoder(body), cancel: cancel, what: what}
}

// Next returns the next event, io.EOF after the last one; a stream that
// is not JSON lines fails with EPROTO.
func (s *EventStream[T]) Next() (T, error) {
	var ev T
	err := s.dec.Decode(&ev)
	switch {
	case err == nil, errors.Is(err, io.EOF):
		return ev, err
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return ev, err
	}
	return ev, api.Errorf(syscall.EPROTO, s.what+": "+err.Error())
}

// Close ends the stream; the kernel stops what it was running for it.
func (s *EventStream[T]) Close() error {
	err := s.body.Close()
	s.cancel(nil)
	return err
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
