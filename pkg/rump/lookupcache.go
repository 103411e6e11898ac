package rump

// The lookup cache: what the receive path's fast paths (fastfwd.go,
// echo.go) and the forwarding check (Kernel.routing) ask the stack about a
// destination, remembered per kernel. An entry, keyed by the receiving
// interface and an address, holds whether the address is the kernel's
// own (on any interface, and on the receiving one), the route to it (out
// interface, next hop, broadcast) and the next hop's link address when
// the neighbour cache had it.
//
// An entry is good only for the generation it was made in. The
// generation is bumped by every change that could alter an answer: the
// routing table installed (route add, delete and change, redirects,
// blackhole and reject routes, connected routes as addresses come and
// go), addresses added or removed, an address's state changing (DAD done
// or failed, detached), an interface enabled, disabled, created or
// destroyed, forwarding switched, and every neighbour event the stack
// reports (an entry added, changed or removed, static ones included).
// Reading the generation before asking the stack and stamping the entry
// with it means a change racing the lookup leaves a stale entry, never a
// wrong fresh one.
//
// Entries are immutable and published through atomic pointers in a fixed
// array of slots (the key's hash picks the slot; a newer entry displaces
// an older one), so the receive goroutines of every interface read it
// without locks, and it never grows.
//
// This file must not hold a lock while asking the stack, nor keep
// anything of a frame.

import (
	"encoding/binary"
	"sync/atomic"

	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/header"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
)

// lookupSlots is the cache's size, in entries (a power of two).
const lookupSlots = 512

// addrStateGen counts address state changes in every kernel of the
// process (the stack tells the address, which does not know its kernel);
// each cache adds it to its own generation.
var addrStateGen atomic.Uint64

// addrStateChanged invalidates every kernel's lookup cache.
func addrStateChanged() { addrStateGen.Add(1) }

// lookupCache is one kernel's cache.
type lookupCache struct {
	gen   atomic.Uint64
	slots [lookupSlots]atomic.Pointer[lookupEntry]
	hits  atomic.Uint64 // for tests
}

// lookupKey is what an entry answers for: an address as seen from the
// interface a packet came in on.
type lookupKey struct {
	nic  tcpip.NICID
	addr tcpip.Address
}

// lookupEntry is the stack's answer for a key, at generation gen.
type lookupEntry struct {
	key   lookupKey
	gen   uint64
	local bool // addr is one of the kernel's addresses
	own   bool // addr is assigned (not tentative) to the receiving interface
	route bool // the stack has a route to addr (checked only if !local)
	nic   tcpip.NICID
	hop   tcpip.Address // the next hop: addr itself when direct
	gw    bool          // through a gateway
	bcast bool          // the route is an outbound broadcast
	// mac is the next hop's link address if the neighbour cache had it
	// when asked; it is asked (asked set) only for a caller that would
	// send to it, so a packet the stack would drop (TTL 1, too big)
	// starts no resolution the stack would not.
	mac   tcpip.LinkAddress
	asked bool
}

// invalidate makes every entry stale.
func (c *lookupCache) invalidate() { c.gen.Add(1) }

// generation is the cache's current generation.
func (c *lookupCache) generation() uint64 { return c.gen.Load() + addrStateGen.Load() }

// slot returns the slot key's entry lives in.
func (c *lookupCache) slot(key lookupKey) *atomic.Pointer[lookupEntry] {
	h := uint64(key.nic)*0x9e3779b97f4a7c15 ^ uint64(key.addr.Len())
	switch key.addr.Len() {
	case 4:
		b := key.addr.As4()
		h ^= uint64(binary.LittleEndian.Uint32(b[:])) * 0xff51afd7ed558ccd
	case 16:
		b := key.addr.As16()
		h ^= binary.LittleEndian.Uint64(b[:8]) * 0xc4ceb9fe1a85ec53
		h ^= binary.LittleEndian.Uint64(b[8:]) * 0xff51afd7ed558ccd
	}
	h ^= h >> 29
	return &c.slots[h&(lookupSlots-1)]
}

// lookup returns the entry for addr (of network protocol proto) received
// on nic, asking the stack if the cache has no current one; withMAC asks
// for the next hop's link address too. probe makes the neighbour lookups.
func (c *lookupCache) lookup(s *stack.Stack, probe *neighProbe, nic tcpip.NICID, addr tcpip.Address, proto tcpip.NetworkProtocolNumber, withMAC bool) *lookupEntry {
	key := lookupKey{nic, addr}
	sl := c.slot(key)
	gen := c.generation()
	if e := sl.Load(); e != nil && e.key == key && e.gen == gen && (e.asked || !withMAC || !e.route || e.bcast) {
		c.hits.Add(1)
		return e
	}
	e := &lookupEntry{key: key, gen: gen}
	e.local = s.CheckLocalAddress(0, proto, addr) != 0
	if e.local {
		e.own = ownAddress(s, nic, addr, proto)
	} else if r, terr := s.FindRoute(0, tcpip.Address{}, addr, proto, false); terr == nil {
		e.route, e.nic, e.hop, e.bcast = true, r.NICID(), r.NextHop(), r.IsOutboundBroadcast()
		r.Release()
		e.gw = e.hop.Len() != 0
		if !e.gw {
			e.hop = addr
		}
		if withMAC && !e.bcast {
			e.mac, _ = probe.lookup(s, e.nic, e.hop, proto)
			e.asked = true
		}
	}
	sl.Store(e)
	return e
}

// ownAddress reports whether a is assigned to nic, permanent and not
// tentative (not a subnet broadcast).
func ownAddress(s *stack.Stack, nic tcpip.NICID, a tcpip.Address, proto tcpip.NetworkProtocolNumber) bool {
	if nic == 0 {
		return false
	}
	ep, terr := s.GetNetworkEndpoint(nic, proto)
	if terr != nil {
		return false
	}
	ae, ok := ep.(stack.AddressableEndpoint)
	if !ok {
		return false
	}
	as := ae.AcquireAssignedAddress(a, false, stack.NeverPrimaryEndpoint, true) // read only: no reference
	return as != nil && as.AddressWithPrefix().Address == a && as.GetKind() == stack.Permanent
}

// invalidateLookups makes the kernel's cached lookups stale; every change
// that could alter a route, an address or a neighbour calls it.
func (k *Kernel) invalidateLookups() { k.fast.cache.invalidate() }

// routingVia is Kernel.routing for a frame that e received, with the
// local-address check answered from the cache.
func (k *Kernel) routingVia(e *ethEndpoint, frame []byte) bool {
	if len(frame) < header.EthernetMinimumSize {
		return false
	}
	p := frame[header.EthernetMinimumSize:]
	var dst tcpip.Address
	var proto tcpip.NetworkProtocolNumber
	switch header.Ethernet(frame).Type() {
	case header.IPv4ProtocolNumber:
		if !k.forwarding4.Load() || len(p) < header.IPv4MinimumSize {
			return false
		}
		dst, proto = header.IPv4(p).DestinationAddress(), header.IPv4ProtocolNumber
	case header.IPv6ProtocolNumber:
		if !k.forwarding6.Load() || len(p) < header.IPv6MinimumSize {
			return false
		}
		dst, proto = header.IPv6(p).DestinationAddress(), header.IPv6ProtocolNumber
	default:
		return false
	}
	return !k.fast.cache.lookup(k.stack, &e.fwdNeigh, e.nic, dst, proto, false).local
}

// invalidate tells the kernel's lookup cache of a neighbour event.
func (n *nudEvents) invalidate() {
	if n.changed != nil {
		n.changed()
	}
}
