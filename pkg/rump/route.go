package rump

// Routes route(8) adds, changes and deletes. The kernel keeps the ones it
// added in Kernel.routes (guarded by Kernel.mu); routetable.go merges
// them with the routes the addresses give and installs the result into
// the stack, so what rroute and rnetstat show is what the stack routes by.
//
// An added route belongs to its output interface and goes when the
// interface is destroyed, as NetBSD's rt_if_remove does. Connected
// routes can be deleted (the address stays; its dynamic neighbour
// entries go) and changed (the route is then kept in Kernel.routes like
// an added one, still flagged C), and added back with -connected. Local
// routes cannot be deleted or changed (EBUSY): gVisor delivers to its own
// addresses whatever the table says.

import (
	"fmt"
	"net/netip"
	"slices"
	"syscall"
	"time"

	"github.com/rumpnet/rumpnet/pkg/api"
	"gvisor.dev/gvisor/pkg/tcpip"
)

// staticRoute is one route of the kernel's table (routetable.go): one
// route(8) added, or one an address gives.
type staticRoute struct {
	dest    netip.Prefix // masked
	gateway netip.Addr   // with RTF_GATEWAY: the next hop
	ifAddr  netip.Addr   // for an interface route, the address it was given by
	ifa     netip.Addr   // -ifa: the source address; invalid: the stack picks
	ifp     *Interface   // output interface; lo0 for a local route
	link    *Interface   // local route: the address's interface (link#N)
	addr    *ifaddr      // a route an address gives: that address
	flags   int          // RTF_* bits
	mtu     uint32
	dynamic bool        // made by an ICMP redirect (RTF_DYNAMIC); see redirect.go
	expires *time.Timer // a dynamic route's removal; nil for none
}

// userFlags are the RTF_* bits a request may set.
const userFlags = api.RTF_GATEWAY | api.RTF_HOST | api.RTF_STATIC | api.RTF_REJECT |
	api.RTF_BLACKHOLE | api.RTF_CONNECTED | api.RTF_ANNOUNCE

func (r *staticRoute) tcpipRoute() tcpip.Route {
	rt := tcpip.Route{Destination: subnetOf(r.dest), NIC: r.ifp.nic, MTU: r.mtu}
	if r.gateway.IsValid() {
		rt.Gateway = tcpip.AddrFromSlice(r.gateway.AsSlice())
	}
	if r.ifa.IsValid() {
		rt.SourceHint = tcpip.AddrFromSlice(r.ifa.AsSlice())
	}
	return rt
}

// AddRoute adds a route to the family's table (route add). The output
// interface is r.Interface, or the interface of r.Ifa, or the one whose
// link the gateway is on (RTF_GATEWAY) or that has the gateway as its
// address (an interface route). Errors: EINVAL (malformed), EAFNOSUPPORT
// (family), ENXIO (no such interface), ENETUNREACH (no interface for the
// gateway or -ifa), EEXIST (the destination has a route).
func (k *Kernel) AddRoute(family int, r api.Route) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	sr, err := k.newStaticRouteLocked(family, r)
	if err != nil {
		return err
	}
	if err := k.resolveLocked(sr, family, r); err != nil {
		return err
	}
	if sr.ifp == nil {
		return api.Errorf(syscall.EINVAL, "a route needs a gateway or an interface")
	}
	if k.findLocked(sr.dest, sr.ifp.name) != nil {
		return api.Errorf(syscall.EEXIST, sr.dest.String())
	}
	k.routes = append(k.routes, sr)
	k.updateRoutesLocked()
	k.rtmRouteLocked(api.RTM_ADD, sr)
	return nil
}

// DeleteRoute deletes the route to r.Dest (through r.Interface when set)
// (route delete): ESRCH if there is none, EBUSY for a local route.
// Deleting a connected route purges its dynamic neighbour entries.
func (k *Kernel) DeleteRoute(family int, r api.Route) error {
	dest, err := parseDest(family, r.Dest)
	if err != nil {
		return err
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	sr := k.findLocked(dest, r.Interface)
	switch {
	case sr == nil:
		return api.Errorf(syscall.ESRCH, dest.String())
	case sr.flags&api.RTF_LOCAL != 0 || sr.addr != nil && sr.flags&api.RTF_CONNECTED == 0:
		return api.Errorf(syscall.EBUSY, dest.String()+" is a route of a local address")
	case sr.addr != nil:
		k.hideLocked(sr.addr)
	default:
		k.routes = slices.DeleteFunc(k.routes, func(x *staticRoute) bool { return x == sr })
	}
	if sr.flags&api.RTF_CONNECTED != 0 {
		k.purgeNeighborsLocked(sr.ifp, sr.dest)
	}
	k.updateRoutesLocked()
	k.rtmRouteLocked(api.RTM_DELETE, sr)
	return nil
}

// ChangeRoute changes the route to r.Dest (route change): a gateway or
// interface given replaces the old, -ifa and -mtu likewise; RTF_REJECT,
// RTF_BLACKHOLE, RTF_STATIC and RTF_ANNOUNCE in r.Flags are set (route change marks a
// route static, as NetBSD's does) and RTF_REJECT and RTF_BLACKHOLE in
// r.FlagsClear cleared.
// A connected route moved to another interface purges the old interface's
// dynamic neighbour entries under it, as deleting it would.
// ESRCH if there is no such route, EBUSY for a local route, and AddRoute's
// errors for the new values.
func (k *Kernel) ChangeRoute(family int, r api.Route) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	nr, err := k.newStaticRouteLocked(family, r)
	if err != nil {
		return err
	}
	old := k.findLocked(nr.dest, "")
	if old == nil {
		return api.Errorf(syscall.ESRCH, nr.dest.String())
	}
	if old.flags&api.RTF_LOCAL != 0 || old.addr != nil && old.flags&api.RTF_CONNECTED == 0 {
		return api.Errorf(syscall.EBUSY, nr.dest.String()+" is a route of a local address")
	}
	ch := *old
	ch.addr = nil
	if r.Gateway != "" {
		ch.gateway, ch.ifAddr = netip.Addr{}, netip.Addr{}
		ch.flags &^= api.RTF_GATEWAY
		ch.flags |= r.Flags & api.RTF_GATEWAY
	}
	if r.Gateway != "" || r.Interface != "" || r.Ifa != "" {
		ch.ifp = nil // -ifp alone keeps the gateway
	}
	if err := k.resolveLocked(&ch, family, r); err != nil {
		return err
	}
	if ch.ifp == nil {
		ch.ifp = old.ifp
	}
	if r.Ifa == "" && ch.ifa.IsValid() && ch.ifp.findAddr(ch.ifa) < 0 {
		ch.ifa = netip.Addr{} // the old -ifa is not on the new interface
	}
	ch.flags |= r.Flags & (api.RTF_REJECT | api.RTF_BLACKHOLE | api.RTF_STATIC | api.RTF_ANNOUNCE)
	ch.flags &^= r.FlagsClear & (api.RTF_REJECT | api.RTF_BLACKHOLE)
	if r.MTU != 0 {
		ch.mtu = nr.mtu
	}
	oldIfp := old.ifp
	if old.addr != nil {
		k.hideLocked(old.addr)
		k.routes = append(k.routes, &ch)
	} else {
		*old = ch
	}
	if ch.flags&api.RTF_CONNECTED != 0 && ch.ifp != oldIfp {
		k.purgeNeighborsLocked(oldIfp, ch.dest)
	}
	k.updateRoutesLocked()
	k.rtmRouteLocked(api.RTM_CHANGE, &ch)
	return nil
}

// findLocked finds the route to dest, through ifname when it is set.
func (k *Kernel) findLocked(dest netip.Prefix, ifname string) *staticRoute {
	for _, r := range k.tableLocked() {
		if r.dest != dest {
			continue
		}
		if ifname == "" || r.ifp.name == ifname || r.link != nil && r.link.name == ifname {
			return r
		}
	}
	return nil
}

func afName(family int) string {
	if family == 6 {
		return "inet6"
	}
	return "inet"
}

func parseDest(family int, s string) (netip.Prefix, error) {
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return netip.Prefix{}, api.Errorf(syscall.EINVAL, fmt.Sprintf("destination %q", s))
	}
	if p.Addr().Is4() != (family == 4) {
		return netip.Prefix{}, api.Errorf(syscall.EAFNOSUPPORT, s+" is not "+afName(family))
	}
	return p.Masked(), nil
}

// newStaticRouteLocked checks a request's family, destination, flags and
// MTU.
func (k *Kernel) newStaticRouteLocked(family int, r api.Route) (*staticRoute, error) {
	if (family == 4 && !k.comps.inet()) || (family == 6 && !k.comps.inet6()) {
		return nil, api.Errorf(syscall.EAFNOSUPPORT, afName(family))
	}
	dest, err := parseDest(family, r.Dest)
	if err != nil {
		return nil, err
	}
	if r.MTU < 0 || r.MTU > 65535 {
		return nil, api.Errorf(syscall.EINVAL, fmt.Sprintf("mtu %d", r.MTU))
	}
	sr := &staticRoute{dest: dest, mtu: uint32(r.MTU), flags: api.RTF_UP | r.Flags&userFlags}
	if dest.IsSingleIP() {
		sr.flags |= api.RTF_HOST
	}
	return sr, nil
}

// resolveLocked reads a request's gateway, interface and -ifa into sr and
// works out the output interface, leaving sr.ifp nil when the request
// names none of them.
func (k *Kernel) resolveLocked(sr *staticRoute, family int, r api.Route) error {
	ifname := r.Interface
	var err error
	if r.Ifa != "" {
		ifa, perr := netip.ParseAddr(r.Ifa)
		if perr != nil || ifa.Is4() != (family == 4) {
			return api.Errorf(syscall.EINVAL, fmt.Sprintf("ifa %q", r.Ifa))
		}
		ifa = ifa.WithZone("")
		ifp := k.addrOwnerLocked(ifa)
		if ifp == nil && ifname != "" {
			// -ifa names no address of ours but -ifp names the
			// interface: the route takes that interface's address
			// nearest to it, as NetBSD's ifaof_ifpforaddr does.
			if ifa, err = k.ifaForLocked(ifname, ifa); err != nil {
				return err
			}
		} else if ifp == nil {
			return api.Errorf(syscall.ENETUNREACH, ifa.String()+" is not an address of an interface")
		} else if ifname == "" {
			ifname = ifp.name
		}
		sr.ifa = ifa
	}
	if r.Gateway != "" {
		gw, perr := netip.ParseAddr(r.Gateway)
		if perr != nil || gw.Is4() != (family == 4) || gw.IsUnspecified() || gw.IsMulticast() {
			return api.Errorf(syscall.EINVAL, fmt.Sprintf("gateway %q", r.Gateway))
		}
		if ifname == "" {
			ifname = gw.Zone()
		}
		gw = gw.WithZone("")
		if gw.IsLinkLocalUnicast() && ifname == "" {
			return api.Errorf(syscall.EINVAL, "link-local gateway "+gw.String()+" needs an interface")
		}
		if r.Flags&api.RTF_GATEWAY != 0 {
			sr.gateway = gw
		} else {
			sr.ifAddr = gw
		}
		if ifname == "" {
			if sr.ifp, err = k.gatewayIfaceLocked(gw, sr.gateway.IsValid()); err != nil {
				return err
			}
		}
	}
	if sr.ifp == nil && ifname != "" {
		if sr.ifp, err = k.lookupLocked(ifname); err != nil {
			return err
		}
	}
	return nil
}

// ifaForLocked returns the address of the interface named ifname that is
// on near's subnet, or else its first address of near's family;
// EADDRNOTAVAIL if it has none.
func (k *Kernel) ifaForLocked(ifname string, near netip.Addr) (netip.Addr, error) {
	ifp, err := k.lookupLocked(ifname)
	if err != nil {
		return netip.Addr{}, err
	}
	var first netip.Addr
	for _, a := range ifp.addrs {
		if a.prefix.Addr().Is4() != near.Is4() {
			continue
		}
		if a.prefix.Masked().Contains(near) {
			return a.prefix.Addr(), nil
		}
		if !first.IsValid() {
			first = a.prefix.Addr()
		}
	}
	if !first.IsValid() {
		return netip.Addr{}, api.Errorf(syscall.EADDRNOTAVAIL, ifname+" has no address for "+near.String())
	}
	return first, nil
}

// addrOwnerLocked returns the interface that has a as an address, or nil.
func (k *Kernel) addrOwnerLocked(a netip.Addr) *Interface {
	for _, ifp := range k.ifaces {
		if ifp.findAddr(a) >= 0 {
			return ifp
		}
	}
	return nil
}

// gatewayIfaceLocked finds the interface for a gateway: for an interface
// route (via false) the one that has it as an address; otherwise the
// interface of the longest route to a link containing it (a local
// route's is the address's interface), or else of an address whose
// subnet contains it, as NetBSD's ifa_ifwithroute does.
func (k *Kernel) gatewayIfaceLocked(gw netip.Addr, via bool) (*Interface, error) {
	if !via {
		if ifp := k.addrOwnerLocked(gw); ifp != nil {
			return ifp, nil
		}
		return nil, api.Errorf(syscall.ENETUNREACH, gw.String()+" is not an address of an interface")
	}
	if r := k.routeToLocked(gw, true); r != nil {
		if r.flags&api.RTF_LOCAL != 0 && r.link != nil {
			// A gateway that is one of our addresses: the address's
			// interface (NetBSD takes the local route's rt_ifa).
			return r.link, nil
		}
		return r.ifp, nil
	}
	for _, ifp := range k.ifaces {
		for _, a := range ifp.addrs {
			if a.inStack && a.prefix.Masked().Contains(gw) {
				return ifp, nil
			}
		}
	}
	return nil, api.Errorf(syscall.ENETUNREACH, "no interface on the link of "+gw.String())
}
