package ctlserver

import (
	"context"
	"net/http"
)

// withPeerForTest marks a request as coming from uid.
func withPeerForTest(r *http.Request, uid int) context.Context {
	return context.WithValue(r.Context(), peerKey{}, peer{uid: uid, known: true})
}
