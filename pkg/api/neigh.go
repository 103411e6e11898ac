package api

// Neighbour caches: net.inet.arp.table (ARP) and net.inet6.nd6.table (NDP)
// list the kernel's neighbour entries; create adds a static entry and
// destroy removes one, or every entry of the family when the body names no
// address, as arp(8) and ndp(8) do through the routing socket.

// Neighbour cache node names.
const (
	NodeARPTable = "net.inet.arp.table"
	NodeND6Table = "net.inet6.nd6.table"
)

// NeighborNode returns the neighbour cache node of a family (4 or 6).
func NeighborNode(family int) string {
	if family == 6 {
		return NodeND6Table
	}
	return NodeARPTable
}

// Neighbour states (Neighbor.State), RFC 4861's names plus static.
const (
	NeighborIncomplete  = "incomplete"
	NeighborReachable   = "reachable"
	NeighborStale       = "stale"
	NeighborDelay       = "delay"
	NeighborProbe       = "probe"
	NeighborUnreachable = "unreachable"
	NeighborStatic      = "static"
	NeighborUnknown     = "unknown"
)

// NeighborTempSeconds is how long a temporary static entry (arp -s ...
// temp) lives: NetBSD's 20 minutes.
const NeighborTempSeconds = 20 * 60

// Neighbor is one neighbour cache entry, and the body of create and
// destroy on a neighbour cache node.
type Neighbor struct {
	// Addr is the neighbour's address, "10.0.0.1" or "fe80::1" (no zone:
	// Interface names the link).
	Addr string `json:"addr"`
	// LinkAddr is its MAC address, "52:54:00:12:34:56"; "" while the
	// entry is incomplete.
	LinkAddr string `json:"lladdr,omitempty"`
	// Interface is the interface the entry belongs to. In requests it is
	// optional: the kernel picks the interface whose link has Addr.
	Interface string `json:"interface,omitempty"`
	// Index is the interface's index (replies only).
	Index int `json:"index,omitempty"`
	// State is one of the Neighbor* states (replies only).
	State string `json:"state,omitempty"`
	// Expire is the number of seconds until the entry's state times out;
	// 0 when it has (or never will, for permanent entries).
	Expire int `json:"expire,omitempty"`
	// Permanent marks a static entry that never expires.
	Permanent bool `json:"permanent,omitempty"`
	// Temp, in a create request, makes a static entry that is removed
	// after NeighborTempSeconds.
	Temp bool `json:"temp,omitempty"`
	// Published marks a proxy ARP entry (arp -s ... pub): the kernel
	// answers ARP requests for Addr on Interface with LinkAddr. It is not
	// used to reach Addr (NetBSD's "published (proxy only)").
	Published bool `json:"published,omitempty"`
	// Local marks the entry of one of the interface's own addresses
	// (replies only, inet6): ndp lists it; routing tables show the
	// address as a local route instead.
	Local bool `json:"local,omitempty"`
}
