package rump

// Neighbour caches: ARP for IPv4 and NDP for IPv6, as arp(8) and ndp(8)
// show and change them. The entries are the stack's own (gVisor's
// per-interface neighbour cache); the kernel adds only what gVisor does
// not keep: which static entries are temporary (arp -s ... temp) and when
// they go. Those live in Kernel.tempNeigh under Kernel.mu, each with a
// timer that removes the entry; deleting or replacing the entry stops it.
// Interfaces without a neighbour cache (loopback) have no entries.

import (
	"cmp"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"syscall"
	"time"

	"github.com/rumpnet/rumpnet/pkg/api"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
)

// neighborKey names one neighbour entry.
type neighborKey struct {
	nic  tcpip.NICID
	addr tcpip.Address
}

// tempEntry is a temporary static entry: it is removed at until.
type tempEntry struct {
	until time.Time
	timer *time.Timer
}

// Neighbors lists a family's (4: ARP, 6: NDP) neighbour entries, by
// interface index and then address.
func (k *Kernel) Neighbors(family int) []api.Neighbor {
	proto := protoOf(family)
	k.mu.Lock()
	defer k.mu.Unlock()
	now := k.stack.Clock().NowMonotonic()
	var out []api.Neighbor
	for _, ifp := range k.ifaces {
		entries, err := k.stack.Neighbors(ifp.nic, proto)
		if err != nil {
			continue // no neighbour cache on this interface
		}
		nud, _ := k.stack.NUDConfigurations(ifp.nic, proto)
		var list []api.Neighbor
		if family == 4 {
			list = k.publishedLocked(ifp)
		}
		for _, e := range entries {
			n := api.Neighbor{Addr: e.Addr.String(), Interface: ifp.name, Index: int(ifp.nic), State: neighborState(e.State)}
			if e.LinkAddr != "" {
				n.LinkAddr = macString(e.LinkAddr)
			}
			if e.State == stack.Static {
				if t, ok := k.tempNeigh[neighborKey{ifp.nic, e.Addr}]; ok {
					n.Expire = secondsUntil(time.Until(t.until))
				} else {
					n.Permanent = true
				}
			} else {
				n.Expire = secondsUntil(entryLifetime(family, e.State, nud, k.tun.arpKeep) - now.Sub(e.UpdatedAt))
			}
			list = append(list, n)
		}
		slices.SortStableFunc(list, func(a, b api.Neighbor) int {
			return netip.MustParseAddr(a.Addr).Compare(netip.MustParseAddr(b.Addr))
		})
		out = append(out, list...)
	}
	return out
}

func neighborState(s stack.NeighborState) string {
	switch s {
	case stack.Incomplete:
		return api.NeighborIncomplete
	case stack.Reachable:
		return api.NeighborReachable
	case stack.Stale:
		return api.NeighborStale
	case stack.Delay:
		return api.NeighborDelay
	case stack.Probe:
		return api.NeighborProbe
	case stack.Static:
		return api.NeighborStatic
	case stack.Unreachable:
		return api.NeighborUnreachable
	}
	return api.NeighborUnknown
}

// stateTimeout is how long an entry stays in a state before its timer
// moves it on; 0 for states without a timer. gVisor draws each entry's
// reachable time at random around the base one; the base is what is
// reported.
func stateTimeout(s stack.NeighborState, c stack.NUDConfigurations) time.Duration {
	switch s {
	case stack.Reachable:
		return c.BaseReachableTime
	case stack.Delay:
		return c.DelayFirstProbeTime
	case stack.Probe, stack.Incomplete:
		return c.RetransmitTimer
	}
	return 0
}

// ndpStaleLifetime is how long an IPv6 neighbour entry stays STALE before
// it is removed: NetBSD's nd6_gctimer, one day. gVisor keeps stale
// entries until its cache is full; the kernel's sweeper removes them.
const ndpStaleLifetime = 24 * time.Hour

// entryLifetime is how long after its last update a dynamic entry keeps
// its state: an inet entry lives net.inet.arp.keep in all (the sweeper
// removes it then), an inet6 one for its state's timer, or
// ndpStaleLifetime while STALE, as NetBSD's ndp shows in its Expire
// column.
func entryLifetime(family int, s stack.NeighborState, c stack.NUDConfigurations, arpKeep time.Duration) time.Duration {
	switch {
	case family == 4 && s != stack.Incomplete:
		return arpKeep
	case family == 6 && s == stack.Stale:
		return ndpStaleLifetime
	}
	return stateTimeout(s, c)
}

// secondsUntil rounds a remaining time up to whole seconds, 0 if passed.
func secondsUntil(d time.Duration) int {
	if d <= 0 {
		return 0
	}
	return int((d + time.Second - 1) / time.Second)
}

// AddNeighbor adds a static entry to a family's neighbour cache (arp -s,
// ndp -s); with n.Temp it is removed after api.NeighborTempSeconds. With
// n.Published (inet only) it is a proxy ARP entry instead (proxyarp.go).
// The interface is n.Interface or the one whose link has n.Addr. An
// existing dynamic or temporary entry is replaced. Errors: EINVAL
// (malformed), EAFNOSUPPORT (family), ENXIO (no such interface),
// ENETUNREACH (no interface for the address), EOPNOTSUPP (the interface
// has no neighbour cache), EEXIST (a permanent entry exists).
func (k *Kernel) AddNeighbor(family int, n api.Neighbor) error {
	mac, err := net.ParseMAC(n.LinkAddr)
	if err != nil || len(mac) != 6 {
		return api.Errorf(syscall.EINVAL, fmt.Sprintf("link address %q", n.LinkAddr))
	}
	proto := protoOf(family)
	k.mu.Lock()
	defer k.mu.Unlock()
	ifp, addr, err := k.neighborTargetLocked(family, n)
	if err != nil {
		return err
	}
	key := neighborKey{ifp.nic, addr}
	if n.Published {
		if family != 4 || n.Temp {
			return api.Errorf(syscall.EOPNOTSUPP, "published "+afName(family)+" entries")
		}
		return k.publishLocked(ifp, addr, tcpip.LinkAddress(mac))
	}
	entries, terr := k.stack.Neighbors(ifp.nic, proto)
	if terr != nil {
		return api.Errorf(syscall.EOPNOTSUPP, ifp.name+" has no neighbour cache")
	}
	for _, e := range entries {
		if e.Addr == addr && e.State == stack.Static && k.tempNeigh[key] == nil {
			return api.Errorf(syscall.EEXIST, addr.String()+" on "+ifp.name)
		}
	}
	if terr := k.stack.AddStaticNeighbor(ifp.nic, proto, addr, tcpip.LinkAddress(mac)); terr != nil {
		return api.Errorf(errnoOfTCPIP(terr), "add neighbour: "+terr.String())
	}
	k.stopTempLocked(key)
	if n.Temp {
		k.startTempLocked(key, proto)
	}
	return nil
}

// neighborTargetLocked checks an entry's address and finds its interface.
func (k *Kernel) neighborTargetLocked(family int, n api.Neighbor) (*Interface, tcpip.Address, error) {
	a, err := netip.ParseAddr(n.Addr)
	if err != nil || a.Is4() != (family == 4) || a.IsUnspecified() || a.IsMulticast() {
		return nil, tcpip.Address{}, api.Errorf(syscall.EINVAL, fmt.Sprintf("%s address %q", afName(family), n.Addr))
	}
	addr := tcpip.AddrFromSlice(a.AsSlice())
	if ifname := cmp.Or(n.Interface, a.Zone()); ifname != "" {
		ifp, err := k.lookupLocked(ifname)
		return ifp, addr, err
	}
	if a.IsLinkLocalUnicast() {
		return nil, addr, api.Errorf(syscall.ENETUNREACH, "link-local "+a.String()+" needs an interface")
	}
	if ifp := k.addrOwnerLocked(a); ifp != nil {
		// The node's own address: its local route leads to lo0, but its
		// link-layer entry, as NetBSD's ndp and arp find it, is on the
		// interface that has the address.
		return ifp, addr, nil
	}
	ifp, err := k.gatewayIfaceLocked(a, true)
	return ifp, addr, err
}

func (k *Kernel) startTempLocked(key neighborKey, proto tcpip.NetworkProtocolNumber) {
	if k.tempNeigh == nil {
		k.tempNeigh = map[neighborKey]*tempEntry{}
	}
	life := api.NeighborTempSeconds * time.Second
	t := &tempEntry{until: time.Now().Add(life)}
	t.timer = time.AfterFunc(life, func() {
		k.mu.Lock()
		defer k.mu.Unlock()
		if k.tempNeigh[key] == t {
			delete(k.tempNeigh, key)
			k.stack.RemoveNeighbor(key.nic, proto, key.addr)
		}
	})
	k.tempNeigh[key] = t
}

func (k *Kernel) stopTempLocked(key neighborKey) {
	if t, ok := k.tempNeigh[key]; ok {
		t.timer.Stop()
		delete(k.tempNeigh, key)
	}
}

// DeleteNeighbor removes a family's entry for n.Addr (on n.Interface, or
// on whichever interface has one): ESRCH if there is none. Without an
// address it removes every entry of the family, static ones too (arp -d
// -a).
func (k *Kernel) DeleteNeighbor(family int, n api.Neighbor) error {
	proto := protoOf(family)
	k.mu.Lock()
	defer k.mu.Unlock()
	if n.Addr == "" {
		for _, ifp := range k.ifaces {
			k.stack.ClearNeighbors(ifp.nic, proto)
			if family == 4 {
				for key := range k.published {
					if key.nic == ifp.nic {
						k.unpublishLocked(ifp, key.addr)
					}
				}
			}
		}
		for key := range k.tempNeigh {
			if (key.addr.Len() == 16) == (family == 6) {
				k.stopTempLocked(key)
			}
		}
		return nil
	}
	a, err := netip.ParseAddr(n.Addr)
	if err != nil || a.Is4() != (family == 4) {
		return api.Errorf(syscall.EINVAL, fmt.Sprintf("%s address %q", afName(family), n.Addr))
	}
	addr := tcpip.AddrFromSlice(a.AsSlice())
	var target *Interface
	if ifname := cmp.Or(n.Interface, a.Zone()); ifname != "" {
		if target, err = k.lookupLocked(ifname); err != nil {
			return err
		}
	}
	removed := false
	for _, ifp := range k.ifaces {
		if target != nil && ifp != target {
			continue
		}
		if k.stack.RemoveNeighbor(ifp.nic, proto, addr) == nil {
			removed = true
			k.stopTempLocked(neighborKey{ifp.nic, addr})
		}
		if family == 4 && k.unpublishLocked(ifp, addr) {
			removed = true
		}
	}
	if !removed {
		return api.Errorf(syscall.ESRCH, n.Addr)
	}
	return nil
}
