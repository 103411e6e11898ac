package route

import (
	"io"

	"github.com/rumpnet/rumpnet/internal/cli"
	"github.com/rumpnet/rumpnet/internal/xo"
	"github.com/rumpnet/rumpnet/pkg/cli/rtutil"
)

// checkXo refuses --libxo json or xml for commands without structured
// output: only show and get have it.
func (r *request) checkXo() error {
	if r.xo.Style == xo.Text || r.cmd == "show" || r.cmd == "get" && !r.flushFirst {
		return nil
	}
	return cli.Refuse("--libxo: only show and get have " + r.xo.Style.String() + " output")
}

// emitGet writes get's report in a "route-get" container. FreeBSD's route
// has no libxo output, so the keys are ours, named after the text's
// labels and netstat's keys: route-to, destination, mask (not for a host
// route), gateway (only through one), if-address (the source address),
// interface, flags (the number), flags_pretty (words, as netstat's) and mtu.
// -s changes nothing here: the record always has every fact.
func emitGet(w io.Writer, o xo.Options, g getReply) error {
	x := xo.NewWriter(w, o)
	x.Open("route-get")
	x.Emit("route-to", g.routeTo)
	x.Emit("destination", g.dest)
	if g.mask != "" {
		x.Emit("mask", g.mask)
	}
	if g.gateway != "" {
		x.Emit("gateway", g.gateway)
	}
	if g.local != "" {
		x.Emit("if-address", g.local)
	}
	x.Emit("interface", g.ifname)
	x.Emit("flags", g.flags)
	x.EmitList("flags_pretty", rtutil.FlagWords(g.flags)...)
	x.Emit("mtu", g.mtu)
	x.Close("route-get")
	return x.Finish()
}

// emitTables writes show's tables as FreeBSD netstat -r does with libxo,
// in its "route-information" container.
func emitTables(w io.Writer, o xo.Options, tables []rtutil.Table, ro rtutil.Options) error {
	x := xo.NewWriter(w, o)
	rtutil.EmitTables(x, tables, ro)
	return x.Finish()
}
