package api

// The socket session (doc/sockets.md): a control connection upgraded to
// JSON lines, with descriptors passed as SCM_RIGHTS.

const (
	// SocketPath is the request that opens a socket session.
	SocketSessionPath = PathPrefix + "socket"
	// SocketUpgrade is the protocol named in the session's Upgrade field.
	SocketUpgrade = "rumpnet-socket"
	// MaxSocketMessage bounds one message of a session, its newline
	// included.
	MaxSocketMessage = 4 << 10
	// MaxSessionSockets is the most sockets one session holds at once;
	// EMFILE beyond.
	MaxSessionSockets = 4096
)

// Socket types of a session.
const (
	SockStream = "stream" // TCP
	SockDgram  = "dgram"  // UDP
	SockICMP   = "icmp"   // ICMP echo, as Linux's ping sockets
)

// Session operations.
const (
	SockOpSocket      = "socket"
	SockOpBind        = "bind"
	SockOpListen      = "listen"
	SockOpConnect     = "connect"
	SockOpAccept      = "accept"
	SockOpGetsockname = "getsockname"
	SockOpGetpeername = "getpeername"
	SockOpSetsockopt  = "setsockopt"
	SockOpGetsockopt  = "getsockopt"
	SockOpShutdown    = "shutdown"
	SockOpClose       = "close"
	// SockOpIfName and SockOpIfIndex map the kernel's interface indexes
	// and names, for a program's SIOCGIFNAME and SIOCGIFINDEX.
	SockOpIfName  = "ifname"
	SockOpIfIndex = "ifindex"
)

// SocketRequest is one request of a session. Only the fields its op uses
// are set.
type SocketRequest struct {
	ID      uint64 `json:"id"`
	Op      string `json:"op"`
	Sock    int    `json:"sock,omitempty"`
	Family  int    `json:"family,omitempty"`
	Type    string `json:"type,omitempty"`
	Addr    string `json:"addr,omitempty"`
	Backlog int    `json:"backlog,omitempty"`
	Wait    bool   `json:"wait,omitempty"`
	Level   int    `json:"level,omitempty"`
	Name    int    `json:"name,omitempty"`
	Value   int    `json:"value,omitempty"`
	How     int    `json:"how,omitempty"`
	IfName  string `json:"ifname,omitempty"`
	// Bytes is the value of a setsockopt whose value is not an integer
	// (TCP_CONGESTION's name, a multicast structure such as struct
	// ip_mreq); base64 in JSON.
	Bytes []byte `json:"bytes,omitempty"`
	// Fds is how many descriptors came with the request (only connect
	// takes one, the client's end of a datagram socket; others are
	// closed).
	Fds int `json:"fds,omitempty"`
}

// SocketReply is the one reply to a request, with the request's id. A
// failed request has Errno (a name, "ECONNREFUSED") and Message.
type SocketReply struct {
	ID      uint64 `json:"id"`
	Errno   string `json:"errno,omitempty"`
	Message string `json:"message,omitempty"`
	Sock    int    `json:"sock,omitempty"`
	Addr    string `json:"addr,omitempty"`
	Peer    string `json:"peer,omitempty"`
	Value   int    `json:"value,omitempty"`
	IfName  string `json:"ifname,omitempty"`
	// Bytes is the value of a getsockopt whose value is not an integer
	// (TCP_INFO, TCP_CONGESTION, IP_MULTICAST_IF); base64 in JSON.
	Bytes []byte `json:"bytes,omitempty"`
	// Fds is how many descriptors came with the reply, in SCM_RIGHTS.
	Fds int `json:"fds,omitempty"`
}
