package ctlserver

// POST /v1/traceroute: the kernel traces the route to a destination and
// the reply is a stream of events, one JSON object per line, flushed as
// each probe is answered or times out, as the ping stream is. A request
// the kernel refuses before its first event gets the usual error reply.

import (
	"encoding/json"
	"syscall"

	"github.com/rumpnet/rumpnet/pkg/api"
	"github.com/rumpnet/rumpnet/pkg/http1"
)

// traceStream is a decoded traceroute request waiting to run.
type traceStream struct {
	s   *Server
	req api.TracerouteRequest
}

func (s *Server) traceroute(_ string, body json.RawMessage) (any, error) {
	if len(body) == 0 {
		return nil, api.Errorf(syscall.EINVAL, "traceroute needs a request")
	}
	var req api.TracerouteRequest
	if err := json.Unmarshal(body, &req); err != nil {
		return nil, api.Errorf(syscall.EINVAL, "traceroute request: "+err.Error())
	}
	return &traceStream{s: s, req: req}, nil
}

// serveStream runs the trace on the request's goroutine until it ends or
// the client goes away.
func (p *traceStream) serveStream(w replier, r *request) {
	var enc *json.Encoder
	err := p.s.k.Traceroute(r.ctx, p.req, func(ev api.TracerouteEvent) {
		if enc == nil {
			enc = json.NewEncoder(w.stream(http1.StatusOK, api.PingContentType))
		}
		enc.Encode(ev) // a failed write cancels r.ctx, which ends the run
	})
	if err != nil && enc == nil {
		writeError(w, err)
	}
}
