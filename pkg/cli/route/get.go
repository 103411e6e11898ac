package route

import (
	"cmp"
	"fmt"
	"net/netip"

	"github.com/rumpnet/rumpnet/internal/xo"
	"github.com/rumpnet/rumpnet/pkg/api"
	"github.com/rumpnet/rumpnet/pkg/cli/rtutil"
)

// lookup finds the route the kernel would use for dest, as RTM_GET does:
// the longest prefix containing a host, or exactly the network given with
// a mask; only routes through ifname when it is set (a link-local
// destination's zone). ok is false when there is none.
func lookup(routes []api.Route, dest netip.Prefix, exact bool, ifname string) (api.Route, bool) {
	if ifname == "" && (dest.Addr().IsLinkLocalUnicast() || dest.Addr().IsLinkLocalMulticast()) && dest.Addr().Is6() {
		// A link-local address names nothing without its link: NetBSD's
		// table keys it with the zone, and a lookup without one is "not
		// in table" (t_ipv6address linklocal_ops).
		return api.Route{}, false
	}
	var best api.Route
	bits := -1
	for _, r := range routes {
		p, err := netip.ParsePrefix(r.Dest)
		if err != nil || ifname != "" && cmp.Or(r.Link, r.Interface) != ifname {
			continue
		}
		if exact && p == dest || !exact && p.Contains(dest.Addr()) && p.Bits() > bits {
			best, bits = r, p.Bits()
		}
	}
	return best, bits >= 0
}

// sourceFor picks the address the kernel sends from over a route: one of
// the interface's addresses of the family, preferably on the next hop's
// subnet, never one duplicated, detached or anycast, and one still
// tentative only when there is no other: NetBSD gives a route its
// address when it is added, DAD or not.
func sourceFor(ifc api.Interface, family int, next netip.Addr) (netip.Addr, bool) {
	addrs, tentative := ifc.Inet, api.IN_IFF_TENTATIVE
	unusable := api.IN_IFF_DUPLICATED | api.IN_IFF_DETACHED
	if family == 6 {
		addrs, tentative = ifc.Inet6, api.IN6_IFF_TENTATIVE
		unusable = api.IN6_IFF_DUPLICATED | api.IN6_IFF_DETACHED | api.IN6_IFF_ANYCAST
	}
	if src, ok := pickSource(addrs, unusable|tentative, next); ok {
		return src, true
	}
	return pickSource(addrs, unusable, next)
}

// pickSource is sourceFor's choice among the addresses without any of
// the unusable flags.
func pickSource(addrs []api.IfAddr, unusable int, next netip.Addr) (netip.Addr, bool) {
	var first netip.Addr
	for _, a := range addrs {
		p, err := netip.ParsePrefix(a.Addr)
		if err != nil || a.Flags&unusable != 0 {
			continue
		}
		if p.Contains(next) {
			return p.Addr(), true
		}
		if !first.IsValid() && (next.IsLinkLocalUnicast() == p.Addr().IsLinkLocalUnicast()) {
			first = p.Addr()
		}
	}
	return first, first.IsValid()
}

// getReply is what route get reports about a route, as text.
type getReply struct {
	routeTo, dest string
	mask          string // "" for a host route
	gateway       string // "" without RTF_GATEWAY
	local         string // the source address, "" if there is none
	ifname        string
	flags         int
	mtu           int
}

// get prints the route to a destination as route get does.
func (x *executor) get() int {
	r := x.r
	routes, err := x.b.Routes(r.family)
	if err != nil {
		return x.fail(err)
	}
	rt, ok := lookup(routes, r.dest, r.masked, r.route.Interface)
	if !ok {
		x.t.Warnx("writing to routing socket: %s", "not in table")
		return 1
	}
	gw, _ := netip.ParseAddr(rt.Gateway)
	if r.short && r.xo.Style == xo.Text {
		if rt.Flags&api.RTF_GATEWAY == 0 {
			return 1
		}
		fmt.Fprintln(x.t.Stdout, rtutil.Routename(gw, rt.Interface, x.names()))
		return 0
	}
	ifs, err := x.b.Interfaces()
	if err != nil {
		return x.fail(err)
	}
	g := x.reply(rt, gw, ifs)
	if r.xo.Style != xo.Text {
		if err := emitGet(x.t.Stdout, r.xo, g); err != nil {
			return x.t.Report(err)
		}
		return 0
	}
	w := x.t.Stdout
	fmt.Fprintf(w, "   route to: %s\n", g.routeTo)
	fmt.Fprintf(w, "destination: %s\n", g.dest)
	if g.mask != "" {
		fmt.Fprintf(w, "       mask: %s\n", g.mask)
	}
	if g.gateway != "" {
		fmt.Fprintf(w, "    gateway: %s\n", g.gateway)
	}
	if g.local != "" {
		fmt.Fprintf(w, " local addr: %s\n", g.local)
	}
	fmt.Fprintf(w, "  interface: %s\n", g.ifname)
	fmt.Fprintf(w, "      flags: %#x%s\n", g.flags, rtutil.FlagNames(g.flags))
	fmt.Fprintln(w, " recvpipe  sendpipe  ssthresh  rtt,msec    rttvar  hopcount      mtu     expire")
	for i, v := range []int{0, 0, 0, 0, 0, 0, g.mtu, 0} {
		if i < 7 {
			fmt.Fprintf(w, "%8d%c ", v, ' ')
		} else {
			fmt.Fprintf(w, "%8d%c\n", v, ' ')
		}
	}
	return 0
}

// reply works out what get reports about rt, the route to the request's
// destination through gw.
func (x *executor) reply(rt api.Route, gw netip.Addr, ifs []api.Interface) getReply {
	r := x.r
	dest := netip.MustParsePrefix(rt.Dest)
	g := getReply{
		routeTo: rtutil.Routename(r.dest.Addr(), r.route.Interface, x.names()),
		dest:    rtutil.Routename(dest.Addr(), cmp.Or(rt.Link, rt.Interface), x.names()),
		ifname:  rt.Interface,
		flags:   rt.Flags | api.RTF_DONE,
		mtu:     rt.MTU,
	}
	if rt.Flags&api.RTF_HOST == 0 {
		g.mask = "default"
		if dest.Bits() > 0 {
			g.mask = netip.PrefixFrom(onesAddr(r.family), dest.Bits()).Masked().Addr().String()
		}
	}
	if rt.Flags&api.RTF_GATEWAY != 0 {
		g.gateway = rtutil.Routename(gw, rt.Interface, x.names())
	}
	next := gw
	if !next.IsValid() {
		next = r.dest.Addr()
	}
	if ifa, err := netip.ParseAddr(rt.Ifa); err == nil {
		// The route's own source address (-ifa, or the one the
		// kernel gave it for -ifp).
		g.local = rtutil.Routename(ifa, rt.Interface, x.names())
		return g
	}
	for _, ifc := range ifs {
		if rt.Flags&api.RTF_LOCAL != 0 {
			// A local route's source is the address itself.
			g.local = rtutil.Routename(dest.Addr(), rt.Link, x.names())
			break
		}
		if ifc.Name != rt.Interface {
			continue
		}
		if src, ok := sourceFor(ifc, r.family, next); ok {
			g.local = rtutil.Routename(src, rt.Interface, x.names())
		}
	}
	return g
}

func onesAddr(family int) netip.Addr {
	if family == 6 {
		return netip.AddrFrom16([16]byte{0: 0xff, 1: 0xff, 2: 0xff, 3: 0xff, 4: 0xff, 5: 0xff, 6: 0xff, 7: 0xff,
			8: 0xff, 9: 0xff, 10: 0xff, 11: 0xff, 12: 0xff, 13: 0xff, 14: 0xff, 15: 0xff})
	}
	return netip.AddrFrom4([4]byte{0xff, 0xff, 0xff, 0xff})
}
