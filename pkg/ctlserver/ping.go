package ctlserver

// POST /v1/ping: the kernel sends echo requests and the reply is a stream
// of events, one JSON object per line, flushed as each happens, so that
// rping prints every reply when it arrives. The handler only decodes the
// request; handle then hands the reply to serveStream, which runs the
// kernel's ping on the request's goroutine until the run ends or the client
// goes away (the request's context is cancelled then). A request the
// kernel refuses before its first event gets the usual error reply.

import (
	"encoding/json"
	"syscall"

	"github.com/rumpnet/rumpnet/pkg/api"
	"github.com/rumpnet/rumpnet/pkg/http1"
)

// streamer is a handler result that writes its own reply, as a stream.
type streamer interface {
	serveStream(w replier, r *request)
}

// pingStream is a decoded ping request waiting to run.
type pingStream struct {
	s   *Server
	req api.PingRequest
}

func (s *Server) ping(_ string, body json.RawMessage) (any, error) {
	if len(body) == 0 {
		return nil, api.Errorf(syscall.EINVAL, "ping needs a request")
	}
	var req api.PingRequest
	if err := json.Unmarshal(body, &req); err != nil {
		return nil, api.Errorf(syscall.EINVAL, "ping request: "+err.Error())
	}
	return &pingStream{s: s, req: req}, nil
}

// serveStream runs the ping. As ping(8) does for users other than root,
// it refuses intervals under a second to peers that may not change the
// kernel.
func (p *pingStream) serveStream(w replier, r *request) {
	if p.req.Interval != 0 && p.req.Interval < 1 && !p.s.mayChange(r) {
		writeError(w, api.Errorf(syscall.EPERM, "only root and the server's owner may ping more than once a second"))
		return
	}
	var enc *json.Encoder
	err := p.s.k.Ping(r.ctx, p.req, func(ev api.PingEvent) {
		if enc == nil {
			enc = json.NewEncoder(w.stream(http1.StatusOK, api.PingContentType))
		}
		// Encode writes each event at once, in one write. A failed write
		// means the client has gone; the request's context is cancelled
		// and the run ends.
		enc.Encode(ev)
	})
	if err != nil && enc == nil {
		writeError(w, err)
	}
}
