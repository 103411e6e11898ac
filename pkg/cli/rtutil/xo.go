package rtutil

import (
	"github.com/rumpnet/rumpnet/internal/xo"
	"github.com/rumpnet/rumpnet/pkg/api"
)

// flagWords name the route flags in FreeBSD netstat's "flags_pretty" list,
// in the order of the flag letters.
var flagWords = map[int]string{
	api.RTF_UP: "up", api.RTF_GATEWAY: "gateway", api.RTF_HOST: "host", api.RTF_REJECT: "reject",
	api.RTF_BLACKHOLE: "blackhole", api.RTF_DYNAMIC: "dynamic", api.RTF_MODIFIED: "modified",
	api.RTF_DONE: "done", api.RTF_MASK: "mask", api.RTF_CONNECTED: "connected",
	api.RTF_XRESOLVE: "xresolve", api.RTF_LLDATA: "llinfo", api.RTF_STATIC: "static",
	api.RTF_PROTO1: "proto1", api.RTF_PROTO2: "proto2", api.RTF_ANNOUNCE: "announce",
	api.RTF_LOCAL: "local", api.RTF_BROADCAST: "broadcast",
}

// FlagWords lists route flags as words ("up", "gateway", "static").
func FlagWords(f int) []any {
	words := []any{}
	for _, l := range flagLetters {
		if f&l.bit != 0 {
			words = append(words, flagWords[l.bit])
		}
	}
	return words
}

// EmitTables writes the tables PrintTables prints as FreeBSD netstat -r
// does with libxo: a "route-information" container holding "route-table",
// with one "rt-family" instance per family ("address-family") and one
// "rt-entry" per line. The keys are FreeBSD's: destination, gateway,
// flags, flags_pretty, mtu (when set) and interface-name.
func EmitTables(x *xo.Writer, tables []Table, o Options) {
	x.Open("route-information")
	x.Open("route-table")
	for _, t := range tables {
		rows := o.rows(t)
		if len(rows) == 0 {
			continue
		}
		x.OpenInstance("rt-family")
		x.Emit("address-family", familyName(t.Family))
		for _, r := range rows {
			x.OpenInstance("rt-entry")
			x.Emit("destination", r.dest)
			x.Emit("gateway", r.gateway)
			f := r.flags & o.Interesting
			x.Emit("flags", FlagLetters(f))
			x.EmitList("flags_pretty", FlagWords(f)...)
			if r.mtu != 0 {
				x.Emit("mtu", r.mtu)
			}
			x.Emit("interface-name", r.ifname)
			x.CloseInstance("rt-entry")
		}
		x.CloseInstance("rt-family")
	}
	x.Close("route-table")
	x.Close("route-information")
}
