package rump

// Static routes: the routes route(8) adds, changes and deletes. The kernel
// keeps them in Kernel.routes (guarded by Kernel.mu) and updateRoutesLocked
// merges them with the connected prefixes of the addresses into the
// stack's table. Listings are read back from that table, so what
// rroute and rnetstat show is what the stack routes by.
//
// A static route belongs to its output interface and goes when the
// interface is destroyed, as NetBSD's rt_if_remove does. Connected routes
// come and go with their addresses; they cannot be deleted or changed
// (EBUSY, "entry in use"). gVisor routes have no reject or blackhole
// kind, so such routes are refused (EOPNOTSUPP).

import (
	"bytes"
	"fmt"
	"net/netip"
	"slices"
	"syscall"
	"time"

	"github.com/rumpnet/rumpnet/pkg/api"
	"gvisor.dev/gvisor/pkg/tcpip"
)

// staticRoute is one route added with route add.
type staticRoute struct {
	dest    netip.Prefix // masked
	gateway netip.Addr   // invalid: straight to the interface's link
	ifAddr  netip.Addr   // for an interface route, the address it was given by
	ifp     *Interface
	mtu     uint32
	dynamic bool        // made by an ICMP redirect (RTF_DYNAMIC); see redirect.go
	expires *time.Timer // a dynamic route's removal; nil for none
}

func (r *staticRoute) tcpipRoute() tcpip.Route {
	rt := tcpip.Route{Destination: subnetOf(r.dest), NIC: r.ifp.nic, MTU: r.mtu}
	if r.gateway.IsValid() {
		rt.Gateway = tcpip.AddrFromSlice(r.gateway.AsSlice())
	}
	return rt
}

// staticTableLocked returns the static routes for the stack's table,
// dropping those whose interface has been destroyed.
func (k *Kernel) staticTableLocked() []tcpip.Route {
	k.routes = slices.DeleteFunc(k.routes, func(r *staticRoute) bool {
		return !slices.Contains(k.ifaces, r.ifp)
	})
	table := make([]tcpip.Route, 0, len(k.routes))
	for _, r := range k.routes {
		table = append(table, r.tcpipRoute())
	}
	return table
}

// Routes lists the routes of a family (4 or 6) the stack routes by, in
// NetBSD's order: by destination address, more specific prefixes first.
func (k *Kernel) Routes(family int) []api.Route {
	k.mu.Lock()
	defer k.mu.Unlock()
	byNIC := map[tcpip.NICID]*Interface{}
	for _, ifp := range k.ifaces {
		byNIC[ifp.nic] = ifp
	}
	// The table holds connected routes before static ones of the same
	// prefix length, so the last matches of a static route's key are the
	// static ones.
	table := k.stack.GetRouteTable()
	statics := map[string][]*staticRoute{}
	for _, r := range k.routes {
		key := routeKey(r.tcpipRoute())
		statics[key] = append(statics[key], r)
	}
	seen := map[string]int{}
	total := map[string]int{}
	for _, rt := range table {
		total[routeKey(rt)]++
	}
	var out []api.Route
	for _, rt := range table {
		ifp := byNIC[rt.NIC]
		p := prefixOf(rt.Destination)
		if ifp == nil || (family == 4) != p.Addr().Is4() {
			continue
		}
		key := routeKey(rt)
		seen[key]++
		st := statics[key]
		if seen[key] > total[key]-len(st) {
			out = append(out, st[seen[key]-(total[key]-len(st))-1].info(p))
			continue
		}
		if seen[key] > 1 {
			continue // a second address in the same subnet
		}
		r := api.Route{Dest: p.String(), Interface: ifp.name, Index: int(ifp.nic),
			Flags: api.RTF_UP | api.RTF_CONNECTED}
		if p.IsSingleIP() {
			r.Flags = api.RTF_UP | api.RTF_HOST | api.RTF_LOCAL
		}
		out = append(out, r)
	}
	slices.SortStableFunc(out, compareRoutes)
	return out
}

func (r *staticRoute) info(p netip.Prefix) api.Route {
	out := api.Route{Dest: p.String(), Interface: r.ifp.name, Index: int(r.ifp.nic),
		Flags: api.RTF_UP | api.RTF_STATIC, MTU: int(r.mtu)}
	if r.dynamic {
		out.Flags = api.RTF_UP | api.RTF_DYNAMIC
	}
	if r.gateway.IsValid() {
		out.Gateway = r.gateway.String()
		out.Flags |= api.RTF_GATEWAY
	} else if r.ifAddr.IsValid() {
		out.Gateway = r.ifAddr.String()
	}
	if p.IsSingleIP() {
		out.Flags |= api.RTF_HOST
	}
	return out
}

func routeKey(rt tcpip.Route) string {
	return fmt.Sprintf("%s|%s|%d", rt.Destination, rt.Gateway, rt.NIC)
}

func prefixOf(s tcpip.Subnet) netip.Prefix {
	id := s.ID()
	a, _ := netip.AddrFromSlice(id.AsSlice())
	return netip.PrefixFrom(a, s.Prefix())
}

// compareRoutes orders routes as NetBSD's radix tree lists them: by
// destination address (IPv6 link-local ones with their interface index
// in the address, as the KAME kernel embeds it), then longer prefixes
// first.
func compareRoutes(a, b api.Route) int {
	pa, pb := netip.MustParsePrefix(a.Dest), netip.MustParsePrefix(b.Dest)
	if c := bytes.Compare(sortKey(pa.Addr(), a.Index), sortKey(pb.Addr(), b.Index)); c != 0 {
		return c
	}
	return pb.Bits() - pa.Bits()
}

func sortKey(a netip.Addr, index int) []byte {
	b := a.AsSlice()
	if a.Is6() && (a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast()) {
		b[2], b[3] = byte(index>>8), byte(index)
	}
	return b
}

// AddRoute adds a static route to the family's table (route add). The
// output interface is r.Interface or, without it, the one whose link the
// gateway is on (RTF_GATEWAY) or that has the gateway as its address (an
// interface route). Errors: EINVAL (malformed), EAFNOSUPPORT (family),
// EOPNOTSUPP (reject, blackhole), ENXIO (no such interface), ENETUNREACH
// (no interface for the gateway), EEXIST (the destination has a route).
func (k *Kernel) AddRoute(family int, r api.Route) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	sr, err := k.newStaticRouteLocked(family, r)
	if err != nil {
		return err
	}
	if k.findRouteLocked(sr.dest) != nil || k.connectedLocked(sr.dest) {
		return api.Errorf(syscall.EEXIST, sr.dest.String())
	}
	k.routes = append(k.routes, sr)
	k.updateRoutesLocked()
	return nil
}

// DeleteRoute deletes the static route to r.Dest (route delete): ESRCH if
// there is none, EBUSY for a connected route.
func (k *Kernel) DeleteRoute(family int, r api.Route) error {
	dest, err := parseDest(family, r.Dest)
	if err != nil {
		return err
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	sr := k.findRouteLocked(dest)
	if sr == nil {
		return k.missingRouteLocked(dest)
	}
	k.routes = slices.DeleteFunc(k.routes, func(x *staticRoute) bool { return x == sr })
	k.updateRoutesLocked()
	return nil
}

// ChangeRoute gives the static route to r.Dest a new gateway, interface
// and MTU (route change): ESRCH if there is none, EBUSY for a connected
// route, and AddRoute's errors for the new values.
func (k *Kernel) ChangeRoute(family int, r api.Route) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	sr, err := k.newStaticRouteLocked(family, r)
	if err != nil {
		return err
	}
	old := k.findRouteLocked(sr.dest)
	if old == nil {
		return k.missingRouteLocked(sr.dest)
	}
	*old = *sr
	k.updateRoutesLocked()
	return nil
}

func (k *Kernel) missingRouteLocked(dest netip.Prefix) error {
	if k.connectedLocked(dest) {
		return api.Errorf(syscall.EBUSY, dest.String()+" is a connected route")
	}
	return api.Errorf(syscall.ESRCH, dest.String())
}

func (k *Kernel) findRouteLocked(dest netip.Prefix) *staticRoute {
	for _, r := range k.routes {
		if r.dest == dest {
			return r
		}
	}
	return nil
}

// connectedLocked reports whether the stack has a connected route to dest:
// a route to it besides the static one.
func (k *Kernel) connectedLocked(dest netip.Prefix) bool {
	n := 0
	for _, rt := range k.stack.GetRouteTable() {
		if prefixOf(rt.Destination) == dest {
			n++
		}
	}
	if k.findRouteLocked(dest) != nil {
		n--
	}
	return n > 0
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

// newStaticRouteLocked checks a request and works out its interface.
func (k *Kernel) newStaticRouteLocked(family int, r api.Route) (*staticRoute, error) {
	if r.Flags&(api.RTF_REJECT|api.RTF_BLACKHOLE) != 0 {
		return nil, api.Errorf(syscall.EOPNOTSUPP, "reject and blackhole routes: the stack has no such routes")
	}
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
	sr := &staticRoute{dest: dest, mtu: uint32(r.MTU)}
	ifname := r.Interface
	if r.Gateway != "" {
		gw, err := netip.ParseAddr(r.Gateway)
		if err != nil || gw.Is4() != (family == 4) || gw.IsUnspecified() || gw.IsMulticast() {
			return nil, api.Errorf(syscall.EINVAL, fmt.Sprintf("gateway %q", r.Gateway))
		}
		if ifname == "" {
			ifname = gw.Zone()
		}
		gw = gw.WithZone("")
		if gw.IsLinkLocalUnicast() && ifname == "" {
			return nil, api.Errorf(syscall.EINVAL, "link-local gateway "+gw.String()+" needs an interface")
		}
		if r.Flags&api.RTF_GATEWAY != 0 {
			sr.gateway = gw
		} else {
			sr.ifAddr = gw
		}
		if ifname == "" {
			if sr.ifp, err = k.gatewayIfaceLocked(gw, sr.gateway.IsValid()); err != nil {
				return nil, err
			}
		}
	}
	if sr.ifp == nil {
		if ifname == "" {
			return nil, api.Errorf(syscall.EINVAL, "a route needs a gateway or an interface")
		}
		if sr.ifp, err = k.lookupLocked(ifname); err != nil {
			return nil, err
		}
	}
	return sr, nil
}

// gatewayIfaceLocked finds the interface for a gateway: the one whose
// link it is on (the longest connected or interface route to it), or for
// an interface route (via false) the one that has it as an address.
func (k *Kernel) gatewayIfaceLocked(gw netip.Addr, via bool) (*Interface, error) {
	if !via {
		for _, ifp := range k.ifaces {
			if ifp.findAddr(gw) >= 0 {
				return ifp, nil
			}
		}
		return nil, api.Errorf(syscall.ENETUNREACH, gw.String()+" is not an address of an interface")
	}
	var best *Interface
	bits := -1
	for _, rt := range k.stack.GetRouteTable() {
		p := prefixOf(rt.Destination)
		if rt.Gateway.Len() != 0 || !p.Contains(gw) || p.Bits() <= bits {
			continue
		}
		for _, ifp := range k.ifaces {
			if ifp.nic == rt.NIC {
				best, bits = ifp, p.Bits()
			}
		}
	}
	if best == nil {
		return nil, api.Errorf(syscall.ENETUNREACH, "no interface on the link of "+gw.String())
	}
	return best, nil
}
