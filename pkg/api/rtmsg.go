package api

// Routing messages and multicast memberships.
//
// GET RouteMonitorPath is a long-lived reply: one RouteMessage per line
// (PingContentType), sent as the kernel changes routes, addresses,
// interfaces and neighbour entries, the way NetBSD's routing socket
// delivers them to route monitor. Each watcher has a bounded queue; when a
// watcher falls behind, messages are dropped for it (never held back for
// the kernel) and the next message it gets says how many in Dropped.
//
// GET MulticastPath lists every interface's multicast memberships
// (ifmcstat(8)).

// RouteMonitorPath is the request that streams routing messages.
const RouteMonitorPath = PathPrefix + "route/monitor"

// MulticastPath is the request that lists multicast memberships.
const MulticastPath = PathPrefix + "multicast"

// Routing message types (NetBSD net/route.h RTM_*).
const (
	RTM_ADD        = 0x1
	RTM_DELETE     = 0x2
	RTM_CHANGE     = 0x3
	RTM_GET        = 0x4
	RTM_MISS       = 0x7
	RTM_IFANNOUNCE = 0x10
	RTM_IFINFO     = 0x14
	RTM_NEWADDR    = 0x16
	RTM_DELADDR    = 0x17
)

// What an RTM_IFANNOUNCE message announces (RouteMessage.What).
const (
	IfArrival   = "arrival"
	IfDeparture = "departure"
)

// RTF_CLONED marks a route cloned from another, as a neighbour entry is
// (NetBSD RTF_CLONED).
const RTF_CLONED = 0x2000

// Address bits of a routing message (NetBSD RTA_*), in the order the
// addresses follow the header.
const (
	RTA_DST     = 0x1
	RTA_GATEWAY = 0x2
	RTA_NETMASK = 0x4
	RTA_GENMASK = 0x8
	RTA_IFP     = 0x10
	RTA_IFA     = 0x20
	RTA_AUTHOR  = 0x40
	RTA_BRD     = 0x80
)

// RouteMessage is one routing message.
type RouteMessage struct {
	// Type is an RTM_* value.
	Type int `json:"type"`
	// Flags are RTF_* bits for route and address messages, IFF_* bits
	// for RTM_IFINFO.
	Flags int `json:"flags"`
	// Index is the interface's index.
	Index int `json:"index,omitempty"`
	// LinkState is RTM_IFINFO's carrier: "up", "down" or "unknown".
	LinkState string `json:"link_state,omitempty"`
	// What is RTM_IFANNOUNCE's event: IfArrival or IfDeparture.
	What string `json:"what,omitempty"`
	// The addresses, "" for none. Dst, Gateway, IFA and Brd are numeric
	// addresses; a link-layer gateway is a MAC address, or "link#N" when
	// it has none yet; Netmask is a mask in address form
	// ("255.255.255.0", "ffff:ffff:ffff:ffff::"); IFP is an interface
	// name.
	Dst     string `json:"dst,omitempty"`
	Gateway string `json:"gateway,omitempty"`
	Netmask string `json:"netmask,omitempty"`
	IFP     string `json:"ifp,omitempty"`
	IFA     string `json:"ifa,omitempty"`
	Brd     string `json:"brd,omitempty"`
	// Dropped is how many messages this watcher lost, because it read
	// too slowly, just before this one.
	Dropped int `json:"dropped,omitempty"`
}

// Addrs returns the message's RTA_* bits: which addresses it carries.
func (m RouteMessage) Addrs() int {
	var a int
	for _, f := range []struct {
		s   string
		bit int
	}{{m.Dst, RTA_DST}, {m.Gateway, RTA_GATEWAY}, {m.Netmask, RTA_NETMASK},
		{m.IFP, RTA_IFP}, {m.IFA, RTA_IFA}, {m.Brd, RTA_BRD}} {
		if f.s != "" {
			a |= f.bit
		}
	}
	return a
}

// Multicast is one interface's multicast memberships, the reply of
// MulticastPath being a list of them in interface order.
type Multicast struct {
	Interface string `json:"interface"`
	// LinkAddr is the interface's MAC address, "" for one without.
	LinkAddr string `json:"link_addr,omitempty"`
	// Addrs are the interface's addresses, each with the groups joined
	// on the interface for its family (IPv6 link-local groups carry the
	// interface as zone).
	Addrs []MulticastAddr `json:"addrs,omitempty"`
	// Link are the link-layer multicast addresses the interface takes
	// in, each with the number of groups that map to it.
	Link []LinkGroup `json:"link,omitempty"`
}

// MulticastAddr is an address of an interface and its family's groups.
type MulticastAddr struct {
	Addr   string           `json:"addr"`
	Groups []MulticastGroup `json:"groups,omitempty"`
}

// MulticastGroup is one joined group.
type MulticastGroup struct {
	Group  string `json:"group"`
	Refcnt int    `json:"refcnt"`
}

// LinkGroup is one link-layer multicast address.
type LinkGroup struct {
	Addr   string `json:"addr"`
	Refcnt int    `json:"refcnt"`
}
