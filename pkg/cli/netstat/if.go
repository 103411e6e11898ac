package netstat

import (
	"fmt"
	"io"
	"net/netip"

	"github.com/rumpnet/rumpnet/internal/xo"
	"github.com/rumpnet/rumpnet/pkg/api"
	"github.com/rumpnet/rumpnet/pkg/cli/rtutil"
)

// interfaces prints -i and -I: a line for each interface's link address
// and one for each of its addresses, each with the interface's counters,
// as NetBSD's intpr does.
func (o options) interfaces(w io.Writer, b Backend) error {
	ifs, err := b.Interfaces()
	if err != nil {
		return err
	}
	if o.xo.Style != xo.Text {
		return o.emitInterfaces(w, ifs)
	}
	if o.bytes {
		fmt.Fprintf(w, "%-5.5s %-5.5s %-13.13s %-17.17s %10.10s %10.10s", "Name", "Mtu", "Network", "Address",
			"Ibytes", "Obytes")
	} else {
		fmt.Fprintf(w, "%-5.5s %-5.5s %-13.13s %-17.17s %8.8s %5.5s", "Name", "Mtu", "Network", "Address",
			"Ipkts", "Ierrs")
		if o.drops {
			fmt.Fprintf(w, " %6.6s", "Idrops")
		}
		fmt.Fprintf(w, " %8.8s %5.5s %5.5s", "Opkts", "Oerrs", "Colls")
	}
	if o.drops {
		fmt.Fprintf(w, " %6.6s", "Odrops")
	}
	fmt.Fprintln(w)
	for _, ifc := range ifs {
		if o.ifname != "" && ifc.Name != o.ifname {
			continue
		}
		name := ifc.Name
		if ifc.Flags&api.IFF_UP == 0 {
			name += "*"
		}
		line := func(network, address string) {
			fmt.Fprintf(w, "%s %-5d ", o.field(name, 5), ifc.MTU)
			fmt.Fprintf(w, "%s %s ", o.field(network, 13), o.field(address, 17))
			o.counters(w, ifc.Stats)
		}
		if o.family == 0 {
			line("<Link>", ifc.Address)
		}
		for _, a := range ifc.Inet6 {
			if o.family == 0 || o.family == 6 {
				p := netip.MustParsePrefix(a.Addr)
				zone := ""
				if o.verbose {
					zone = ifc.Name
				}
				line(rtutil.Netname(p.Masked(), zone, o.names()), rtutil.Routename(p.Addr(), zone, nil))
			}
		}
		for _, a := range ifc.Inet {
			if o.family == 0 || o.family == 4 {
				p := netip.MustParsePrefix(a.Addr)
				line(rtutil.Netname(p.Masked(), "", nil), rtutil.Routename(p.Addr(), "", o.names()))
			}
		}
	}
	return nil
}

// field pads or cuts s to width; with -v it is never cut.
func (o options) field(s string, width int) string {
	if o.verbose && len(s) > width {
		width = len(s)
	}
	return fmt.Sprintf("%-*.*s", width, width, s)
}

func (o options) counters(w io.Writer, s api.Stats) {
	if o.bytes {
		fmt.Fprintf(w, "%10d %10d", s.IBytes, s.OBytes)
	} else {
		fmt.Fprintf(w, "%8d %5d", s.IPackets, s.IErrors)
		if o.drops {
			fmt.Fprintf(w, " %6d", s.IQDrops)
		}
		fmt.Fprintf(w, " %8d %5d %5d", s.OPackets, s.OErrors, s.Collisions)
	}
	if o.drops {
		fmt.Fprintf(w, " %6d", 0)
	}
	fmt.Fprintln(w)
}
