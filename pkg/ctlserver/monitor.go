package ctlserver

// GET /v1/route/monitor: the kernel's routing messages, one JSON object
// per line, flushed as each comes, for as long as the client stays. The
// kernel never waits for the client: a watcher that falls behind loses
// messages and the next one it gets says how many (pkg/rump rtmsg.go).
//
// GET /v1/multicast: every interface's multicast memberships.

import (
	"encoding/json"

	"github.com/rumpnet/rumpnet/pkg/api"
	"github.com/rumpnet/rumpnet/pkg/http1"
)

// monitorStream is a routing-message stream waiting to start.
type monitorStream struct{ s *Server }

func (s *Server) routeMonitor(string, json.RawMessage) (any, error) {
	return &monitorStream{s: s}, nil
}

// serveStream sends messages until the client goes away (the request's
// context ends) or a write fails.
func (m *monitorStream) serveStream(w replier, r *request) {
	watch := m.s.k.WatchRoutes()
	defer watch.Close()
	enc := json.NewEncoder(w.stream(http1.StatusOK, api.PingContentType))
	for {
		msg, err := watch.Next(r.ctx)
		if err != nil {
			return
		}
		if enc.Encode(msg) != nil {
			return
		}
	}
}

func (s *Server) multicast(string, json.RawMessage) (any, error) {
	return s.k.Multicast(), nil
}
