package ifconfig

// --libxo: what rifconfig shows, as JSON or XML instead of NetBSD's text.
// FreeBSD's ifconfig has no libxo output, so the names are ours, lower
// case and hyphenated as libxo's are, and documented in rifconfig(8):
//
//	{"ifconfig": {"interface": [{"name": "lo0", "index": 1, "flags": 32841,
//	  "flag-names": ["UP", ...], "metric": 0, "mtu": 33624, ...,
//	  "inet6": [...], "inet": [...]}]}}
//
// Every value of the text output is here, as a number where it is one
// (flags, counters), and -v, -L, -N and an address family choose the same
// parts the text shows. The text's layout choices (flags in hexadecimal,
// -h's humanized bytes, counters left out when zero) are not copied: a
// program reads every counter, always as a number.

import (
	"fmt"
	"io"
	"net/netip"
	"strings"

	"github.com/rumpnet/rumpnet/internal/xo"
	"github.com/rumpnet/rumpnet/pkg/api"
)

// infiniteLifetime is an inet6 lifetime without end (NetBSD's
// ND6_INFINITE_LIFETIME), the text output's "infty".
const infiniteLifetime = 0xffffffff

// printer shows what execute found: NetBSD's text, or a --libxo document.
type printer interface {
	// names shows a list of names: the cloners of -C (key "cloner") or
	// the interfaces of -l (key "interface").
	names(key string, names []string)
	// status shows one interface.
	status(ifc api.Interface, o formatOptions)
	// finish writes what is not written yet.
	finish() error
}

func newPrinter(r *request, w io.Writer) printer {
	if r.xo.Style == xo.Text {
		return textPrinter{w}
	}
	x := xo.NewWriter(w, r.xo)
	x.Open("ifconfig")
	return &xoPrinter{x: x}
}

type textPrinter struct{ w io.Writer }

func (p textPrinter) names(_ string, names []string) {
	fmt.Fprintln(p.w, strings.Join(names, " "))
}

func (p textPrinter) status(ifc api.Interface, o formatOptions) { writeStatus(p.w, ifc, o) }

func (textPrinter) finish() error { return nil }

// xoPrinter collects one {"ifconfig": {...}} document.
type xoPrinter struct {
	x     *xo.Writer
	shown bool // the list is written: finish need not write an empty one
}

// names writes -C's cloners as a list of strings and -l's interfaces as
// interface instances with only a name, so that a program reads -l and
// -a the same way.
func (p *xoPrinter) names(key string, names []string) {
	p.shown = true
	if key != "interface" {
		p.x.EmitList(key, strs(names)...)
		return
	}
	for _, n := range names {
		p.x.OpenInstance("interface")
		p.x.Emit("name", n)
		p.x.CloseInstance("interface")
	}
	if len(names) == 0 {
		p.x.EmitList("interface") // [], not a missing key
	}
}

func (p *xoPrinter) status(ifc api.Interface, o formatOptions) {
	p.shown = true
	emitInterface(p.x, ifc, o)
}

func (p *xoPrinter) finish() error {
	if !p.shown {
		p.x.EmitList("interface")
	}
	p.x.Close("ifconfig")
	return p.x.Finish()
}

// strs makes a list of strings the values of a leaf list.
func strs(ss []string) []any {
	vs := make([]any, len(ss))
	for i, s := range ss {
		vs[i] = s
	}
	return vs
}

// bitNames are the names of the bits set in v, bit 0 first; bits without
// a name are left out, as the text output leaves them out of <...>.
func bitNames(v int, names []string) []any {
	var set []any
	for i, n := range names {
		if v&(1<<i) != 0 {
			set = append(set, n)
		}
	}
	return set
}

// capNames are the names of the capability bits set in v.
func capNames(v int) []any {
	var set []any
	for bit := 1; bit > 0 && bit <= v; bit <<= 1 {
		if n, ok := api.IfCapNames[bit]; ok && v&bit != 0 {
			set = append(set, n)
		}
	}
	return set
}

// emitInterface writes one interface instance: the lines of writeStatus,
// in its order.
func emitInterface(x *xo.Writer, ifc api.Interface, o formatOptions) {
	x.OpenInstance("interface")
	x.Emit("name", ifc.Name)
	x.Emit("index", ifc.Index)
	x.Emit("flags", ifc.Flags)
	x.EmitList("flag-names", bitNames(ifc.Flags, api.IfFlagNames)...)
	x.Emit("metric", ifc.Metric)
	x.Emit("mtu", ifc.MTU)
	if ifc.Capabilities != 0 {
		x.Emit("capabilities", ifc.Capabilities)
		x.EmitList("capability-names", capNames(ifc.Capabilities)...)
		x.Emit("enabled", ifc.CapEnabled)
		x.EmitList("enabled-names", capNames(ifc.CapEnabled)...)
	}
	if v := ifc.Vlan; v != nil && (v.Tag != 0 || v.Parent != "") {
		x.Emit("vlan", v.Tag)
		x.Emit("vlan-parent", v.Parent)
	}
	if tn := ifc.Tunnel; tn != nil {
		x.Emit("tunnel-family", tunnelFamily(tn.Src))
		x.Emit("tunnel-source", tunnelEnd(tn.Src, tn.SrcPort))
		x.Emit("tunnel-destination", tunnelEnd(tn.Dst, tn.DstPort))
	}
	if ifc.Address != "" {
		x.Emit("address", ifc.Address)
	}
	if len(ifc.LinkAddrs) > 0 {
		var links []string
		for _, l := range ifc.LinkAddrs {
			links = append(links, l.Addr)
		}
		x.EmitList("link", strs(links)...)
	}
	if ifc.Linkstr != "" {
		x.Emit("linkstr", ifc.Linkstr)
	}
	if m := media(ifc); m != "" {
		x.Emit("media", m)
	}
	switch ifc.LinkState {
	case api.LinkStateUp:
		x.Emit("status", "active")
	case api.LinkStateDown:
		x.Emit("status", "no carrier")
	}
	if o.verbose {
		if ifc.LinkState != "" {
			x.Emit("link-state", ifc.LinkState)
		}
		emitStats(x, ifc.Stats)
	}
	if o.family == "" || o.family == "inet6" {
		for _, a := range ifc.Inet6 {
			emitInet6(x, ifc, a, o)
		}
		if len(ifc.Inet6) == 0 {
			x.EmitList("inet6")
		}
	}
	if o.family == "" || o.family == "inet" {
		for _, a := range ifc.Inet {
			emitInet(x, a, o)
		}
		if len(ifc.Inet) == 0 {
			x.EmitList("inet")
		}
	}
	x.CloseInstance("interface")
}

// emitStats writes -v's counters, every one of them.
func emitStats(x *xo.Writer, s api.Stats) {
	x.Open("statistics")
	x.Emit("input-packets", s.IPackets)
	x.Emit("input-bytes", s.IBytes)
	x.Emit("input-multicasts", s.IMcasts)
	x.Emit("input-errors", s.IErrors)
	x.Emit("input-queue-drops", s.IQDrops)
	x.Emit("output-packets", s.OPackets)
	x.Emit("output-bytes", s.OBytes)
	x.Emit("output-multicasts", s.OMcasts)
	x.Emit("output-errors", s.OErrors)
	x.Emit("collisions", s.Collisions)
	x.Close("statistics")
}

// emitAddr writes an address, always as a number, and with -N its name:
// "hostname" for the address, "destination-hostname" and
// "broadcast-hostname" for the others.
func emitAddr(x *xo.Writer, key string, a netip.Addr, o formatOptions) {
	x.Emit(key, a.String())
	if o.name == nil {
		return
	}
	if key == "address" {
		x.Emit("hostname", o.name(a))
	} else {
		x.Emit(key+"-hostname", o.name(a))
	}
}

func emitInet(x *xo.Writer, a api.IfAddr, o formatOptions) {
	x.OpenInstance("inet")
	defer x.CloseInstance("inet")
	p, err := netip.ParsePrefix(a.Addr)
	if err != nil {
		x.Emit("address", a.Addr)
		x.Emit("flags", a.Flags)
		x.EmitList("flag-names", bitNames(a.Flags, api.InFlagNames)...)
		return
	}
	emitAddr(x, "address", p.Addr(), o)
	x.Emit("prefix-length", p.Bits())
	if m, ok := netmask4(p.Bits()); ok {
		x.Emit("netmask", m.String())
	}
	if d, err := netip.ParseAddr(a.Dest); err == nil {
		emitAddr(x, "destination", d, o)
	}
	if b, err := netip.ParseAddr(a.Broadcast); err == nil {
		emitAddr(x, "broadcast", b, o)
	}
	x.Emit("flags", a.Flags)
	x.EmitList("flag-names", bitNames(a.Flags, api.InFlagNames)...)
	x.Emit("preference", a.Preference)
}

// netmask4 is the inet netmask of a prefix length.
func netmask4(bits int) (netip.Addr, bool) {
	if bits < 0 || bits > 32 {
		return netip.Addr{}, false
	}
	m := uint32(^uint64(0) << (32 - bits))
	return netip.AddrFrom4([4]byte{byte(m >> 24), byte(m >> 16), byte(m >> 8), byte(m)}), true
}

func emitInet6(x *xo.Writer, ifc api.Interface, a api.IfAddr, o formatOptions) {
	x.OpenInstance("inet6")
	defer x.CloseInstance("inet6")
	p, err := netip.ParsePrefix(a.Addr)
	if err != nil {
		x.Emit("address", a.Addr)
		x.Emit("flags", a.Flags)
		x.EmitList("flag-names", bitNames(a.Flags, api.In6FlagNames)...)
		return
	}
	emitAddr(x, "address", p.Addr(), o)
	x.Emit("prefix-length", p.Bits())
	if d, err := netip.ParseAddr(a.Dest); err == nil {
		emitAddr(x, "destination", d, o)
	}
	x.Emit("flags", a.Flags)
	x.EmitList("flag-names", bitNames(a.Flags, api.In6FlagNames)...)
	if p.Addr().IsLinkLocalUnicast() || p.Addr().IsLinkLocalMulticast() {
		x.Emit("scope-id", ifc.Index)
	}
	if o.lifetimes && (a.Pltime != nil || a.Vltime != nil) {
		x.Emit("pltime", lifetimeValue(a.Pltime))
		x.Emit("vltime", lifetimeValue(a.Vltime))
	}
	x.Emit("preference", a.Preference)
}

// lifetimeValue is a lifetime in seconds, infiniteLifetime for none.
func lifetimeValue(v *uint32) uint32 {
	if v == nil {
		return infiniteLifetime
	}
	return *v
}
