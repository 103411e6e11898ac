// Package netstat is rnetstat(1), NetBSD's netstat(1) for a rump kernel:
// it shows the kernel's sockets, interfaces, routing tables and protocol
// statistics, read over the control socket, in netstat's formats.
//
// It parses, then connects, then prints; it must not change the kernel.
package netstat

import (
	"fmt"
	"io"

	"github.com/rumpnet/rumpnet/internal/cli"
	"github.com/rumpnet/rumpnet/internal/getopt"
	"github.com/rumpnet/rumpnet/internal/xo"
	"github.com/rumpnet/rumpnet/pkg/api"
	"github.com/rumpnet/rumpnet/pkg/cli/rtutil"
	"github.com/rumpnet/rumpnet/pkg/client"
)

const usage = `usage: rnetstat [-anSX] [-f address_family]
       rnetstat [-bdiLnrSsvX] [-f address_family]
       rnetstat [-bdnv] [-I interface]
       rnetstat [-s] [-p protocol]
`

// Backend is what rnetstat reads from a kernel; client.Client is one.
type Backend interface {
	Interfaces() ([]api.Interface, error)
	Routes(family int) ([]api.Route, error)
	Neighbors(family int) ([]api.Neighbor, error)
	Sockets() ([]api.Socket, error)
	NetStats() (api.NetStats, error)
}

// options is a parsed command line.
type options struct {
	all     bool       // -a: listening sockets too
	bytes   bool       // -b: bytes instead of packets
	drops   bool       // -d: dropped packets
	family  int        // -f: 4, 6, 0 for every family, -1 for a family the kernel lacks
	ifaces  bool       // -i, -I
	ifname  string     // -I
	noLink  bool       // -L
	numeric bool       // -n: addresses and ports as numbers
	numAddr bool       // -S: addresses as numbers, ports by name
	routes  bool       // -r
	stats   int        // -s, repeated
	proto   string     // -p
	verbose bool       // -v
	xo      xo.Options // --libxo
}

// unsupported are netstat's options the rump kernel has nothing for.
var unsupported = map[byte]string{
	'A': "-A: the rump kernel has no protocol control block addresses",
	'B': "-B: the rump kernel has no bpf peers",
	'g': "-g: the rump kernel does no multicast routing",
	'h': "-h: human-readable byte counts are not supported",
	'l': "-l: the rump kernel does no multicast routing",
	'M': "-M: there is no kernel memory image to read",
	'm': "-m: the rump kernel has no mbuf statistics",
	'N': "-N: there is no kernel name list to read",
	'P': "-P: the rump kernel has no protocol control block addresses",
	'q': "-q: the rump kernel has no software interrupt queues",
	'T': "-T: the rump kernel has no MPLS tags",
	't': "-t: the rump kernel's interfaces have no watchdog timer",
	'w': "-w: interval display is not supported",
}

func parse(args []string) (options, error) {
	var o options
	xopt, args, err := xo.Parse(args)
	if err != nil {
		return o, &cli.UsageError{Msg: err.Error()}
	}
	o.xo = xopt
	opts, rest, err := getopt.Parse("AaBbdf:ghI:iLlM:mN:nP:p:qrSsTtuvw:X", args)
	if err != nil {
		return o, &cli.UsageError{Msg: err.Error()}
	}
	if len(rest) > 0 {
		return o, &cli.UsageError{}
	}
	for _, op := range opts {
		if msg, ok := unsupported[op.Flag]; ok {
			return o, cli.Refuse(msg)
		}
		switch op.Flag {
		case 'a':
			o.all = true
		case 'b':
			o.bytes = true
		case 'd':
			o.drops = true
		case 'f':
			switch op.Arg {
			case "inet":
				o.family = 4
			case "inet6":
				o.family = 6
			case "local", "unix", "arp", "atalk", "mpls", "ns", "iso":
				o.family = -1
			default:
				return o, cli.Refuse(op.Arg + ": unknown address family")
			}
		case 'I':
			o.ifaces, o.ifname = true, op.Arg
		case 'i':
			o.ifaces = true
		case 'L':
			o.noLink = true
		case 'n':
			o.numeric = true
		case 'p':
			if findProto(op.Arg) == nil {
				return o, cli.Refuse(op.Arg + ": unknown or uninstrumented protocol")
			}
			o.proto = op.Arg
		case 'r':
			o.routes = true
		case 'S':
			o.numAddr = true
		case 's':
			o.stats++
		case 'u':
			o.family = -1
		case 'v':
			o.verbose = true
		}
	}
	if o.ifaces && (o.stats > 0 || o.proto != "") {
		return o, cli.Refuse("-i: per-interface protocol statistics are not kept")
	}
	if o.xo.Style != xo.Text && o.routes && o.stats > 0 {
		return o, cli.Refuse("--libxo: the routing statistics (-rs) have no " + o.xo.Style.String() + " output")
	}
	return o, nil
}

// Run is rnetstat's main.
func Run(args []string, stdout, stderr io.Writer) int {
	t := &cli.Tool{Name: "rnetstat", Stdout: stdout, Stderr: stderr,
		Usage: usage, Complete: &completion}
	return t.Run(args, func(args []string) int {
		return Main(t, func() Backend { return &client.Client{} }, args)
	})
}

// Main parses args, then prints what they ask for from the backend
// connect returns. Without RUMP_SERVER it fails before connecting.
func Main(t *cli.Tool, connect func() Backend, args []string) int {
	o, err := parse(args)
	if !t.Start(err, usage) {
		return 1
	}
	b := connect()
	switch {
	case o.ifaces:
		err = o.interfaces(t.Stdout, b)
	case o.routes && o.stats > 0:
		err = o.routeStats(t.Stdout, b)
	case o.routes:
		err = o.routingTables(t.Stdout, b)
	case o.stats > 0 || o.proto != "":
		err = o.protoStats(t.Stdout, b)
	default:
		err = o.sockets(t.Stdout, b)
	}
	if err != nil {
		return t.Report(cli.Fail("sysctl", err))
	}
	return 0
}

// names resolves addresses unless -n or -S.
func (o options) names() rtutil.Resolver {
	if o.numeric || o.numAddr {
		return nil
	}
	return rtutil.LookupName
}

// families lists the families -f selects.
func (o options) families() []int {
	switch o.family {
	case 0:
		return []int{4, 6}
	case -1:
		return nil
	}
	return []int{o.family}
}

// routingTables prints -r.
func (o options) routingTables(w io.Writer, b Backend) error {
	var tables []rtutil.Table
	for _, f := range o.families() {
		routes, err := b.Routes(f)
		if err != nil {
			return err
		}
		neigh, err := b.Neighbors(f)
		if err != nil {
			return err
		}
		tables = append(tables, rtutil.Table{Family: f, Routes: routes, Neighbors: neigh})
	}
	ro := rtutil.Options{Resolve: o.names(), NoLinkLayer: o.noLink, Verbose: o.verbose, Interesting: ^0}
	if o.xo.Style != xo.Text {
		// FreeBSD netstat puts everything in a "statistics" container.
		x := xo.NewWriter(w, o.xo)
		x.Open("statistics")
		rtutil.EmitTables(x, tables, ro)
		x.Close("statistics")
		return x.Finish()
	}
	rtutil.PrintTables(w, tables, ro)
	return nil
}

// routeStats prints -rs: the kernel makes no routes by itself, so only
// the unreachable destinations count.
func (o options) routeStats(w io.Writer, b Backend) error {
	st, err := b.NetStats()
	if err != nil {
		return err
	}
	unreach := st.IP.NoRoute + st.IP6.NoRoute
	fmt.Fprintln(w, "routing:")
	for _, l := range []struct {
		n    uint64
		text string
	}{
		{0, "bad routing redirect%s"}, {0, "dynamically created route%s"},
		{0, "new gateway%s due to redirects"}, {unreach, "destination%s found unreachable"},
		{0, "use%s of a wildcard route"},
	} {
		fmt.Fprintf(w, "\t%d "+l.text+"\n", l.n, plural(l.n))
	}
	return nil
}

func plural(n uint64) string {
	if n != 1 {
		return "s"
	}
	return ""
}
