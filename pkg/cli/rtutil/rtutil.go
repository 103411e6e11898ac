// Package rtutil holds what the routing tools (rroute, rnetstat, rarp,
// rndp) share, as NetBSD's sbin/route/rtutil.c does for route(8) and
// netstat(1): printing routing tables, naming hosts and networks, route
// flag letters, and reading addresses the way inet_aton(3) and
// inet_network(3) do. How a tool reports its errors is internal/cli's.
//
// It formats and parses only; it must not talk to a kernel or print
// messages.
package rtutil

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rumpnet/rumpnet/pkg/api"
)

// Resolver names an address, returning "" when it has no name. A nil
// Resolver prints numbers (-n).
type Resolver func(netip.Addr) string

// LookupName is the host's resolver (hosts file, then DNS) with a
// one-second limit, as the tools use it without -n. A name in the local
// host's own domain loses the domain, as NetBSD's routename does.
func LookupName(a netip.Addr) string {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	names, err := net.DefaultResolver.LookupAddr(ctx, a.WithZone("").String())
	if err != nil || len(names) == 0 {
		return ""
	}
	name := strings.TrimSuffix(names[0], ".")
	if host, err := os.Hostname(); err == nil {
		if _, domain, ok := strings.Cut(host, "."); ok {
			name = strings.TrimSuffix(name, "."+domain)
		}
	}
	return name
}

// withZone adds the interface to an IPv6 link-local address, as KAME's
// getnameinfo prints it ("fe80::1%virt0").
func withZone(a netip.Addr, ifname string) netip.Addr {
	if a.Is6() && (a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast()) && ifname != "" {
		return a.WithZone(ifname)
	}
	return a
}

// Routename names a host: "default" for the unspecified IPv4 address, its
// name when r finds one, else the number (IPv6 link-local ones with their
// interface).
func Routename(a netip.Addr, ifname string, r Resolver) string {
	if a.Is4() && a.IsUnspecified() {
		return "default"
	}
	if r != nil {
		if name := r(a); name != "" {
			return name
		}
	}
	return withZone(a, ifname).String()
}

// Netname names a network as NetBSD's netname does: "default" for the
// default route; IPv4 numbers without their trailing zero bytes
// ("10.1/16", "127/8"); IPv6 as address/len, the address named by r when
// it can be.
func Netname(p netip.Prefix, ifname string, r Resolver) string {
	a, bits := p.Addr(), p.Bits()
	if a.IsUnspecified() && bits == 0 {
		return "default"
	}
	if a.Is4() {
		b := a.As4()
		switch {
		case bits < 9:
			return fmt.Sprintf("%d/%d", b[0], bits)
		case bits < 17:
			return fmt.Sprintf("%d.%d/%d", b[0], b[1], bits)
		case bits < 25:
			return fmt.Sprintf("%d.%d.%d/%d", b[0], b[1], b[2], bits)
		}
		return fmt.Sprintf("%s/%d", a, bits)
	}
	host := withZone(a, ifname).String()
	if r != nil {
		if name := r(a); name != "" {
			host = name
		}
	}
	return fmt.Sprintf("%s/%d", host, bits)
}

// flagLetters are the route flags as netstat -r shows them, in NetBSD's
// order.
var flagLetters = []struct {
	bit    int
	letter byte
}{
	{api.RTF_UP, 'U'}, {api.RTF_GATEWAY, 'G'}, {api.RTF_HOST, 'H'}, {api.RTF_REJECT, 'R'},
	{api.RTF_BLACKHOLE, 'B'}, {api.RTF_DYNAMIC, 'D'}, {api.RTF_MODIFIED, 'M'}, {api.RTF_DONE, 'd'},
	{api.RTF_MASK, 'm'}, {api.RTF_CONNECTED, 'C'}, {api.RTF_XRESOLVE, 'X'}, {api.RTF_LLDATA, 'L'},
	{api.RTF_STATIC, 'S'}, {api.RTF_PROTO1, '1'}, {api.RTF_PROTO2, '2'}, {api.RTF_ANNOUNCE, 'p'},
	{api.RTF_LOCAL, 'l'}, {api.RTF_BROADCAST, 'b'},
}

// FlagLetters spells route flags ("UGS").
func FlagLetters(f int) string {
	var b []byte
	for _, l := range flagLetters {
		if f&l.bit != 0 {
			b = append(b, l.letter)
		}
	}
	return string(b)
}

// flagNames names the route flag bits from bit 0 up, as route get and
// route -v print them.
var flagNames = []string{"UP", "GATEWAY", "HOST", "REJECT", "DYNAMIC", "MODIFIED", "DONE",
	"MASK_PRESENT", "CONNECTED", "XRESOLVE", "LLINFO", "STATIC", "BLACKHOLE", "CLONED",
	"PROTO2", "PROTO1", "", "", "LOCAL", "BROADCAST"}

// FlagNames spells route flags as NetBSD's bprintf does:
// "<UP,GATEWAY,DONE,STATIC>", or "none".
func FlagNames(f int) string {
	if f == 0 {
		return "none"
	}
	var set []string
	for i, n := range flagNames {
		if n != "" && f&(1<<i) != 0 {
			set = append(set, n)
		}
	}
	return "<" + strings.Join(set, ",") + ">"
}

// Table is one family's routes and neighbour entries.
type Table struct {
	Family    int
	Routes    []api.Route
	Neighbors []api.Neighbor
}

// Options choose what PrintTables shows.
type Options struct {
	Resolve     Resolver // nil: numbers (-n)
	NoLinkLayer bool     // -L: no neighbour entries
	Verbose     bool     // -v: route metrics
	Interesting int      // flag bits shown; netstat shows all, route show some
}

// RouteShowFlags are the flags route show prints.
const RouteShowFlags = api.RTF_UP | api.RTF_GATEWAY | api.RTF_HOST | api.RTF_REJECT |
	api.RTF_LLDATA | api.RTF_LOCAL | api.RTF_BROADCAST

// row is one line of a routing table.
type row struct {
	dest, gateway, ifname string
	flags, mtu            int
	key                   netip.Prefix // where the row sorts
	index                 int          // the zone of a link-local key
}

// compareRows orders rows as NetBSD's radix tree lists them: by
// destination address (IPv6 link-local ones with their interface index
// in the address, as the KAME kernel embeds it), then longer prefixes
// first. Neighbour entries so come right after the route to their link.
func compareRows(a, b row) int {
	ka, kb := a.key.Addr().AsSlice(), b.key.Addr().AsSlice()
	for _, k := range []struct {
		b     []byte
		a     netip.Addr
		index int
	}{{ka, a.key.Addr(), a.index}, {kb, b.key.Addr(), b.index}} {
		if k.a.Is6() && (k.a.IsLinkLocalUnicast() || k.a.IsLinkLocalMulticast()) {
			k.b[2], k.b[3] = byte(k.index>>8), byte(k.index)
		}
	}
	if c := bytes.Compare(ka, kb); c != 0 {
		return c
	}
	return b.key.Bits() - a.key.Bits()
}

// PrintTables prints routing tables as netstat -r and route show do: a
// title, then for each family with entries a heading, the column names
// and its routes followed by its neighbour entries (NetBSD lists ARP and
// NDP entries as host routes with flag L).
func PrintTables(w io.Writer, tables []Table, o Options) {
	fmt.Fprintln(w, "Routing tables")
	for _, t := range tables {
		rows := o.rows(t)
		if len(rows) == 0 {
			continue
		}
		fmt.Fprintf(w, "\n%s:\n", familyName(t.Family))
		dw, gw := o.widths(t.Family)
		fmt.Fprintf(w, "%-*.*s %-*.*s %-6.6s %6.6s %8.8s %6.6s %s\n",
			dw, dw, "Destination", gw, gw, "Gateway", "Flags", "Refs", "Use", "Mtu", "Interface")
		for _, r := range rows {
			o.column(w, r.dest, dw)
			o.column(w, r.gateway, gw)
			fmt.Fprintf(w, "%-6.6s %6s %8s ", FlagLetters(r.flags&o.Interesting), "-", "-")
			if r.mtu != 0 {
				fmt.Fprintf(w, "%6d", r.mtu)
			} else {
				fmt.Fprintf(w, "%6s", "-")
			}
			fmt.Fprintf(w, "  %.16s\n", r.ifname)
			if o.Verbose {
				fmt.Fprintf(w, "\texpire   %10d%c  recvpipe %10d%c  sendpipe %10d%c\n", 0, ' ', 0, ' ', 0, ' ')
				fmt.Fprintf(w, "\tssthresh %10d%c  rtt      %10d%c  rttvar   %10d%c\n", 0, ' ', 0, ' ', 0, ' ')
				fmt.Fprintf(w, "\thopcount %10d%c\n", 0, ' ')
			}
		}
	}
}

// rows are a table's lines in the kernel's order.
func (o Options) rows(t Table) []row {
	var rows []row
	for _, r := range t.Routes {
		rows = append(rows, o.routeRow(r))
	}
	if !o.NoLinkLayer {
		for _, n := range t.Neighbors {
			if n.Local {
				continue // shown as the address's local route
			}
			rows = append(rows, o.neighborRow(n))
		}
	}
	slices.SortStableFunc(rows, compareRows)
	return rows
}

func familyName(family int) string {
	if family == 6 {
		return "Internet6"
	}
	return "Internet"
}

// widths are the destination and gateway column widths: wider for IPv6
// numbers, which are never cut.
func (o Options) widths(family int) (int, int) {
	if family == 6 && o.Resolve == nil {
		return 39, 30
	}
	return 18, 18
}

// column prints a field and a space: names are cut to the width, numbers
// (-n) never are.
func (o Options) column(w io.Writer, s string, width int) {
	if o.Resolve == nil {
		fmt.Fprintf(w, "%-*s ", width, s)
		return
	}
	fmt.Fprintf(w, "%-*.*s ", width, width, s)
}

func (o Options) routeRow(r api.Route) row {
	p, _ := netip.ParsePrefix(r.Dest)
	out := row{ifname: r.Interface, flags: r.Flags, mtu: r.MTU, key: p, index: r.Index}
	if r.Flags&api.RTF_HOST != 0 {
		out.dest = Routename(p.Addr(), cmp.Or(r.Link, r.Interface), o.Resolve)
	} else {
		out.dest = Netname(p, r.Interface, o.Resolve)
	}
	if gw, err := netip.ParseAddr(r.Gateway); err == nil {
		out.gateway = Routename(gw, r.Interface, o.Resolve)
	} else {
		out.gateway = "link#" + strconv.Itoa(r.Index)
	}
	return out
}

func (o Options) neighborRow(n api.Neighbor) row {
	a, _ := netip.ParseAddr(n.Addr)
	out := row{dest: Routename(a, n.Interface, o.Resolve), gateway: n.LinkAddr, ifname: n.Interface,
		flags: api.RTF_UP | api.RTF_HOST | api.RTF_LLDATA, key: netip.PrefixFrom(a, a.BitLen()), index: n.Index}
	if n.Permanent {
		out.flags |= api.RTF_STATIC
	}
	if out.gateway == "" {
		out.gateway = "link#" + strconv.Itoa(n.Index)
	}
	return out
}

// InetAton reads an IPv4 address as inet_aton(3) does: one to four parts,
// each decimal, octal (leading 0) or hex (0x); the last part fills the
// remaining bytes ("10.1" is 10.0.0.1).
func InetAton(s string) (netip.Addr, bool) {
	parts := strings.Split(s, ".")
	if len(parts) > 4 {
		return netip.Addr{}, false
	}
	var v []uint64
	for _, p := range parts {
		n, ok := cNumber(p)
		if !ok {
			return netip.Addr{}, false
		}
		v = append(v, n)
	}
	var addr uint64
	last := v[len(v)-1]
	for i, n := range v[:len(v)-1] {
		if n > 0xff {
			return netip.Addr{}, false
		}
		addr |= n << (24 - 8*i)
	}
	if last >= 1<<(32-8*(len(v)-1)) {
		return netip.Addr{}, false
	}
	addr |= last
	return netip.AddrFrom4([4]byte{byte(addr >> 24), byte(addr >> 16), byte(addr >> 8), byte(addr)}), true
}

// InetNetwork reads a network number as inet_network(3) does: up to four
// byte-sized parts, concatenated ("10.1" is 0x0a01).
func InetNetwork(s string) (uint32, bool) {
	parts := strings.Split(s, ".")
	if len(parts) > 4 {
		return 0, false
	}
	var v uint32
	for _, p := range parts {
		n, ok := cNumber(p)
		if !ok || n > 0xff {
			return 0, false
		}
		v = v<<8 | uint32(n)
	}
	return v, true
}

// cNumber reads a number in C's syntax: 0x hex, leading-zero octal or
// decimal.
func cNumber(s string) (uint64, bool) {
	if s == "" {
		return 0, false
	}
	base := 10
	switch {
	case strings.HasPrefix(s, "0x") || strings.HasPrefix(s, "0X"):
		base, s = 16, s[2:]
	case len(s) > 1 && s[0] == '0':
		base, s = 8, s[1:]
	}
	n, err := strconv.ParseUint(s, base, 32)
	return n, err == nil
}

// LookupHost finds an address of a family (4 or 6) for a host name
// through the host's resolver, with a one-second limit.
func LookupHost(name string, family int) (netip.Addr, bool) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	network := "ip4"
	if family == 6 {
		network = "ip6"
	}
	addrs, err := net.DefaultResolver.LookupNetIP(ctx, network, name)
	if err != nil || len(addrs) == 0 {
		return netip.Addr{}, false
	}
	return addrs[0].Unmap(), true
}
