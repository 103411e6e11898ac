package brconfig

// --libxo: what rbrconfig shows, as JSON or XML instead of NetBSD's text.
// Neither NetBSD's brconfig nor FreeBSD's ifconfig has libxo output, so
// the names are ours, lower case and hyphenated as libxo's are, and
// documented in rbrconfig(8):
//
//	{"brconfig": {"bridge": [{"name": "bridge0", "flags": 65,
//	  "flag-names": ["UP", "RUNNING"], "priority": 32768, ...,
//	  "member": [...], "cache-entry": [...]}]}}
//
// Every value of the text output is here, numbers as numbers.

import (
	"io"

	"github.com/rumpnet/rumpnet/internal/xo"
	"github.com/rumpnet/rumpnet/pkg/api"
)

// printer shows what execute found: NetBSD's text, or a --libxo document.
type printer interface {
	// status shows one bridge.
	status(st api.BridgeStatus)
	// cache shows a bridge's address cache ("addr").
	cache(bridge string, cache []api.BridgeAddr)
	// started reports whether anything was shown.
	started() bool
	// finish writes what is not written yet.
	finish() error
}

func newPrinter(r *request, w io.Writer) printer {
	if r.xo.Style == xo.Text {
		return textPrinter{w}
	}
	x := xo.NewWriter(w, r.xo)
	x.Open("brconfig")
	return &xoPrinter{x: x, configure: r.mode == modeConfigure}
}

type textPrinter struct{ w io.Writer }

func (p textPrinter) status(st api.BridgeStatus) { writeStatus(p.w, st) }

func (p textPrinter) cache(_ string, cache []api.BridgeAddr) { writeCache(p.w, cache, "\t") }

func (textPrinter) started() bool { return false }

func (textPrinter) finish() error { return nil }

// xoPrinter collects one {"brconfig": {"bridge": [...]}} document. "addr"
// adds a bridge instance holding only the name and the cache.
type xoPrinter struct {
	x         *xo.Writer
	configure bool // a command that shows nothing unless it has "addr"
	shown     bool
}

func (p *xoPrinter) started() bool { return p.shown }

func (p *xoPrinter) status(st api.BridgeStatus) {
	p.shown = true
	x := p.x
	x.OpenInstance("bridge")
	x.Emit("name", st.Name)
	x.Emit("flags", st.Flags)
	x.EmitList("flag-names", bitNames(st.Flags, api.IfFlagNames)...)
	x.Emit("priority", st.Priority)
	x.Emit("hello-time", st.HelloTime)
	x.Emit("forward-delay", st.FwdDelay)
	x.Emit("max-age", st.MaxAge)
	ipf := 0
	if st.IPFilter {
		ipf = ipfUseIPF
	}
	x.Emit("ipfilter", st.IPFilter)
	x.Emit("ipfilter-flags", ipf)
	for _, m := range st.Members {
		x.OpenInstance("member")
		x.Emit("name", m.Name)
		x.Emit("flags", m.Flags)
		x.EmitList("flag-names", bitNames(m.Flags, memberFlagNames)...)
		x.Emit("port", m.Port)
		x.Emit("priority", m.Priority)
		x.Emit("path-cost", m.PathCost)
		if m.Flags&api.IFBIF_STP != 0 && m.State != "" {
			x.Emit("state", m.State)
		}
		x.CloseInstance("member")
	}
	if len(st.Members) == 0 {
		x.EmitList("member") // [], not a missing key
	}
	x.Emit("max-cache", st.MaxAddr)
	x.Emit("timeout", st.Timeout)
	emitCache(x, st.Cache)
	x.CloseInstance("bridge")
}

func (p *xoPrinter) cache(bridge string, cache []api.BridgeAddr) {
	p.shown = true
	p.x.OpenInstance("bridge")
	p.x.Emit("name", bridge)
	emitCache(p.x, cache)
	p.x.CloseInstance("bridge")
}

func emitCache(x *xo.Writer, cache []api.BridgeAddr) {
	for _, a := range cache {
		x.OpenInstance("cache-entry")
		x.Emit("address", macString(a.MAC))
		x.Emit("member", a.Member)
		x.Emit("expire", a.Expire)
		x.Emit("flags", a.Flags)
		x.EmitList("flag-names", bitNames(a.Flags, cacheFlagNames)...)
		x.CloseInstance("cache-entry")
	}
	if len(cache) == 0 {
		x.EmitList("cache-entry")
	}
}

// finish writes the document; a command that changed something and showed
// nothing writes none, as its text output is empty.
func (p *xoPrinter) finish() error {
	if !p.shown && p.configure {
		return nil
	}
	if !p.shown {
		p.x.EmitList("bridge") // -a without bridges: [], not a missing key
	}
	p.x.Close("brconfig")
	return p.x.Finish()
}

// bitNames are the names of the bits set in v, bit 0 first.
func bitNames(v int, names []string) []any {
	var set []any
	for i, n := range names {
		if v&(1<<i) != 0 {
			set = append(set, n)
		}
	}
	return set
}
