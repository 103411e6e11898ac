package ctlserver

// POST /v1/capture: the kernel captures an interface's frames and the
// reply is a pcapng stream (api.CapturePath). The handler decodes the
// request; serveStream starts the capture, sends what it queues in batches,
// each followed by a statistics block, and stops it when the client goes
// away or the interface is destroyed. A slow client blocks only its own
// stream: the capture's queue is bounded and drops (and counts) what does
// not fit, so the kernel never waits for it.
//
// Capturing reads every user's traffic, so it is a privileged request, like
// a change: root and the server's owner only (NetBSD's /dev/bpf is root's).

import (
	"encoding/json"
	"syscall"
	"time"

	"github.com/rumpnet/rumpnet/pkg/api"
	"github.com/rumpnet/rumpnet/pkg/http1"
	"github.com/rumpnet/rumpnet/pkg/pcap"
	"github.com/rumpnet/rumpnet/pkg/rump"
)

// captureStream is a decoded capture request waiting to run.
type captureStream struct {
	s   *Server
	req api.CaptureRequest
}

func (s *Server) capture(_ string, body json.RawMessage) (any, error) {
	var req api.CaptureRequest
	if len(body) == 0 || json.Unmarshal(body, &req) != nil || req.Interface == "" {
		return nil, api.Errorf(syscall.EINVAL, "capture needs a JSON object with an interface")
	}
	if req.Snaplen < 0 || req.Snaplen > pcap.MaxSnaplen || req.Buffer < 0 {
		return nil, api.Errorf(syscall.EINVAL, "capture: bad snaplen or buffer")
	}
	return &captureStream{s: s, req: req}, nil
}

func (c *captureStream) serveStream(w replier, r *request) {
	cp, err := c.s.k.StartCapture(c.req.Interface, rump.CaptureOptions{
		Direction: c.req.Direction, Snaplen: c.req.Snaplen, Buffer: c.req.Buffer})
	if err != nil {
		writeError(w, err)
		return
	}
	defer cp.Close()
	out := w.stream(http1.StatusOK, api.CaptureContentType)
	buf := pcap.AppendSection(nil, cp.LinkType(), cp.Snaplen())
	if _, err := out.Write(buf); err != nil {
		return
	}
	var batch []pcap.Packet
	for {
		batch, err = cp.Read(r.ctx, batch[:0])
		if err != nil {
			return
		}
		// The counts go first, so that a reader that stops at any of
		// the batch's packets has counts that include it.
		recv, drop := cp.Stats()
		buf = pcap.AppendStats(buf[:0], time.Now(), recv, drop)
		for _, p := range batch {
			buf = pcap.AppendPacket(buf, p)
		}
		clear(batch) // the frames' copies go
		// A failed write means the client has gone; its context ends.
		if _, err := out.Write(buf); err != nil {
			return
		}
	}
}
