package client

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"syscall"

	"github.com/rumpnet/rumpnet/pkg/api"
	"github.com/rumpnet/rumpnet/pkg/pcap"
)

// CaptureStream is the stream of a capture the kernel is running. Closing
// it (or cancelling the context Capture was given) stops the capture.
type CaptureStream struct {
	body   io.ReadCloser
	rd     *pcap.Reader
	cancel context.CancelCauseFunc
}

// Capture asks the kernel to capture an interface's frames and returns
// their stream. A request the kernel refuses (no such interface, a peer
// that may not capture) fails here, with its errno.
func (c *Client) Capture(ctx context.Context, req api.CaptureRequest) (*CaptureStream, error) {
	b, err := json.Marshal(req)
	if err != nil {
		return nil, api.Errorf(syscall.EINVAL, err.Error())
	}
	// The head of the stream comes at once: it is read under the timeout
	// too.
	var rd *pcap.Reader
	body, cancel, err := c.openStream(ctx, "POST", api.CapturePath, b, func(r io.Reader) error {
		var err error
		if rd, err = pcap.NewReader(r); errors.Is(err, pcap.ErrFormat) {
			return api.Errorf(syscall.EPROTO, "capture stream: "+err.Error())
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return &CaptureStream{body: body, rd: rd, cancel: cancel}, nil
}

// LinkType is the pcap link type of the stream's frames.
func (s *CaptureStream) LinkType() int { return s.rd.LinkType }

// Snaplen is the capture's snapshot length.
func (s *CaptureStream) Snaplen() int { return s.rd.Snaplen }

// Next returns the next frame (its data valid until the next call), io.EOF
// once the kernel has ended the capture (the interface is gone).
func (s *CaptureStream) Next() (pcap.Packet, error) {
	p, err := s.rd.Next()
	switch {
	case err == nil, errors.Is(err, io.EOF):
		return p, err
	case errors.Is(err, pcap.ErrFormat):
		return p, api.Errorf(syscall.EPROTO, "capture stream: "+err.Error())
	}
	return p, err
}

// Stats returns the kernel's latest counts: the frames the interface has
// seen in the capture's direction, and how many of them it dropped because
// the reader was behind.
func (s *CaptureStream) Stats() (received, dropped uint64) { return s.rd.Received, s.rd.Dropped }

// Close ends the stream; the kernel stops the capture.
func (s *CaptureStream) Close() error {
	err := s.body.Close()
	s.cancel(nil)
	return err
}
