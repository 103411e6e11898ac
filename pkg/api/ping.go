package api

import (
	"syscall"
	"time"
)

// PingPath is the request that makes the kernel send echo requests. Its
// reply is a stream of PingEvent values, one JSON object per line.
const PingPath = PathPrefix + "ping"

// PingContentType is the media type of the event stream: newline-delimited
// JSON.
const PingContentType = "application/x-ndjson"

// PingRequest asks the kernel to send ICMP (or, for an IPv6 destination,
// ICMPv6) echo requests from its own stack, as ping(8) and ping6(8) do.
// Times are in seconds; zero values choose the defaults.
type PingRequest struct {
	// Dst is the address to ping, numeric; an IPv6 link-local address may
	// carry its interface as a zone ("fe80::1%virt0").
	Dst string `json:"dst"`
	// Src is the source address, one of the kernel's own; "" lets the
	// kernel choose.
	Src string `json:"src,omitempty"`
	// Interface sends through this interface only; without Src, its
	// first usable address of the family is the source.
	Interface string `json:"interface,omitempty"`
	// Count is how many requests to send; 0 sends until Deadline or until
	// the client goes away.
	Count int `json:"count,omitempty"`
	// Interval is the time between requests, 1 second if 0.
	Interval float64 `json:"interval,omitempty"`
	// Size is the number of data bytes after the 8-byte ICMP header.
	Size int `json:"size"`
	// TTL is the IPv4 time-to-live or IPv6 hop limit, 1..255; 0 is the
	// kernel's default.
	TTL int `json:"ttl,omitempty"`
	// TOS is the IPv4 type-of-service byte.
	TOS int `json:"tos,omitempty"`
	// Deadline ends the run this long after it starts, whatever has been
	// sent or received; 0 is no deadline.
	Deadline float64 `json:"deadline,omitempty"`
	// Wait is how long to wait for replies after the last request; 0 is
	// NetBSD ping's rule: twice the longest round trip seen, at least ten
	// intervals.
	Wait float64 `json:"wait,omitempty"`
	// AllICMP reports every ICMP message the kernel receives during the
	// run (echo replies to others aside), as ping -v shows them; without
	// it only errors that quote one of the run's requests are reported.
	AllICMP bool `json:"all_icmp,omitempty"`
	// RecordRoute (IPv4) puts a record route option in the requests, as
	// ping -R does; replies report the route they carry in Options.
	RecordRoute bool `json:"record_route,omitempty"`
	// DontFragment (IPv4) sets the don't-fragment bit in the requests, as
	// ping -D does: a request bigger than the outgoing interface's MTU is
	// not sent, its sent event failing with EMSGSIZE.
	DontFragment bool `json:"dont_fragment,omitempty"`
	// SourceRoute (IPv4) sends the requests to this gateway with a loose
	// source route option naming Dst, as ping -g does.
	SourceRoute string `json:"source_route,omitempty"`
	// NextHop (IPv6) sends the requests through this neighbour, as
	// ping6 -g does with IPV6_NEXTHOP. The kernel refuses it with
	// EOPNOTSUPP: gVisor chooses the next hop from the routing table only.
	NextHop string `json:"next_hop,omitempty"`
	// NodeInfo (IPv6) sends ICMPv6 node information queries for the
	// destination's name (RFC 4620) instead of echo requests, as
	// ping6 -w does; a reply event then carries the reply message in
	// ICMP.
	NodeInfo bool `json:"node_info,omitempty"`
}

// The types of PingEvent, in the order a run produces them: one start,
// a sent for every request (each followed by its replies, if any), and an
// end.
const (
	PingStart = "start"
	PingSent  = "sent"
	PingReply = "reply"
	PingICMP  = "icmp"
	PingEnd   = "end"
)

// Why a run ended (PingEvent.Reason).
const (
	PingEndCount    = "count"    // every request was sent and answered, or the wait ran out
	PingEndDeadline = "deadline" // Deadline passed
	PingEndHalt     = "halt"     // the kernel was halted
)

// PingEvent is one line of the stream POST /v1/ping answers with.
type PingEvent struct {
	Type string `json:"type"`
	// Seq is the ICMP sequence number of a sent or reply event.
	Seq int `json:"seq"`
	// Src and Dst (start) are the source address the kernel chose and the
	// destination; Src is "" when there is no route, and Error says why.
	Src string `json:"src,omitempty"`
	Dst string `json:"dst,omitempty"`
	// Ident (start) is the ICMP identifier of the run's requests.
	Ident int `json:"ident,omitempty"`
	// From (reply) is the address the reply came from, with the interface
	// as zone for IPv6 link-local addresses.
	From string `json:"from,omitempty"`
	// Bytes (reply) is the length of the ICMP message, header included.
	Bytes int `json:"bytes,omitempty"`
	// TTL (reply) is the reply's IPv4 TTL or IPv6 hop limit.
	TTL int `json:"ttl,omitempty"`
	// RTT (reply) is the round-trip time in milliseconds; 0 when the
	// request had no room (8 data bytes) for its timestamp.
	RTT float64 `json:"rtt,omitempty"`
	// ICMP (icmp) is an ICMP or ICMPv6 message (and, for a NodeInfo run,
	// the node information reply of a reply event) other than an echo reply
	// to the run, from its header on: an error that quotes one of the
	// run's requests or, with AllICMP, any other. Bytes is its length,
	// From its sender, TTL the hop limit it arrived with.
	ICMP []byte `json:"icmp,omitempty"`
	// Mine (icmp) says the message quotes one of the run's requests; Seq
	// is then that request's sequence number.
	Mine bool `json:"mine,omitempty"`
	// Options (reply) are the IP options the reply carries, for a run
	// with RecordRoute or SourceRoute.
	Options []byte `json:"options,omitempty"`
	// Reason (end) is why the run ended: PingEndCount, PingEndDeadline or
	// PingEndHalt.
	Reason string `json:"reason,omitempty"`
	// Error is the failure of a start (no route) or of a sent event (the
	// request could not be sent; it still counts as transmitted).
	Error *ErrorReply `json:"error,omitempty"`
}

// Seconds turns one of PingRequest's times into a duration.
func Seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

// NewErrorReply describes errno e, with detail saying what failed.
func NewErrorReply(e syscall.Errno, detail string) *ErrorReply {
	return &ErrorReply{Errno: ErrnoName(e), Code: int(e), Message: Strerror(e), Detail: detail}
}

// Err turns a reply back into an *Error carrying its errno (by name, or by
// number when the name is unknown).
func (r *ErrorReply) Err() *Error {
	e, ok := ErrnoByName(r.Errno)
	if !ok {
		e = syscall.Errno(r.Code)
	}
	return Errorf(e, r.Detail)
}
