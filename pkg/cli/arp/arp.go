// Package arp is rarp(8), NetBSD's arp(8) for a rump kernel: it shows,
// adds and deletes the kernel's ARP entries over the control socket, with
// arp's syntax, output and messages.
//
// It parses, then connects, then acts; it must not know how the kernel
// keeps its neighbour cache.
package arp

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strings"
	"syscall"

	"github.com/rumpnet/rumpnet/internal/cli"
	"github.com/rumpnet/rumpnet/internal/getopt"
	"github.com/rumpnet/rumpnet/internal/xo"
	"github.com/rumpnet/rumpnet/pkg/api"
	"github.com/rumpnet/rumpnet/pkg/cli/rtutil"
	"github.com/rumpnet/rumpnet/pkg/client"
)

const usage = `Usage: rarp [-n] hostname
       rarp [-nv] -a
       rarp [-v] -d [-a|hostname [proxy]]
       rarp -s hostname ether_addr [temp] [pub [proxy]]
       rarp -f filename
`

// Backend is what rarp needs from a kernel; client.Client is one.
type Backend interface {
	Neighbors(family int) ([]api.Neighbor, error)
	AddNeighbor(family int, n api.Neighbor) error
	DeleteNeighbor(family int, n api.Neighbor) error
	ClearNeighbors(family int) error
}

// request is a parsed command line.
type request struct {
	op      byte // 'a', 'd', 's', 'f', or 0 to show one host
	all     bool // -a
	numeric bool // -n
	verbose bool // -v
	xo      xo.Options
	args    []string
}

var errUsage = &cli.UsageError{}

func parse(args []string) (request, error) {
	var r request
	xopt, args, err := xo.Parse(args)
	if err != nil {
		return r, &cli.UsageError{Msg: err.Error()}
	}
	r.xo = xopt
	opts, rest, err := getopt.Parse("andsfv", args)
	if err != nil {
		return r, &cli.UsageError{Msg: err.Error()}
	}
	for _, o := range opts {
		switch o.Flag {
		case 'a':
			r.all = true
		case 'd', 's', 'f':
			if r.op != 0 {
				return r, errUsage
			}
			r.op = o.Flag
		case 'n':
			r.numeric = true
		case 'v':
			r.verbose = true
		}
	}
	if r.op == 0 && r.all {
		r.op = 'a'
	}
	r.args = rest
	n := len(rest)
	if r.xo.Style != xo.Text && r.op != 'a' && r.op != 0 {
		return r, cli.Refuse("--libxo: only the cache listing has " + r.xo.Style.String() + " output")
	}
	switch r.op {
	case 'a':
	case 'd':
		if !(r.all && n == 0) && (r.all || n < 1 || n > 2) {
			return r, errUsage
		}
	case 's':
		if n < 2 || n > 7 {
			return r, errUsage
		}
	case 'f':
		if n != 1 {
			return r, errUsage
		}
	default:
		if n != 1 {
			return r, errUsage
		}
	}
	return r, nil
}

// Run is rarp's main.
func Run(args []string, stdout, stderr io.Writer) int {
	t := &cli.Tool{Name: "rarp", Stdout: stdout, Stderr: stderr,
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
	status, err := x.run()
	if err != nil {
		return t.Report(cli.Fail("writing to routing socket", err))
	}
	return status
}

// executor runs one request.
type executor struct {
	t *cli.Tool
	b Backend
	r request
}

func (x *executor) run() (int, error) {
	switch x.r.op {
	case 'a':
		_, err := x.dump(netip.Addr{})
		return 0, err
	case 'd':
		if len(x.r.args) == 0 {
			return x.deleteAll()
		}
		return x.delete(x.r.args[0], x.r.args[1:])
	case 's':
		return x.set(x.r.args)
	case 'f':
		return x.file(x.r.args[0])
	}
	host := x.r.args[0]
	a, ok := x.inetAddr(host)
	if !ok {
		return 1, nil
	}
	found, err := x.dump(a)
	if err != nil {
		return 1, err
	}
	if !found {
		x.t.Warnx("%s (%s) -- no entry", host, a)
		return 1, nil
	}
	return 0, nil
}

// inetAddr reads a host as getinetaddr does: a number, else a name.
func (x *executor) inetAddr(host string) (netip.Addr, bool) {
	if a, ok := rtutil.InetAton(host); ok {
		return a, true
	}
	if a, ok := rtutil.LookupHost(host, 4); ok {
		return a, true
	}
	x.t.Warnx("%s: Unknown host", host)
	return netip.Addr{}, false
}

// dump prints the entries, or only the one for addr when it is valid:
// "? (10.0.0.1) at b2:0a:... on virt0 permanent".
func (x *executor) dump(addr netip.Addr) (found bool, err error) {
	ns, err := x.b.Neighbors(4)
	if err != nil {
		return false, err
	}
	var shown []shownEntry
	for _, n := range ns {
		a, err := netip.ParseAddr(n.Addr)
		if err != nil || addr.IsValid() && a != addr {
			continue
		}
		host := "?"
		if !x.r.numeric {
			if name := rtutil.LookupName(a); name != "" {
				host = name
			}
		}
		shown = append(shown, shownEntry{host: host, addr: a, n: n})
	}
	if x.r.xo.Style != xo.Text {
		return len(shown) > 0, emitEntries(x.t.Stdout, x.r.xo, shown)
	}
	for _, e := range shown {
		line := fmt.Sprintf("%s (%s) at ", e.host, e.addr)
		if e.n.LinkAddr != "" {
			line += e.n.LinkAddr
		} else {
			line += "(incomplete)"
		}
		if e.n.Interface != "" {
			line += " on " + e.n.Interface
		}
		if e.n.Permanent {
			line += " permanent"
		}
		if e.n.Published {
			line += " published (proxy only)"
		}
		fmt.Fprintln(x.t.Stdout, line)
	}
	return len(shown) > 0, nil
}

// delete removes the entry for host, published or not (a trailing
// "proxy" changes nothing: every published entry is proxy-only); a host
// without one is no error, as in NetBSD's arp.
func (x *executor) delete(host string, _ []string) (int, error) {
	a, ok := x.inetAddr(host)
	if !ok {
		return 1, nil
	}
	err := x.b.DeleteNeighbor(4, api.Neighbor{Addr: a.String()})
	if errors.Is(err, syscall.ESRCH) {
		return 0, nil
	}
	if err != nil {
		return 1, err
	}
	if x.r.verbose {
		fmt.Fprintf(x.t.Stdout, "%s (%s) deleted\n", host, a)
	}
	return 0, nil
}

// deleteAll empties the table (-d -a).
func (x *executor) deleteAll() (int, error) {
	ns, err := x.b.Neighbors(4)
	if err != nil {
		return 1, err
	}
	if err := x.b.ClearNeighbors(4); err != nil {
		return 1, err
	}
	if x.r.verbose {
		for _, n := range ns {
			fmt.Fprintf(x.t.Stdout, "%s (%s) deleted\n", n.Addr, n.Addr)
		}
	}
	return 0, nil
}

// set adds a static entry: host ether_addr [temp] [pub [proxy]] [trail]
// [ifscope interface].
func (x *executor) set(args []string) (int, error) {
	host, eaddr := args[0], args[1]
	a, ok := x.inetAddr(host)
	if !ok {
		return 1, nil
	}
	mac, err := net.ParseMAC(eaddr)
	if err != nil || len(mac) != 6 {
		x.t.Warnx("invalid link-level address '%s'", eaddr)
		return 1, nil
	}
	n := api.Neighbor{Addr: a.String(), LinkAddr: mac.String()}
	for i := 2; i < len(args); i++ {
		switch w := args[i]; {
		case strings.HasPrefix(w, "temp"):
			n.Temp = true
		case strings.HasPrefix(w, "pub"):
			// pub and pub proxy alike make a proxy-only entry, as
			// NetBSD's lltable does.
			n.Published = true
		case strings.HasPrefix(w, "trail"):
			x.t.Warnx("%s: Sending trailers is no longer supported", host)
		case w == "ifscope":
			if i+1 == len(args) {
				x.t.Warnx("missing interface for ifscope")
				continue
			}
			i++
			n.Interface = args[i]
		}
	}
	err = x.b.AddNeighbor(4, n)
	switch {
	case errors.Is(err, syscall.ENETUNREACH), errors.Is(err, syscall.EOPNOTSUPP):
		x.t.Warnx("cannot intuit interface index and type for %s", host)
		return 1, nil
	case errors.Is(err, syscall.ENXIO) && n.Interface != "":
		x.t.Warnx("cannot get link address for %s", n.Interface)
		return 1, nil
	case err != nil:
		return 1, err
	}
	if x.r.verbose {
		fmt.Fprintf(x.t.Stdout, "%s (%s) added\n", host, eaddr)
	}
	return 0, nil
}

// file sets the entries a file lists, one "host address [args]" a line.
func (x *executor) file(name string) (int, error) {
	return x.t.SetFromFile(name, "writing to routing socket", x.set)
}
