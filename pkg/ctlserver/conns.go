package ctlserver

// Connection limits. Anyone who can connect to the socket (any uid, once it
// is made world-writable) could otherwise open connections until the server
// runs out of descriptors or memory, and lock out the kernel's owner. So the
// server holds at most maxConns connections; of those, reservedConns are
// kept for root and the server's own uid (the peers that may change the
// kernel), and any other uid may hold at most maxConnsPerUID. A connection
// over a limit is answered at once with 503 and errno EAGAIN and closed,
// from the accept loop, so that a flood costs the server a descriptor for
// a moment and no goroutine or buffer.

import (
	"bytes"
	"encoding/json"
	"net"
	"strconv"
	"syscall"
	"time"

	"github.com/rumpnet/rumpnet/pkg/api"
)

// The connection limits. They are variables so that tests can lower them; a
// server takes their values when it is made.
var (
	maxConns       = 256
	reservedConns  = 32
	maxConnsPerUID = 32
)

// refuseTimeout bounds the write of a refusal. The socket is new and its
// buffer empty, so the write does not wait in practice.
const refuseTimeout = 100 * time.Millisecond

// limits is a server's connection limits.
type limits struct {
	total, reserved, perUID int
}

// privileged reports whether p may change the kernel and use the reserved
// connections: root or the server's own uid.
func (s *Server) privileged(p peer) bool {
	return p.known && (p.uid == 0 || p.uid == s.uid)
}

// uidKey is the key of p in the per-uid counts: its uid, or -1 when unknown.
func uidKey(p peer) int {
	if !p.known {
		return -1
	}
	return p.uid
}

// admitLocked reports whether a connection from p fits within the limits.
func (s *Server) admitLocked(p peer) bool {
	if s.privileged(p) {
		return len(s.conns) < s.limits.total
	}
	return len(s.conns) < s.limits.total-s.limits.reserved &&
		s.perUID[uidKey(p)] < s.limits.perUID
}

// refuseConn answers a connection over the limits and closes it.
func refuseConn(nc net.Conn) {
	reply := api.ErrorReply{Errno: api.ErrnoName(syscall.EAGAIN), Code: int(syscall.EAGAIN),
		Message: api.Strerror(syscall.EAGAIN), Detail: "too many control connections"}
	var body bytes.Buffer
	json.NewEncoder(&body).Encode(reply)
	nc.SetWriteDeadline(time.Now().Add(refuseTimeout))
	nc.Write([]byte("HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n" +
		"Content-Length: " + strconv.Itoa(body.Len()) + "\r\nConnection: close\r\n\r\n" + body.String()))
	nc.Close()
}
