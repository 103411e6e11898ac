package api

// NodesPath is the request that reads several nodes at once: its body is a
// JSON array of node names, its reply the array of those nodes in the same
// order. A name net.link.*.LEAF (LinkAll) stands for that leaf of every
// interface, in index order.
const NodesPath = PathPrefix + "nodes"

// LinkAll is the interface part of a name in a NodesPath request that
// stands for every interface: LinkPrefix + LinkAll + "." + leaf.
const LinkAll = "*"
