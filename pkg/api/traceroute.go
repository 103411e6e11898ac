package api

// TraceroutePath is the request that makes the kernel trace the route to
// a destination, as traceroute(8) and traceroute6(8) do. Its reply is a
// stream of TracerouteEvent values, one JSON object per line
// (PingContentType).
const TraceroutePath = PathPrefix + "traceroute"

// TracerouteRequest asks the kernel to send probes with growing TTLs (IPv6
// hop limits) from its own stack and to report who answers each. Zero
// values choose NetBSD's defaults.
type TracerouteRequest struct {
	// Dst is the destination, numeric; an IPv6 link-local address may
	// carry its interface as a zone.
	Dst string `json:"dst"`
	// Src is the source address, one of the kernel's own; "" lets the
	// kernel choose.
	Src string `json:"src,omitempty"`
	// FirstTTL is the TTL of the first probes, 1 if 0.
	FirstTTL int `json:"first_ttl,omitempty"`
	// MaxTTL is the TTL of the last probes, the kernel's default TTL
	// (net.inet.ip.ttl, 64) if 0.
	MaxTTL int `json:"max_ttl,omitempty"`
	// Probes is the number of probes per TTL, 3 if 0.
	Probes int `json:"probes,omitempty"`
	// Wait is how long to wait for the answer to a probe, in seconds, 5 if 0.
	Wait float64 `json:"wait,omitempty"`
	// Port is the base UDP destination port, 33434 if 0: probe n (from 1)
	// goes to Port+n.
	Port int `json:"port,omitempty"`
	// ICMP sends ICMP (ICMPv6) echo requests instead of UDP datagrams.
	ICMP bool `json:"icmp,omitempty"`
}

// The types of TracerouteEvent: one start, a probe for every probe sent,
// and an end.
const (
	TracerouteStart = "start"
	TracerouteProbe = "probe"
	TracerouteEnd   = "end"
)

// TracerouteEvent is one line of the stream POST /v1/traceroute answers
// with.
type TracerouteEvent struct {
	Type string `json:"type"`
	// Src and Dst (start) are the source the kernel chose and the
	// destination; MaxTTL (start) the last TTL the run may use.
	Src    string `json:"src,omitempty"`
	Dst    string `json:"dst,omitempty"`
	MaxTTL int    `json:"max_ttl,omitempty"`
	// TTL and Probe (probe) are the probe's TTL and its number at that
	// TTL, from 0.
	TTL   int `json:"ttl,omitempty"`
	Probe int `json:"probe"`
	// From (probe) is who answered; "" when nothing did within Wait.
	From string `json:"from,omitempty"`
	// RTT (probe) is the time to the answer, in milliseconds.
	RTT float64 `json:"rtt,omitempty"`
	// ReplyTTL (probe) is the TTL (hop limit) the answer arrived with.
	ReplyTTL int `json:"reply_ttl,omitempty"`
	// ICMPType and ICMPCode (probe) are the answer's ICMP type and code:
	// time exceeded, destination unreachable or, for ICMP probes, echo
	// reply.
	ICMPType int `json:"icmp_type,omitempty"`
	ICMPCode int `json:"icmp_code,omitempty"`
	// MTU (probe) is the next-hop MTU a "fragmentation needed" answer
	// carries.
	MTU int `json:"mtu,omitempty"`
	// Error (start, probe) is why the route or a probe's send failed.
	Error *ErrorReply `json:"error,omitempty"`
	// Reason (end) is why the run ended: "reached" (the destination
	// answered), "unreachable" (half the probes of a TTL were refused),
	// "max_ttl" or "halt".
	Reason string `json:"reason,omitempty"`
}
