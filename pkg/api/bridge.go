package api

// Bridge member flag bits (NetBSD net/if_bridgevar.h IFBIF_*).
const (
	IFBIF_LEARNING  = 0x01
	IFBIF_DISCOVER  = 0x02
	IFBIF_STP       = 0x04
	IFBIF_PROTECTED = 0x08
)

// IFBAF_STATIC marks an address cache entry that never ages (IFBAF_*).
const IFBAF_STATIC = 0x01

// Bridge defaults (NetBSD bridge(4)).
const (
	BridgeDefaultMaxAddr   = 100
	BridgeDefaultTimeout   = 1200 // seconds
	BridgeDefaultPriority  = 32768
	BridgeDefaultHelloTime = 2
	BridgeDefaultFwdDelay  = 15
	BridgeDefaultMaxAge    = 20
	BridgeDefaultIfPrio    = 128
	BridgeDefaultPathCost  = 55
)

// STP port states as brconfig prints them.
const (
	STPDisabled   = "disabled"
	STPListening  = "listening"
	STPLearning   = "learning"
	STPForwarding = "forwarding"
	STPBlocking   = "blocking"
)

// BridgeStatus is what `rbrconfig bridgeN` prints: the bridge's interface
// flags, its configuration, its members and its address cache.
type BridgeStatus struct {
	Name      string `json:"name"`
	Flags     int    `json:"flags"` // interface flags (IFF_UP, IFF_RUNNING)
	Priority  int    `json:"priority"`
	HelloTime int    `json:"hellotime"` // seconds
	FwdDelay  int    `json:"fwddelay"`  // seconds
	MaxAge    int    `json:"maxage"`    // seconds
	IPFilter  bool   `json:"ipfilter"`
	MaxAddr   int    `json:"maxaddr"`
	Timeout   int    `json:"timeout"` // seconds, 0 = never
	// Members and Cache are newest first, as brconfig lists them.
	Members []BridgeMember `json:"members"`
	Cache   []BridgeAddr   `json:"cache"`
}

// BridgeMember is one port of a bridge.
type BridgeMember struct {
	Name     string `json:"name"`
	Flags    int    `json:"flags"` // IFBIF_*
	Port     int    `json:"port"`  // the member's interface index
	Priority int    `json:"priority"`
	PathCost int    `json:"pathcost"`
	State    string `json:"state"` // STP* constant; shown only with IFBIF_STP
}

// BridgeAddr is one address cache entry.
type BridgeAddr struct {
	MAC    string `json:"mac"` // lower case, zero padded
	Member string `json:"member"`
	Expire int    `json:"expire"` // seconds left, 0 for static entries
	Flags  int    `json:"flags"`  // IFBAF_*
}

// Bridge operations (BridgeRequest.Op), one per brconfig command that
// changes something. up/down are interface flags and not among them.
const (
	BridgeAdd        = "add"        // Member
	BridgeDelete     = "delete"     // Member
	BridgeStatic     = "static"     // Member, MAC
	BridgeDelAddr    = "deladdr"    // MAC
	BridgeFlush      = "flush"      // -
	BridgeFlushAll   = "flushall"   // -
	BridgeMaxAddr    = "maxaddr"    // Value
	BridgeTimeout    = "timeout"    // Value
	BridgeMemberFlag = "memberflag" // Member, Value (one IFBIF_* bit), On
	BridgeIPF        = "ipf"        // On
	BridgePriority   = "priority"   // Value
	BridgeHelloTime  = "hellotime"  // Value
	BridgeFwdDelay   = "fwddelay"   // Value
	BridgeMaxAge     = "maxage"     // Value
	BridgeIfPriority = "ifpriority" // Member, Value
	BridgeIfPathCost = "ifpathcost" // Member, Value
)

// BridgeRequest is one change to a bridge, sent as the body of
// POST /v1/bridge/NAME. Errors carry NetBSD's errno (ENOENT for a
// non-member, EEXIST, EBUSY, EINVAL, ENOSPC, ...).
type BridgeRequest struct {
	Op     string `json:"op"`
	Member string `json:"member,omitempty"`
	MAC    string `json:"mac,omitempty"`
	Value  int    `json:"value,omitempty"`
	On     bool   `json:"on,omitempty"`
}
