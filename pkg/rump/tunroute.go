package rump

// A tunnel's outer route, held between packets: gif, gre and l2tp send
// every outer packet to one destination, so the route found for the
// first packet serves the next ones while the kernel's lookup cache
// generation (lookupcache.go) stays the same. Any change that could
// alter the route (a route, an address, a neighbour, an interface) bumps
// the generation, and the next packet finds the route again.
//
// Finding a route takes stack locks the stack may hold while it calls a
// link endpoint's write: an interface coming up, going down or being
// removed sends its IGMP and MLD messages (and IPv6 its neighbour
// discovery) with its network endpoint locked and the stack's NIC table
// locked, for reading or, on removal, for writing; finding a route with
// a given source address reads every interface's addresses. Writing
// through a held route takes only the outgoing interface's locks, which
// is never the tunnel's own (no nesting), but also reads the stack's NIC
// table (the output filter wants the interface's name). So a tunnel's
// link write sends directly through a held, current route only packets
// the stack never writes under those locks: not IGMP, not ICMPv6 nor
// anything with a hop-by-hop header (MLD), not multicast nor broadcast,
// not ARP (stackControl). Everything else, and every packet while there
// is no current route, goes to the tunnel's send goroutine, which finds
// the route. The link write never blocks on the holder: it only tries
// its lock, and falls back to the queue when the send goroutine is
// replacing the route. A tunnel being destroyed drops its route before
// its interface leaves the stack.
//
// This file must not find a route while holding the holder's lock, nor
// release a route another goroutine may still be writing through.

import (
	"sync"

	"gvisor.dev/gvisor/pkg/tcpip/header"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
)

// stackControl reports whether the IP packet p is of a kind the stack
// may write with its own locks held (see above), or is not an IP packet
// it knows: such a packet must not be sent through the held route from
// the link write.
func stackControl(p []byte) bool {
	if len(p) == 0 {
		return true
	}
	switch p[0] >> 4 {
	case 4:
		if len(p) < header.IPv4MinimumSize {
			return true
		}
		h := header.IPv4(p)
		d := h.DestinationAddress().As4()
		return h.Protocol() == uint8(header.IGMPProtocolNumber) || d[0] >= 224 || d == [4]byte{255, 255, 255, 255}
	case 6:
		if len(p) < header.IPv6MinimumSize {
			return true
		}
		h := header.IPv6(p)
		nh := h.NextHeader()
		return nh == uint8(header.ICMPv6ProtocolNumber) || nh == uint8(header.IPv6HopByHopOptionsExtHdrIdentifier) ||
			header.IsV6MulticastAddress(h.DestinationAddress())
	}
	return true
}

// outerRoute is a held outer route: the route, the lookup cache
// generation it was found in, and the tunnel configuration (an immutable
// value, compared by identity) it was found for.
type outerRoute struct {
	mu   sync.RWMutex
	r    *stack.Route
	gen  uint64
	conf any
}

// tryAcquire returns the held route, read-locked, if it is current for
// gen and conf; nil if there is none or the holder is busy. The caller
// calls releaseRead after writing.
func (o *outerRoute) tryAcquire(gen uint64, conf any) *stack.Route {
	if !o.mu.TryRLock() {
		return nil
	}
	if o.r == nil || o.gen != gen || o.conf != conf {
		o.mu.RUnlock()
		return nil
	}
	return o.r
}

// releaseRead ends a tryAcquire.
func (o *outerRoute) releaseRead() { o.mu.RUnlock() }

// write calls send with a route for conf: the held one if it is current
// for gen, else one find returns, which is then held (for gen, read
// before find so that a change racing it leaves a stale route, never a
// wrong current one). The caller must hold no stack lock.
func (o *outerRoute) write(gen uint64, conf any, find func() (*stack.Route, error), send func(*stack.Route) error) error {
	o.mu.RLock()
	if o.r != nil && o.gen == gen && o.conf == conf {
		err := send(o.r)
		o.mu.RUnlock()
		return err
	}
	o.mu.RUnlock()
	r, err := find()
	if err != nil {
		o.set(nil, 0, nil)
		return err
	}
	err = send(r)
	o.set(r, gen, conf)
	return err
}

// set holds r (nil: none), releasing the route held before once no
// writer uses it.
func (o *outerRoute) set(r *stack.Route, gen uint64, conf any) {
	o.mu.Lock()
	old := o.r
	o.r, o.gen, o.conf = r, gen, conf
	o.mu.Unlock()
	if old != nil {
		old.Release()
	}
}
