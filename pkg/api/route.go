package api

// Routing tables: the nodes net.route.inet and net.route.inet6 list a
// family's routes; create, destroy and set (PUT) on them add, delete and
// change a static route, the way route(8) does through the routing socket.

// Route node names, one per address family.
const (
	NodeRouteInet  = "net.route.inet"
	NodeRouteInet6 = "net.route.inet6"
)

// RouteNode returns the routing table node of a family (4 or 6).
func RouteNode(family int) string {
	if family == 6 {
		return NodeRouteInet6
	}
	return NodeRouteInet
}

// NetBSD route flag bits (net/route.h RTF_*).
const (
	RTF_UP        = 0x1
	RTF_GATEWAY   = 0x2
	RTF_HOST      = 0x4
	RTF_REJECT    = 0x8
	RTF_DYNAMIC   = 0x10
	RTF_MODIFIED  = 0x20
	RTF_DONE      = 0x40
	RTF_MASK      = 0x80
	RTF_CONNECTED = 0x100
	RTF_XRESOLVE  = 0x200
	RTF_LLDATA    = 0x400
	RTF_STATIC    = 0x800
	RTF_BLACKHOLE = 0x1000
	RTF_PROTO2    = 0x4000
	RTF_PROTO1    = 0x8000
	RTF_SRC       = 0x10000
	RTF_ANNOUNCE  = 0x20000
	RTF_LOCAL     = 0x40000
	RTF_BROADCAST = 0x80000
)

// Route is one entry of a routing table, and the body of create, destroy
// and set on a routing table node.
type Route struct {
	// Dest is the destination prefix, "10.1.0.0/16", "0.0.0.0/0",
	// "fc00:1::/64"; a host route has the full length. In requests the
	// host bits are cleared.
	Dest string `json:"dest"`
	// Gateway is the next hop (with RTF_GATEWAY), or for a route straight
	// to an interface's link the interface's address it was given by, ""
	// for none. An IPv6 link-local gateway has no zone: Interface names it.
	Gateway string `json:"gateway,omitempty"`
	// Interface is the output interface. In requests it is optional: the
	// kernel picks the interface whose link the gateway is on.
	Interface string `json:"interface,omitempty"`
	// Index is the output interface's index (replies only); for a local
	// route, Link's index, shown as the gateway link#N.
	Index int `json:"index,omitempty"`
	// Link is, for a local route (RTF_LOCAL), the interface whose address
	// the destination is: the zone of a link-local one (replies only).
	Link string `json:"link,omitempty"`
	// Flags are RTF_* bits. In requests only RTF_GATEWAY (a route via
	// Gateway rather than to the interface that has Gateway as its
	// address), RTF_HOST, RTF_STATIC, RTF_REJECT, RTF_BLACKHOLE,
	// RTF_CONNECTED and RTF_ANNOUNCE (-proxy) are looked at; a change
	// sets the RTF_REJECT, RTF_BLACKHOLE, RTF_STATIC and RTF_ANNOUNCE
	// bits given.
	Flags int `json:"flags"`
	// FlagsClear are the RTF_REJECT and RTF_BLACKHOLE bits a change
	// clears (-noreject, -noblackhole); requests only.
	FlagsClear int `json:"flags_clear,omitempty"`
	// Ifa is the source address of packets over the route (-ifa), ""
	// for the kernel's choice. In requests it also picks the interface
	// when Interface is empty; with Interface, an address not the
	// kernel's stands for that interface's address nearest to it.
	Ifa string `json:"ifa,omitempty"`
	// MTU is the route's MTU, 0 for the interface's.
	MTU int `json:"mtu,omitempty"`
}
