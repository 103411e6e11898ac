package bridge

// Members and Ethernet addresses. A port is the bridge's record of one
// member: what the caller gave in Port plus the member flags, its link state
// and its spanning-tree state. Every field is guarded by Bridge.mu.

import (
	"fmt"

	"github.com/rumpnet/rumpnet/pkg/api"
)

const (
	etherAddrLen   = 6
	etherHeaderLen = 14 // destination, source, type or length
)

// mac is an Ethernet address, usable as a map key.
type mac [etherAddrLen]byte

// isGroup reports whether m is a multicast or broadcast address.
func (m mac) isGroup() bool { return m[0]&1 != 0 }

// String formats m as brconfig prints it: lower case, zero padded.
func (m mac) String() string {
	return fmt.Sprintf("%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5])
}

// less orders addresses as unsigned numbers.
func (m mac) less(o mac) bool {
	for i := range m {
		if m[i] != o[i] {
			return m[i] < o[i]
		}
	}
	return false
}

// port is one member of the bridge.
type port struct {
	name    string
	index   int
	mac     mac
	send    func([]byte)
	deliver func([]byte)
	// sendMeta and deliverMeta, if not nil, take InputMeta's frames.
	sendMeta    func([]byte, any)
	deliverMeta func([]byte, any)
	seq         uint64 // insertion order; status lists newest first

	flags    int  // IFBIF_*
	priority int  // STP port priority, 0..255
	pathCost int  // STP path cost, 0..255
	linkUp   bool // the member's link, from SetPortLink
	stp      stpPort
}

// newPort makes the record for a new member with NetBSD's defaults.
func newPort(p Port, seq uint64) *port {
	np := &port{
		name:        p.Name,
		index:       p.Index,
		send:        p.Send,
		deliver:     p.Deliver,
		sendMeta:    p.SendMeta,
		deliverMeta: p.DeliverMeta,
		seq:         seq,
		flags:       api.IFBIF_LEARNING | api.IFBIF_DISCOVER,
		priority:    api.BridgeDefaultIfPrio,
		pathCost:    api.BridgeDefaultPathCost,
		linkUp:      true,
	}
	copy(np.mac[:], p.MAC)
	return np
}

// state is the port's effective forwarding state: disabled while its link
// is down, forwarding without STP, its spanning-tree state with STP. The
// caller holds Bridge.mu and the bridge is up.
func (p *port) state() stpState {
	switch {
	case !p.linkUp:
		return stateDisabled
	case p.flags&api.IFBIF_STP == 0:
		return stateForwarding
	default:
		return p.stp.state
	}
}

// forwarding reports whether the port may carry data frames.
func (p *port) forwarding() bool { return p.state() == stateForwarding }

// protectedWith reports whether traffic between p and q is forbidden
// because both are protected.
func (p *port) protectedWith(q *port) bool {
	return p.flags&q.flags&api.IFBIF_PROTECTED != 0
}
