package ifconfig

import (
	"fmt"
	"io"
	"net/netip"
	"strings"

	"github.com/rumpnet/rumpnet/pkg/api"
)

// formatOptions choose what status output shows.
type formatOptions struct {
	family  string // "" for every family
	verbose bool
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

// writeStatus prints one interface in NetBSD 10's format.
func writeStatus(w io.Writer, ifc api.Interface, o formatOptions) {
	metric := ""
	if ifc.Metric != 0 {
		metric = fmt.Sprintf(" metric %d", ifc.Metric)
	}
	fmt.Fprintf(w, "%s: flags=%s%s mtu %d\n", ifc.Name, formatBits(ifc.Flags, api.IfFlagNames), metric, ifc.MTU)
	if ifc.Address != "" {
		fmt.Fprintf(w, "\taddress: %s\n", ifc.Address)
	}
	if ifc.Linkstr != "" {
		fmt.Fprintf(w, "\tlinkstr: %s\n", ifc.Linkstr)
	}
	switch ifc.LinkState {
	case api.LinkStateUp:
		fmt.Fprintf(w, "\tstatus: active\n")
	case api.LinkStateDown:
		fmt.Fprintf(w, "\tstatus: no carrier\n")
	}
	if o.verbose {
		writeStats(w, ifc.Stats)
	}
	if o.family == "" || o.family == "inet6" {
		for _, a := range ifc.Inet6 {
			writeInet6(w, ifc, a)
		}
	}
	if o.family == "" || o.family == "inet" {
		for _, a := range ifc.Inet {
			writeInet(w, a)
		}
	}
}

func plural(n uint64, word string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, word)
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// writeStats prints the -v counter lines; the optional counters appear only
// when they are not zero.
func writeStats(w io.Writer, s api.Stats) {
	in := []string{plural(s.IPackets, "packet"), plural(s.IBytes, "byte")}
	if s.IMcasts != 0 {
		in = append(in, plural(s.IMcasts, "multicast"))
	}
	if s.IErrors != 0 {
		in = append(in, plural(s.IErrors, "error"))
	}
	if s.IQDrops != 0 {
		in = append(in, plural(s.IQDrops, "queue drop"))
	}
	out := []string{plural(s.OPackets, "packet"), plural(s.OBytes, "byte")}
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

func writeInet(w io.Writer, a api.IfAddr) {
	line := "\tinet " + a.Addr
	if a.Dest != "" {
		line += " -> " + a.Dest
	}
	if a.Broadcast != "" {
		line += " broadcast " + a.Broadcast
	}
	fmt.Fprintf(w, "%s flags %s\n", line, formatBits(a.Flags, api.InFlagNames))
}

func writeInet6(w io.Writer, ifc api.Interface, a api.IfAddr) {
	p, err := netip.ParsePrefix(a.Addr)
	if err != nil {
		fmt.Fprintf(w, "\tinet6 %s flags %s\n", a.Addr, formatBits(a.Flags, api.In6FlagNames))
		return
	}
	scoped := p.Addr().IsLinkLocalUnicast() || p.Addr().IsLinkLocalMulticast()
	addr := p.Addr().String()
	if scoped {
		addr += "%" + ifc.Name
	}
	line := fmt.Sprintf("\tinet6 %s/%d flags %s", addr, p.Bits(), formatBits(a.Flags, api.In6FlagNames))
	if scoped {
		line += fmt.Sprintf(" scopeid %#x", ifc.Index)
	}
	fmt.Fprintln(w, line)
}
