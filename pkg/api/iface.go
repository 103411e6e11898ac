package api

// Tree names the tools use. Interface leaves live under LinkPrefix + name.
const (
	LinkPrefix        = "net.link."
	NodeIPForwarding  = "net.inet.ip.forwarding"
	NodeIP6Forwarding = "net.inet6.ip6.forwarding"
	NodeHostname      = "kern.hostname"
)

// Interface leaf names, appended to LinkPrefix + ifname + ".".
const (
	LeafIndex     = "index"
	LeafKind      = "kind"
	LeafFlags     = "flags"
	LeafMTU       = "mtu"
	LeafMetric    = "metric"
	LeafAddress   = "address"
	LeafLinkstr   = "linkstr"
	LeafLinkState = "link_state"
	LeafMedia     = "media"
	LeafStats     = "stats"
	LeafInet      = "inet"
	LeafInet6     = "inet6"
	LeafLink      = "link"
	LeafCaps      = "capabilities"
	LeafCapEnable = "capenable"
	LeafVlan      = "vlan"
	LeafTunnel    = "tunnel"
)

// NetBSD interface flag bits (net/if.h).
const (
	IFF_UP          = 0x0001
	IFF_BROADCAST   = 0x0002
	IFF_DEBUG       = 0x0004
	IFF_LOOPBACK    = 0x0008
	IFF_POINTOPOINT = 0x0010
	IFF_NOTRAILERS  = 0x0020
	IFF_RUNNING     = 0x0040
	IFF_NOARP       = 0x0080
	IFF_PROMISC     = 0x0100
	IFF_ALLMULTI    = 0x0200
	IFF_OACTIVE     = 0x0400
	IFF_SIMPLEX     = 0x0800
	IFF_LINK0       = 0x1000
	IFF_LINK1       = 0x2000
	IFF_LINK2       = 0x4000
	IFF_MULTICAST   = 0x8000
)

// IFF_CANTCHANGE are the bits only the kernel sets; a flags write keeps
// their current values whatever the request says.
const IFF_CANTCHANGE = IFF_BROADCAST | IFF_POINTOPOINT | IFF_RUNNING |
	IFF_OACTIVE | IFF_SIMPLEX | IFF_MULTICAST | IFF_LOOPBACK | IFF_PROMISC

// IfFlagNames are the names of the interface flag bits, bit 0 first.
var IfFlagNames = []string{"UP", "BROADCAST", "DEBUG", "LOOPBACK",
	"POINTOPOINT", "NOTRAILERS", "RUNNING", "NOARP", "PROMISC", "ALLMULTI",
	"OACTIVE", "SIMPLEX", "LINK0", "LINK1", "LINK2", "MULTICAST"}

// Per-address flags for inet (netinet/in_var.h).
const (
	IN_IFF_TENTATIVE    = 0x01
	IN_IFF_DUPLICATED   = 0x02
	IN_IFF_DETACHED     = 0x04
	IN_IFF_TRYTENTATIVE = 0x08
)

// InFlagNames names the inet address flag bits, bit 0 first.
var InFlagNames = []string{"TENTATIVE", "DUPLICATED", "DETACHED", "TRYTENTATIVE"}

// Per-address flags for inet6 (netinet6/in6_var.h).
const (
	IN6_IFF_ANYCAST    = 0x01
	IN6_IFF_TENTATIVE  = 0x02
	IN6_IFF_DUPLICATED = 0x04
	IN6_IFF_DETACHED   = 0x08
	IN6_IFF_DEPRECATED = 0x10
	IN6_IFF_NODAD      = 0x20
	IN6_IFF_AUTOCONF   = 0x40
	IN6_IFF_TEMPORARY  = 0x80
)

// In6FlagNames names the inet6 address flag bits, bit 0 first.
var In6FlagNames = []string{"ANYCAST", "TENTATIVE", "DUPLICATED", "DETACHED",
	"DEPRECATED", "NODAD", "AUTOCONF", "TEMPORARY"}

// Link states, as the link_state leaf reports them.
const (
	// The media subtypes an interface with media takes (Interface.Media).
	MediaAuto = "autoselect"
	MediaNone = "none"

	LinkStateUnknown = "unknown"
	LinkStateUp      = "up"
	LinkStateDown    = "down"
)

// IfAddr is one address of an interface, as listed in the inet and inet6
// leaves and as the body of create/destroy on them.
type IfAddr struct {
	// Addr is the address with its prefix length, "10.0.0.2/24" or
	// "fe80::1/64" (no zone).
	Addr string `json:"addr"`
	// Broadcast is the inet broadcast address, "" for none.
	Broadcast string `json:"broadcast,omitempty"`
	// Dest is the destination of a point-to-point link, "" for none.
	Dest string `json:"dest,omitempty"`
	// Flags are the IN_IFF_* or IN6_IFF_* bits.
	Flags int `json:"flags"`
	// Replace, in a create request only, names an address of the same
	// family that the new one replaces in one step ("" adds).
	Replace string `json:"replace,omitempty"`
	// Pltime and Vltime are an inet6 address's preferred and valid
	// lifetimes in seconds, counted from when they were set; nil is
	// infinite. In replies they are the seconds left.
	Pltime *uint32 `json:"pltime,omitempty"`
	Vltime *uint32 `json:"vltime,omitempty"`
	// Preference orders inet6 source address selection (NetBSD's
	// "preference"); 0 is the default.
	Preference int `json:"preference,omitempty"`
}

// IfCreate is the optional body of create on net.link.<if>.
type IfCreate struct {
	// Linkstr binds a virt interface to this host tap instead of tapN.
	Linkstr string `json:"linkstr,omitempty"`
}

// LinkAddr is a link-layer address of an interface. One is active (the one
// the interface sends from); the others are kept for later activation.
type LinkAddr struct {
	Addr   string `json:"addr"` // "b2:0a:00:0b:0e:00"
	Active bool   `json:"active"`
}

// NetBSD interface capability bits (net/if.h IFCAP_*).
const (
	IFCAP_TSOv4         = 0x00080
	IFCAP_CSUM_IPv4_Rx  = 0x00100
	IFCAP_CSUM_IPv4_Tx  = 0x00200
	IFCAP_CSUM_TCPv4_Rx = 0x00400
	IFCAP_CSUM_TCPv4_Tx = 0x00800
	IFCAP_CSUM_UDPv4_Rx = 0x01000
	IFCAP_CSUM_UDPv4_Tx = 0x02000
	IFCAP_CSUM_TCPv6_Rx = 0x04000
	IFCAP_CSUM_TCPv6_Tx = 0x08000
	IFCAP_CSUM_UDPv6_Rx = 0x10000
	IFCAP_CSUM_UDPv6_Tx = 0x20000
	IFCAP_TSOv6         = 0x40000
)

// IfCapNames names the capability bits from bit 7 up, as ifconfig prints
// them.
var IfCapNames = map[int]string{
	IFCAP_TSOv4: "TSO4", IFCAP_CSUM_IPv4_Rx: "IP4CSUM_Rx", IFCAP_CSUM_IPv4_Tx: "IP4CSUM_Tx",
	IFCAP_CSUM_TCPv4_Rx: "TCP4CSUM_Rx", IFCAP_CSUM_TCPv4_Tx: "TCP4CSUM_Tx",
	IFCAP_CSUM_UDPv4_Rx: "UDP4CSUM_Rx", IFCAP_CSUM_UDPv4_Tx: "UDP4CSUM_Tx",
	IFCAP_CSUM_TCPv6_Rx: "TCP6CSUM_Rx", IFCAP_CSUM_TCPv6_Tx: "TCP6CSUM_Tx",
	IFCAP_CSUM_UDPv6_Rx: "UDP6CSUM_Rx", IFCAP_CSUM_UDPv6_Tx: "UDP6CSUM_Tx",
	IFCAP_TSOv6: "TSO6",
}

// Stats are an interface's packet counters.
type Stats struct {
	IPackets   uint64 `json:"ipackets"`
	IBytes     uint64 `json:"ibytes"`
	IMcasts    uint64 `json:"imcasts"`
	IErrors    uint64 `json:"ierrors"`
	IQDrops    uint64 `json:"iqdrops"`
	OPackets   uint64 `json:"opackets"`
	OBytes     uint64 `json:"obytes"`
	OMcasts    uint64 `json:"omcasts"`
	OErrors    uint64 `json:"oerrors"`
	Collisions uint64 `json:"collisions"`
}

// Interface is everything ifconfig shows about one interface, assembled by
// the client from the interface's leaves.
type Interface struct {
	Name      string `json:"name"`
	Index     int    `json:"index"`
	Kind      string `json:"kind"`
	Flags     int    `json:"flags"`
	MTU       int    `json:"mtu"`
	Metric    int    `json:"metric"`
	Address   string `json:"address,omitempty"`
	Linkstr   string `json:"linkstr,omitempty"`
	LinkState string `json:"link_state"`
	// Media is the Ethernet media subtype of an interface that has media
	// (shmif): MediaAuto or MediaNone; "" for none.
	Media string   `json:"media,omitempty"`
	Stats Stats    `json:"stats"`
	Inet  []IfAddr `json:"inet"`
	Inet6 []IfAddr `json:"inet6"`
	// LinkAddrs are the inactive link-layer addresses; Address is the
	// active one.
	LinkAddrs []LinkAddr `json:"link_addrs,omitempty"`
	// Capabilities are the IFCAP_* bits the interface supports, CapEnabled
	// the ones switched on.
	Capabilities int `json:"capabilities,omitempty"`
	CapEnabled   int `json:"capenable,omitempty"`
	// Vlan is a vlan interface's configuration, nil on other kinds.
	Vlan *Vlan `json:"vlan,omitempty"`
	// L2tp is an l2tp interface's configuration, nil on other kinds.
	L2tp *L2tp `json:"l2tp,omitempty"`
	// Tunnel is a gif or gre interface's outer addresses, nil on other
	// kinds and while there are none.
	Tunnel *Tunnel `json:"tunnel,omitempty"`
}

// Tunnel is the outer source and destination of a gif(4) or gre(4)
// interface (SIOCSLIFPHYADDR); both "" deletes the tunnel
// (SIOCDIFPHYADDR). The ports are those of gre's UDP mode, 0 for none.
type Tunnel struct {
	Src     string `json:"src"`
	Dst     string `json:"dst"`
	SrcPort int    `json:"src_port,omitempty"`
	DstPort int    `json:"dst_port,omitempty"`
}

// Vlan is a vlan(4) interface's configuration: its 802.1Q identifier and
// parent interface; zero and "" while it has none.
type Vlan struct {
	Tag    int    `json:"tag"`
	Parent string `json:"parent"`
}
