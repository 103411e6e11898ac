package http1

// Connection limits. Anyone who can connect to a socket could otherwise
// open connections until the server runs out of descriptors or memory, and
// lock out the peers that matter. So a server holds at most Limits.Total
// connections; of those, Limits.Reserved are kept for the peers its owner's
// Reserved callback names, and any other uid may hold at most
// Limits.PerUID. A connection over a limit is answered at once with 503
// and the owner's OverLimit reply, and closed, from the accept loop, so
// that a flood costs the server a descriptor for a moment and no goroutine
// or buffer.
//
// The caps live here, beside the table of connections they count, and the
// policy comes from the owner: who a peer is (PeerOf, by default
// SO_PEERCRED) and who may use the reserved connections (Reserved).

import (
	"net"
	"strconv"
	"time"

	"golang.org/x/sys/unix"
)

// Limits caps the connections of a server.
type Limits struct {
	// Total is the most connections the server holds.
	Total int
	// Reserved of them are kept for the peers Server.Reserved names.
	Reserved int
	// PerUID is the most connections any other uid may hold.
	PerUID int
}

// DefaultLimits are the limits of a server whose Limits are zero.
var DefaultLimits = Limits{Total: 256, Reserved: 32, PerUID: 32}

// refuseTimeout bounds the write of a refusal. The socket is new and its
// buffer empty, so the write does not wait in practice.
const refuseTimeout = 100 * time.Millisecond

// Peer is the credentials of the process at the other end of a connection.
type Peer struct {
	UID   int
	Known bool // false when the connection does not carry credentials
}

// PeerCred reads a Unix connection's peer credentials (SO_PEERCRED); other
// connections have an unknown peer.
func PeerCred(c net.Conn) Peer {
	p := Peer{}
	if uc, ok := c.(*net.UnixConn); ok {
		if raw, err := uc.SyscallConn(); err == nil {
			raw.Control(func(fd uintptr) {
				if cred, err := unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED); err == nil {
					p = Peer{UID: int(cred.Uid), Known: true}
				}
			})
		}
	}
	return p
}

// uidKey is the key of p in the per-uid counts: its uid, or -1 when unknown.
func uidKey(p Peer) int {
	if !p.Known {
		return -1
	}
	return p.UID
}

// limits returns the server's limits, the defaults filling zero fields.
func (s *Server) limits() Limits {
	l := s.Limits
	if l.Total == 0 {
		l.Total = DefaultLimits.Total
	}
	if l.Reserved == 0 {
		l.Reserved = DefaultLimits.Reserved
	}
	if l.PerUID == 0 {
		l.PerUID = DefaultLimits.PerUID
	}
	return l
}

// admitLocked reports whether a connection from p fits within the limits.
func (s *Server) admitLocked(p Peer) bool {
	l := s.limits()
	if s.Reserved != nil && s.Reserved(p) {
		return len(s.conns) < l.Total
	}
	return len(s.conns) < l.Total-l.Reserved && s.perUID[uidKey(p)] < l.PerUID
}

// refuseConn answers a connection over the limits and closes it.
func (s *Server) refuseConn(nc net.Conn) {
	ct := s.OverLimit.ContentType
	if ct == "" {
		ct = plainContentType
	}
	body := s.OverLimit.Body
	if body == nil {
		body = []byte("503 Service Unavailable: too many connections\n")
	}
	nc.SetWriteDeadline(time.Now().Add(refuseTimeout))
	nc.Write([]byte("HTTP/1.1 503 Service Unavailable\r\nContent-Type: " + ct + "\r\n" +
		"Content-Length: " + strconv.Itoa(len(body)) + "\r\nConnection: close\r\n\r\n" + string(body)))
	nc.Close()
}
