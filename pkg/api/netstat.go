package api

// What netstat(1) shows besides routes and interfaces: the kernel's
// sockets (net.sockets) and its protocol statistics (net.stats). Both
// nodes are read-only.

// Socket and statistics node names.
const (
	NodeSockets = "net.sockets"
	NodeStats   = "net.stats"
)

// Socket is one TCP or UDP endpoint of the kernel's stack.
type Socket struct {
	Proto  string `json:"proto"`  // "tcp" or "udp"
	Family int    `json:"family"` // 4 or 6
	// LocalAddr and ForeignAddr are "" when unspecified (a wildcard);
	// the ports are 0 then.
	LocalAddr   string `json:"local_addr,omitempty"`
	LocalPort   int    `json:"local_port"`
	ForeignAddr string `json:"foreign_addr,omitempty"`
	ForeignPort int    `json:"foreign_port"`
	// State is the TCP state in NetBSD's words ("LISTEN", "ESTABLISHED",
	// "TIME_WAIT", ...); "" for UDP.
	State string `json:"state,omitempty"`
	// RecvQ and SendQ are the bytes waiting in the receive and send
	// queues.
	RecvQ int `json:"recv_q"`
	SendQ int `json:"send_q"`
}

// NetStats are the kernel's protocol counters, named after NetBSD's
// (netinet/*_var.h). Counters the stack does not keep are absent.
type NetStats struct {
	IP    IPStats   `json:"ip"`
	IP6   IPStats   `json:"ip6"`
	ICMP  ICMPStats `json:"icmp"`
	ICMP6 ICMPStats `json:"icmp6"`
	TCP   TCPStats  `json:"tcp"`
	UDP   UDPStats  `json:"udp"`
	ARP   ARPStats  `json:"arp"`
}

// IPStats count IPv4 or IPv6 packets.
type IPStats struct {
	Total       uint64 `json:"total"`       // packets received
	BadFrags    uint64 `json:"badfrags"`    // malformed fragments dropped
	Delivered   uint64 `json:"delivered"`   // packets for this host
	Forwarded   uint64 `json:"forward"`     // packets forwarded
	CantForward uint64 `json:"cantforward"` // packets not forwardable
	LocalOut    uint64 `json:"localout"`    // packets sent
	ODropped    uint64 `json:"odropped"`    // output packets dropped by errors
	NoRoute     uint64 `json:"noroute"`     // packets discarded for lack of a route
	CantFrag    uint64 `json:"cantfrag"`    // packets too big to forward that may not be fragmented
	BadAddr     uint64 `json:"badaddr"`     // IPv4: datagrams with a bad address in the header
	BadScope    uint64 `json:"badscope"`    // IPv6: packets that violated scope rules
}

// ICMPStats count ICMP or ICMPv6 messages. The histograms are indexed by
// message type and leave out types never seen.
type ICMPStats struct {
	Error       uint64         `json:"error"`   // error messages the kernel had to generate
	RateLimited uint64         `json:"toofreq"` // of those, not sent because of the rate limit
	OutHist     map[int]uint64 `json:"outhist"` // messages sent, by type
	InHist      map[int]uint64 `json:"inhist"`  // messages received, by type
	BadLen      uint64         `json:"badlen"`  // malformed messages received
	Reflect     uint64         `json:"reflect"` // responses generated (echo and timestamp replies)
}

// TCPStats count TCP segments and connections.
type TCPStats struct {
	SndTotal    uint64 `json:"sndtotal"`    // segments sent
	SndRexmit   uint64 `json:"sndrexmit"`   // of those, data segments retransmitted
	RcvTotal    uint64 `json:"rcvtotal"`    // segments received
	RcvBadSum   uint64 `json:"rcvbadsum"`   // segments with a bad checksum
	ConnAttempt uint64 `json:"connattempt"` // connections initiated
	Accepts     uint64 `json:"accepts"`     // connections accepted
	Connects    uint64 `json:"connects"`    // connections established
	Closed      uint64 `json:"closed"`      // established connections closed
	Drops       uint64 `json:"drops"`       // of those, reset or timed out
	ConnDrops   uint64 `json:"conndrops"`   // connection attempts that failed
	RexmtTimeo  uint64 `json:"rexmttimeo"`  // retransmit timeouts
	TimeoutDrop uint64 `json:"timeoutdrop"` // connections dropped by retransmit timeout
}

// UDPStats count UDP datagrams.
type UDPStats struct {
	IPackets uint64 `json:"ipackets"` // datagrams received
	HdrOps   uint64 `json:"hdrops"`   // with an incomplete header
	BadSum   uint64 `json:"badsum"`   // with a bad checksum
	NoPort   uint64 `json:"noport"`   // dropped for lack of a socket
	FullSock uint64 `json:"fullsock"` // dropped for full socket buffers
	OPackets uint64 `json:"opackets"` // datagrams sent
}

// ARPStats count ARP packets.
type ARPStats struct {
	SndTotal   uint64 `json:"sndtotal"`   // packets sent
	SndReply   uint64 `json:"sndreply"`   // of those, replies
	SndRequest uint64 `json:"sndrequest"` // of those, requests
	RcvTotal   uint64 `json:"rcvtotal"`   // packets received
	RcvReply   uint64 `json:"rcvreply"`   // of those, replies
	RcvRequest uint64 `json:"rcvrequest"` // of those, valid requests
	RcvBadLen  uint64 `json:"rcvbadlen"`  // of those, malformed
}
