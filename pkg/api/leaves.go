package api

// The interface leaves. Each one carries one field of Interface; this table
// is the only list of them: the client fills an Interface from it, and the
// server builds its nodes from it together with the kernel's writes.

// Leaf describes one interface leaf, LinkPrefix + ifname + "." + Name.
type Leaf struct {
	Name string
	// Type is the node type the server reports: "int", "string" or
	// "struct".
	Type string
	// Writable is whether the leaf can be set at all; the kernel may still
	// refuse it on some kinds of interface (linkstr on lo0).
	Writable bool
	// Field returns a pointer to the field of i the leaf carries: the
	// client decodes a node's value into it, the server sends the value it
	// points to.
	Field func(i *Interface) any
}

// Leaves are the interface leaves sorted by name, the order in which the
// server lists an interface's nodes. A new leaf is one line here (and, if it
// is writable, the kernel's write in the server).
var Leaves = []Leaf{
	{LeafAddress, "string", false, func(i *Interface) any { return &i.Address }},
	{LeafCaps, "int", false, func(i *Interface) any { return &i.Capabilities }},
	{LeafCapEnable, "int", true, func(i *Interface) any { return &i.CapEnabled }},
	{LeafFlags, "int", true, func(i *Interface) any { return &i.Flags }},
	{LeafIndex, "int", false, func(i *Interface) any { return &i.Index }},
	{LeafInet, "struct", false, func(i *Interface) any { return &i.Inet }},
	{LeafInet6, "struct", false, func(i *Interface) any { return &i.Inet6 }},
	{LeafKind, "string", false, func(i *Interface) any { return &i.Kind }},
	{LeafL2tp, "struct", true, func(i *Interface) any { return &i.L2tp }},
	{LeafLink, "struct", false, func(i *Interface) any { return &i.LinkAddrs }},
	{LeafLinkState, "string", false, func(i *Interface) any { return &i.LinkState }},
	{LeafLinkstr, "string", true, func(i *Interface) any { return &i.Linkstr }},
	{LeafMedia, "string", true, func(i *Interface) any { return &i.Media }},
	{LeafMetric, "int", true, func(i *Interface) any { return &i.Metric }},
	{LeafMTU, "int", true, func(i *Interface) any { return &i.MTU }},
	{LeafStats, "struct", true, func(i *Interface) any { return &i.Stats }},
	{LeafTunnel, "struct", true, func(i *Interface) any { return &i.Tunnel }},
	{LeafVlan, "struct", true, func(i *Interface) any { return &i.Vlan }},
}

// FindLeaf returns the interface leaf called name.
func FindLeaf(name string) (Leaf, bool) {
	for _, l := range Leaves {
		if l.Name == name {
			return l, true
		}
	}
	return Leaf{}, false
}
