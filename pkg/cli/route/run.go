// Package route is rroute(8), NetBSD's route(8) for a rump kernel: it
// adds, deletes, changes, looks up, flushes and shows the kernel's routes
// over the control socket, with route's syntax, messages and output.
//
// It parses, then connects, then acts; it must not know how the kernel
// keeps its routes.
package route

import (
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"
	"syscall"

	"github.com/rumpnet/rumpnet/internal/cli"
	"github.com/rumpnet/rumpnet/internal/xo"
	"github.com/rumpnet/rumpnet/pkg/api"
	"github.com/rumpnet/rumpnet/pkg/cli/rtutil"
	"github.com/rumpnet/rumpnet/pkg/client"
)

const usage = "Usage: rroute [-dfLnqSsTtv] cmd [[-<qualifers>] args]\n"

// Backend is what rroute needs from a kernel; client.Client is one.
type Backend interface {
	Routes(family int) ([]api.Route, error)
	Neighbors(family int) ([]api.Neighbor, error)
	Interfaces() ([]api.Interface, error)
	AddRoute(family int, r api.Route) error
	DeleteRoute(family int, r api.Route) error
	ChangeRoute(family int, r api.Route) error
}

// Run is rroute's main.
func Run(args []string, stdout, stderr io.Writer) int {
	t := &cli.Tool{Name: "rroute", Stdout: stdout, Stderr: stderr,
		Usage: usage, Complete: &completion}
	return t.Run(args, func(args []string) int {
		return Main(t, func() Backend { return &client.Client{} }, args)
	})
}

// Main parses args, then runs them against the backend connect returns.
// Without RUMP_SERVER it fails before connecting.
func Main(t *cli.Tool, connect func() Backend, args []string) int {
	r, err := parse(args)
	if !t.Start(err, usage) {
		return 1
	}
	x := &executor{t: t, b: connect(), r: r}
	return x.run()
}

// executor runs one request.
type executor struct {
	t *cli.Tool
	b Backend
	r *request
}

func (x *executor) names() rtutil.Resolver {
	if x.r.numeric {
		return nil
	}
	return rtutil.LookupName
}

// fail reports a failed request; it returns the exit status.
func (x *executor) fail(err error) int {
	var ie *client.InitError
	if errors.As(err, &ie) {
		return x.t.Report(err)
	}
	x.t.Warnx("writing to routing socket: %s", routeStrerror(err))
	return 1
}

// routeStrerror is route's strerror, with its own words for the routing
// socket's errors.
func routeStrerror(err error) string {
	switch e := api.ErrnoOf(err); e {
	case syscall.ESRCH:
		return "not in table"
	case syscall.EBUSY:
		return "entry in use"
	case syscall.ENOBUFS:
		return "routing table overflow"
	default:
		return api.Strerror(e)
	}
}

func (x *executor) run() int {
	switch x.r.cmd {
	case "show":
		return x.show()
	case "flush":
		return x.flush()
	case "monitor":
		return x.monitor()
	}
	if x.r.flushFirst {
		if st := x.flush(); st != 0 {
			return st
		}
	}
	if x.r.cmd == "get" {
		return x.get()
	}
	return x.change()
}

// change runs add, delete and change, and prints route's report:
// "add net 10.1: gateway 10.0.0.1", with ": <error>" when it failed.
func (x *executor) change() int {
	r := x.r
	var err error
	if !r.dryRun {
		switch r.cmd {
		case "add":
			err = x.b.AddRoute(r.family, r.route)
		case "delete":
			err = x.b.DeleteRoute(r.family, r.route)
		case "change":
			err = x.b.ChangeRoute(r.family, r.route)
		}
	}
	var ie *client.InitError
	if errors.As(err, &ie) {
		return x.fail(err)
	}
	if err != nil {
		x.fail(err)
	}
	if r.quiet {
		return boolStatus(err != nil)
	}
	kind := "net"
	if r.host {
		kind = "host"
	}
	line := fmt.Sprintf("%s %s %s", r.cmd, kind, reportedDest(r))
	if r.gwArg != "" {
		line += ": gateway " + r.gwArg
	}
	if err != nil {
		line += ": " + routeStrerror(err)
	}
	fmt.Fprintln(x.t.Stdout, line)
	return boolStatus(err != nil)
}

// reportedDest is the destination as route's report shows it: as typed,
// but a full-length prefix without its length, as NetBSD's getaddr leaves
// the argument ("10.0.0.1/32" is reported as "10.0.0.1").
func reportedDest(r *request) string {
	if a, l, ok := strings.Cut(r.destArg, "/"); ok && l == strconv.Itoa(r.dest.Addr().BitLen()) {
		return a
	}
	return r.destArg
}

func boolStatus(failed bool) int {
	if failed {
		return 1
	}
	return 0
}

// families lists the families a show or flush covers.
func (x *executor) families() []int {
	switch x.r.showFamily {
	case 0:
		return []int{4, 6}
	case -1:
		return nil
	}
	return []int{x.r.showFamily}
}

// show prints the routing tables with route's flag letters.
func (x *executor) show() int {
	tables, err := x.tables()
	if err != nil {
		return x.fail(err)
	}
	ro := rtutil.Options{Resolve: x.names(), NoLinkLayer: x.r.noLink, Interesting: rtutil.RouteShowFlags}
	if x.r.xo.Style != xo.Text {
		if err := emitTables(x.t.Stdout, x.r.xo, tables, ro); err != nil {
			return x.t.Report(err)
		}
		return 0
	}
	rtutil.PrintTables(x.t.Stdout, tables, ro)
	return 0
}

// tableReader is a Backend that reads the routing tables and neighbour
// caches of several families in one request; client.Client is one.
type tableReader interface {
	RouteTables(families ...int) ([]client.RouteTable, error)
}

// tables reads the families' routes and neighbours, filtered by the show
// flags: in one request if the backend can, else family by family.
func (x *executor) tables() ([]rtutil.Table, error) {
	var tables []rtutil.Table
	fs := x.families()
	if tr, ok := x.b.(tableReader); ok && len(fs) > 0 {
		rts, err := tr.RouteTables(fs...)
		if err != nil {
			return nil, err
		}
		for _, t := range rts {
			tables = append(tables, filterTable(rtutil.Table{Family: t.Family, Routes: t.Routes, Neighbors: t.Neighbors}, x.r.showFlags))
		}
		return tables, nil
	}
	for _, f := range fs {
		routes, err := x.b.Routes(f)
		if err != nil {
			return nil, err
		}
		neigh, err := x.b.Neighbors(f)
		if err != nil {
			return nil, err
		}
		tables = append(tables, filterTable(rtutil.Table{Family: f, Routes: routes, Neighbors: neigh}, x.r.showFlags))
	}
	return tables, nil
}

// filterTable keeps the entries that have every flag in flags.
func filterTable(t rtutil.Table, flags int) rtutil.Table {
	if flags == 0 {
		return t
	}
	var rs []api.Route
	for _, r := range t.Routes {
		if r.Flags&flags == flags {
			rs = append(rs, r)
		}
	}
	var ns []api.Neighbor
	if flags&^(api.RTF_HOST|api.RTF_LLDATA) == 0 {
		ns = t.Neighbors
	}
	return rtutil.Table{Family: t.Family, Routes: rs, Neighbors: ns}
}

// flush deletes every static route, printing each as route flush does.
func (x *executor) flush() int {
	for _, f := range x.families() {
		routes, err := x.b.Routes(f)
		if err != nil {
			return x.fail(err)
		}
		for _, rt := range filterTable(rtutil.Table{Routes: routes}, x.r.showFlags).Routes {
			if rt.Flags&(api.RTF_GATEWAY|api.RTF_STATIC) == 0 {
				continue
			}
			if !x.r.dryRun {
				if err := x.b.DeleteRoute(f, api.Route{Dest: rt.Dest}); err != nil {
					return x.fail(err)
				}
			}
			if x.r.quiet {
				continue
			}
			p := netip.MustParsePrefix(rt.Dest)
			dest := rtutil.Netname(p, rt.Interface, x.names())
			if rt.Flags&api.RTF_HOST != 0 {
				dest = rtutil.Routename(p.Addr(), rt.Interface, x.names())
			}
			gw := "link#" + fmt.Sprint(rt.Index)
			if a, err := netip.ParseAddr(rt.Gateway); err == nil {
				gw = rtutil.Routename(a, rt.Interface, x.names())
			}
			fmt.Fprintf(x.t.Stdout, "%-20.20s %-20.20s done\n", dest, gw)
		}
	}
	return 0
}
