package ifconfig

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/rumpnet/rumpnet/pkg/api"
)

// formatOptions choose what status output shows.
type formatOptions struct {
	family    string // "" for every family
	verbose   bool   // -v, -z: counters
	human     bool   // -h: byte counts in K, M, G
	lifetimes bool   // -L: pltime and vltime
	// name resolves an address for -N; nil prints numbers.
	name func(netip.Addr) string
}

func (r *request) formatOptions() formatOptions {
	o := formatOptions{family: r.family, verbose: r.verbose || r.zero, human: r.human, lifetimes: r.lifetimes}
	if r.names {
		o.name = lookupName
	}
	return o
}

// lookupName is -N's resolver: the host's (hosts file, then DNS), with a
// short deadline; the number when there is no name. A loopback address
// the host does not name (many Linux hosts list only 127.0.0.1) is
// "localhost", as every NetBSD hosts file names both.
func lookupName(a netip.Addr) string {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	names, err := net.DefaultResolver.LookupAddr(ctx, a.String())
	if (err != nil || len(names) == 0) && a.IsLoopback() {
		return "localhost"
	}
	if err != nil || len(names) == 0 {
		return a.String()
	}
	return strings.TrimSuffix(names[0], ".")
}

func (o formatOptions) addr(a netip.Addr) string {
	if o.name != nil {
		return o.name(a)
	}
	return a.String()
}

// formatBits prints a flag word the way NetBSD 10's snprintb does for
// ifconfig: "0" when zero, else "0x8843<UP,BROADCAST,...>".
func formatBits(v int, names []string) string {
	if v == 0 {
		return "0"
	}
	var set []string
	for i, n := range names {
		if v&(1<<i) != 0 {
			set = append(set, n)
		}
	}
	return fmt.Sprintf("%#x<%s>", v, strings.Join(set, ","))
}

// formatCaps prints capability bits, NetBSD's "7ff80<TSO4,...>" (hex
// without 0x, as snprintb_m prints them).
func formatCaps(v int) string {
	var set []string
	for bit := 1; bit <= v; bit <<= 1 {
		if v&bit != 0 {
			if n, ok := api.IfCapNames[bit]; ok {
				set = append(set, n)
			}
		}
	}
	return fmt.Sprintf("%x<%s>", v, strings.Join(set, ","))
}

// writeStatus prints one interface in NetBSD 10's format.
func writeStatus(w io.Writer, ifc api.Interface, o formatOptions) {
	metric := ""
	if ifc.Metric != 0 {
		metric = fmt.Sprintf(" metric %d", ifc.Metric)
	}
	mtu := "" // NetBSD leaves out an MTU of 0 (an unconfigured vlan)
	if ifc.MTU != 0 {
		mtu = fmt.Sprintf(" mtu %d", ifc.MTU)
	}
	fmt.Fprintf(w, "%s: flags=%s%s%s\n", ifc.Name, formatBits(ifc.Flags, api.IfFlagNames), metric, mtu)
	if ifc.Capabilities != 0 {
		fmt.Fprintf(w, "\tcapabilities=%s\n", formatCaps(ifc.Capabilities))
		fmt.Fprintf(w, "\tenabled=%s\n", formatCaps(ifc.CapEnabled))
	}
	writeVlan(w, ifc.Vlan)
	writeTunnel(w, ifc.Tunnel)
	if ifc.Address != "" {
		fmt.Fprintf(w, "\taddress: %s\n", ifc.Address)
	}
	for _, l := range ifc.LinkAddrs {
		fmt.Fprintf(w, "\tlink %s\n", l.Addr)
	}
	if ifc.Linkstr != "" {
		fmt.Fprintf(w, "\tlinkstr: %s\n", ifc.Linkstr)
	}
	writeL2tp(w, ifc.L2tp)
	if m := media(ifc); m != "" {
		fmt.Fprintf(w, "\tmedia: %s\n", m)
	}
	switch ifc.LinkState {
	case api.LinkStateUp:
		fmt.Fprintf(w, "\tstatus: active\n")
	case api.LinkStateDown:
		fmt.Fprintf(w, "\tstatus: no carrier\n")
	}
	if o.verbose {
		if ifc.LinkState != "" {
			fmt.Fprintf(w, "\tlinkstate: %s\n", ifc.LinkState)
		}
		writeStats(w, ifc.Stats, o.human)
	}
	if o.family == "" || o.family == "inet6" {
		prefs := anyPreference(ifc.Inet6)
		for _, a := range ifc.Inet6 {
			writeInet6(w, ifc, a, o, prefs)
		}
	}
	if o.family == "" || o.family == "inet" {
		prefs := anyPreference(ifc.Inet)
		for _, a := range ifc.Inet {
			writeInet(w, a, o, prefs)
		}
	}
}

func anyPreference(as []api.IfAddr) bool {
	for _, a := range as {
		if a.Preference != 0 {
			return true
		}
	}
	return false
}

func plural(n uint64, word string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, word)
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// byteCount prints a byte counter, with -h the way NetBSD's humanize_number
// does in a 5-byte buffer (HN_AUTOSCALE | HN_NOSPACE | HN_DECIMAL).
func byteCount(n uint64, human bool) string {
	if !human {
		return plural(n, "byte")
	}
	s := humanize(n)
	if f, err := strconv.ParseFloat(strings.TrimRight(s, "KMGTPE"), 64); err == nil && f == 1 {
		return s + " byte"
	}
	return s + " bytes"
}

func humanize(n uint64) string {
	const prefixes = "KMGTPE"
	// Four characters fit: three digits and a prefix.
	v := n * 100
	scale := 0
	for v >= 100000-50 && scale < len(prefixes) {
		v /= 1024
		scale++
	}
	prefix := ""
	if scale > 0 {
		prefix = prefixes[scale-1 : scale]
	}
	if v < 995 && scale > 0 {
		b := (v + 5) / 10
		return fmt.Sprintf("%d.%d%s", b/10, b%10, prefix)
	}
	return fmt.Sprintf("%d%s", (v+50)/100, prefix)
}

// writeStats prints the -v counter lines; the optional counters appear only
// when they are not zero.
func writeStats(w io.Writer, s api.Stats, human bool) {
	in := []string{plural(s.IPackets, "packet"), byteCount(s.IBytes, human)}
	if s.IMcasts != 0 {
		in = append(in, plural(s.IMcasts, "multicast"))
	}
	if s.IErrors != 0 {
		in = append(in, plural(s.IErrors, "error"))
	}
	if s.IQDrops != 0 {
		in = append(in, plural(s.IQDrops, "queue drop"))
	}
	out := []string{plural(s.OPackets, "packet"), byteCount(s.OBytes, human)}
	if s.OMcasts != 0 {
		out = append(out, plural(s.OMcasts, "multicast"))
	}
	if s.OErrors != 0 {
		out = append(out, plural(s.OErrors, "error"))
	}
	if s.Collisions != 0 {
		out = append(out, plural(s.Collisions, "collision"))
	}
	fmt.Fprintf(w, "\tinput: %s\n", strings.Join(in, ", "))
	fmt.Fprintf(w, "\toutput: %s\n", strings.Join(out, ", "))
}

func writeInet(w io.Writer, a api.IfAddr, o formatOptions, prefs bool) {
	p, err := netip.ParsePrefix(a.Addr)
	if err != nil {
		fmt.Fprintf(w, "\tinet %s flags %s\n", a.Addr, formatBits(a.Flags, api.InFlagNames))
		return
	}
	line := fmt.Sprintf("\tinet %s/%d", o.addr(p.Addr()), p.Bits())
	if d, err := netip.ParseAddr(a.Dest); err == nil {
		line += " -> " + o.addr(d)
	}
	if b, err := netip.ParseAddr(a.Broadcast); err == nil {
		line += " broadcast " + o.addr(b)
	}
	line += " flags " + formatBits(a.Flags, api.InFlagNames)
	if prefs {
		line += fmt.Sprintf(" preference %d", a.Preference)
	}
	fmt.Fprintln(w, line)
}

func writeInet6(w io.Writer, ifc api.Interface, a api.IfAddr, o formatOptions, prefs bool) {
	p, err := netip.ParsePrefix(a.Addr)
	if err != nil {
		fmt.Fprintf(w, "\tinet6 %s flags %s\n", a.Addr, formatBits(a.Flags, api.In6FlagNames))
		return
	}
	scoped := p.Addr().IsLinkLocalUnicast() || p.Addr().IsLinkLocalMulticast()
	addr := o.addr(p.Addr())
	if scoped && addr == p.Addr().String() {
		addr += "%" + ifc.Name
	}
	line := fmt.Sprintf("\tinet6 %s/%d", addr, p.Bits())
	if d, err := netip.ParseAddr(a.Dest); err == nil {
		line += " -> " + o.addr(d)
	}
	line += " flags " + formatBits(a.Flags, api.In6FlagNames)
	if scoped {
		line += fmt.Sprintf(" scopeid %#x", ifc.Index)
	}
	if o.lifetimes && (a.Pltime != nil || a.Vltime != nil) {
		line += " pltime " + lifetime(a.Pltime) + " vltime " + lifetime(a.Vltime)
	}
	if prefs {
		line += fmt.Sprintf(" preference %d", a.Preference)
	}
	fmt.Fprintln(w, line)
}

func lifetime(v *uint32) string {
	if v == nil {
		return "infty"
	}
	return strconv.FormatUint(uint64(*v), 10)
}
