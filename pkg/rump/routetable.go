package rump

// The kernel's routing table, as NetBSD keeps it, and how it is
// programmed into gVisor's.
//
// The table is computed, under Kernel.mu, from two sources: the addresses
// of the interfaces and the routes route(8) added (Kernel.routes). Each
// usable address gives
//
//   - a connected route to its prefix through its interface (UC), unless
//     route(8) deleted or changed it (Kernel.hidden names the address);
//   - a local host route to the address itself through lo0 (UHl), its
//     gateway the address's own interface (link#N);
//
// except that an IPv4 address of a loopback interface gives only the
// local route, and an address with a full-length prefix only one host
// route (UH on a loopback interface, UHl elsewhere), as NetBSD's
// in_ifinit and in6_ifinit do.
//
// gVisor's table gets the connected routes and the added ones. Local
// routes need no entry there (gVisor delivers to its own addresses
// before it looks at routes). gVisor's routes have no reject or
// blackhole kind, so:
//
//   - a -reject route is a hole: every less specific route that covers
//     it is replaced by the pieces of its prefix outside the reject
//     route's, so the stack finds no route there. A local sender then
//     gets an unreachable error, and a packet being forwarded an ICMP
//     host unreachable back, as NetBSD's reject routes give;
//   - a -blackhole route leads to the discard NIC (blackhole.go).
//
// updateRoutesLocked recomputes and installs gVisor's table after every
// change of addresses, interfaces or routes.

import (
	"bytes"
	"net/netip"
	"slices"
	"sort"

	"github.com/rumpnet/rumpnet/pkg/api"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv6"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
)

// tableLocked returns every route of the kernel: those its addresses give
// and those route(8) added, dropping added ones whose interface is gone
// and forgetting deleted connected routes of addresses that are gone.
func (k *Kernel) tableLocked() []*staticRoute {
	k.routes = slices.DeleteFunc(k.routes, func(r *staticRoute) bool {
		return !slices.Contains(k.ifaces, r.ifp)
	})
	live := map[*ifaddr]bool{}
	var out []*staticRoute
	seen := map[string]bool{}
	add := func(r *staticRoute) {
		key := r.dest.String() + "%" + r.ifp.name
		if r.flags&api.RTF_LOCAL != 0 {
			key = r.dest.String()
		}
		if !seen[key] {
			seen[key] = true
			out = append(out, r)
		}
	}
	for _, ifp := range k.ifaces {
		loop := ifp.cloner == "lo"
		lo := k.loopbackLocked(ifp)
		for _, a := range ifp.addrs {
			if a.flags()&a.duplicatedBit() != 0 {
				continue
			}
			live[a] = true
			p := a.prefix.Masked()
			full := p.IsSingleIP()
			local := &staticRoute{dest: netip.PrefixFrom(a.prefix.Addr(), a.prefix.Addr().BitLen()),
				ifp: lo, link: ifp, addr: a, flags: api.RTF_UP | api.RTF_HOST | api.RTF_LOCAL}
			if !a.inStack {
				// A tentative inet address has its local and connected
				// routes from the start, as NetBSD's in_ifinit adds
				// them before DAD.
				if a.is4() && a.dad.Load() == dadTentative && !loop {
					if !full && !k.hidden[a] {
						add(&staticRoute{dest: p, ifp: ifp, link: ifp, addr: a, flags: api.RTF_UP | api.RTF_CONNECTED})
					}
					add(local)
				}
				continue
			}
			if a.dest.IsValid() {
				// Point-to-point: a host route to the destination, as
				// NetBSD's p2p_rtrequest, instead of the connected one.
				add(&staticRoute{dest: netip.PrefixFrom(a.dest, a.dest.BitLen()), ifp: ifp, link: ifp, addr: a,
					flags: api.RTF_UP | api.RTF_HOST})
				add(local)
				continue
			}
			switch {
			case full && loop:
				add(&staticRoute{dest: p, ifp: ifp, link: ifp, addr: a, flags: api.RTF_UP | api.RTF_HOST})
			case full || loop && a.is4():
				add(local)
			default:
				if !k.hidden[a] {
					add(&staticRoute{dest: p, ifp: ifp, link: ifp, addr: a, flags: api.RTF_UP | api.RTF_CONNECTED})
				}
				add(local)
			}
		}
	}
	for a := range k.hidden {
		if !live[a] {
			delete(k.hidden, a)
		}
	}
	return append(out, k.routes...)
}

// loopbackLocked is the interface local routes go through: lo0, or the
// interface of the address when the kernel has none.
func (k *Kernel) loopbackLocked(ifp *Interface) *Interface {
	for _, lo := range k.ifaces {
		if lo.name == "lo0" {
			return lo
		}
	}
	return ifp
}

// updateRoutesLocked installs the routing table into the stack.
func (k *Kernel) updateRoutesLocked() {
	defer k.rtmConnectedLocked()
	entries := k.tableLocked()
	var table []tcpip.Route
	var holes []netip.Prefix
	for _, r := range entries {
		switch {
		case r.flags&api.RTF_REJECT != 0:
			holes = append(holes, r.dest)
		case r.flags&api.RTF_BLACKHOLE != 0:
			if k.discardNICLocked() {
				table = append(table, tcpip.Route{Destination: subnetOf(r.dest), NIC: discardNIC})
			}
		case r.flags&api.RTF_LOCAL != 0:
		default:
			table = append(table, r.tcpipRoute())
		}
	}
	for _, h := range holes {
		table = punch(table, h)
	}
	sort.SliceStable(table, func(i, j int) bool {
		return table[i].Destination.Prefix() > table[j].Destination.Prefix()
	})
	k.stack.SetRouteTable(table)
	k.invalidateLookups()
	for _, ifp := range k.ifaces {
		k.syncProxyLocked(ifp) // host routes with -proxy publish their destination
		k.syncProxyNDPLocked(ifp)
	}
}

// punch replaces every route whose prefix strictly covers hole by the
// pieces of its prefix outside hole, leaving out those inside a more
// specific route that also covers hole (that route's own pieces stand
// for it there). A hole so adds at most one piece per prefix length.
func punch(table []tcpip.Route, hole netip.Prefix) []tcpip.Route {
	covers := func(p netip.Prefix) bool {
		return p.Addr().Is4() == hole.Addr().Is4() && p.Bits() < hole.Bits() && p.Contains(hole.Addr())
	}
	var lengths []int
	for _, rt := range table {
		if p := prefixOf(rt.Destination); covers(p) {
			lengths = append(lengths, p.Bits())
		}
	}
	var out []tcpip.Route
	for _, rt := range table {
		p := prefixOf(rt.Destination)
		if !covers(p) {
			out = append(out, rt)
			continue
		}
		stop := hole.Bits()
		for _, l := range lengths {
			if l > p.Bits() && l < stop {
				stop = l
			}
		}
		for _, piece := range outside(p, hole) {
			if piece.Bits() > stop {
				break
			}
			r := rt
			r.Destination = subnetOf(piece)
			out = append(out, r)
		}
	}
	return out
}

// outside returns the prefixes that cover p except hole, which p strictly
// covers: at each length below hole's, the sibling of hole's ancestor.
func outside(p, hole netip.Prefix) []netip.Prefix {
	var out []netip.Prefix
	b := hole.Addr().AsSlice()
	for bits := p.Bits() + 1; bits <= hole.Bits(); bits++ {
		s := slices.Clone(b)
		s[(bits-1)/8] ^= 0x80 >> ((bits - 1) % 8)
		a, _ := netip.AddrFromSlice(s)
		out = append(out, netip.PrefixFrom(a, bits).Masked())
	}
	return out
}

// purgeNeighborsLocked removes the dynamic neighbour entries of ifp in p,
// as deleting a connected route frees the ARP and NDP entries under it.
func (k *Kernel) purgeNeighborsLocked(ifp *Interface, p netip.Prefix) {
	proto := tcpip.NetworkProtocolNumber(ipv4.ProtocolNumber)
	if p.Addr().Is6() {
		proto = ipv6.ProtocolNumber
	}
	entries, err := k.stack.Neighbors(ifp.nic, proto)
	if err != nil {
		return
	}
	for _, e := range entries {
		a, _ := netip.AddrFromSlice(e.Addr.AsSlice())
		if e.State != stack.Static && p.Contains(a) {
			k.stack.RemoveNeighbor(ifp.nic, proto, e.Addr)
		}
	}
}

// Routes lists the routes of a family (4 or 6) in NetBSD's order: by
// destination address, more specific prefixes first.
func (k *Kernel) Routes(family int) []api.Route {
	k.mu.Lock()
	defer k.mu.Unlock()
	var out []api.Route
	for _, r := range k.tableLocked() {
		if r.dest.Addr().Is4() == (family == 4) {
			out = append(out, r.info())
		}
	}
	slices.SortStableFunc(out, compareRoutes)
	return out
}

// info is the route as the control interface shows it.
func (r *staticRoute) info() api.Route {
	out := api.Route{Dest: r.dest.String(), Interface: r.ifp.name, Index: int(r.ifp.nic),
		Flags: r.flags, MTU: int(r.mtu)}
	switch {
	case r.flags&api.RTF_LOCAL != 0:
		out.Index, out.Link = int(r.link.nic), r.link.name // shown as gateway link#N
	case r.gateway.IsValid():
		out.Gateway = r.gateway.String()
	case r.ifAddr.IsValid():
		out.Gateway = r.ifAddr.String()
	}
	if r.ifa.IsValid() {
		out.Ifa = r.ifa.String()
	}
	if r.ifp.cloner == "lo" && out.MTU == 0 {
		out.MTU = int(r.ifp.ep.MTU())
	}
	return out
}

// lookupLocked finds the route the kernel would use to reach a (NetBSD's
// rtalloc): the longest prefix containing it, among the routes to a link
// only (no RTF_GATEWAY, reject or blackhole) when direct is set.
func (k *Kernel) routeToLocked(a netip.Addr, direct bool) *staticRoute {
	var best *staticRoute
	for _, r := range k.tableLocked() {
		if !r.dest.Contains(a) || best != nil && r.dest.Bits() <= best.dest.Bits() {
			continue
		}
		if direct && r.flags&(api.RTF_GATEWAY|api.RTF_REJECT|api.RTF_BLACKHOLE) != 0 {
			continue
		}
		best = r
	}
	return best
}

// hideLocked marks the connected route of an address deleted or replaced.
func (k *Kernel) hideLocked(a *ifaddr) {
	if k.hidden == nil {
		k.hidden = map[*ifaddr]bool{}
	}
	k.hidden[a] = true
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
