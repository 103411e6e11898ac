// Package ndp is rndp(8), NetBSD's ndp(8) for a rump kernel: it shows,
// adds, deletes and flushes the kernel's IPv6 neighbour cache over the
// control socket, with ndp's syntax, output and messages.
//
// It parses, then connects, then acts; it must not know how the kernel
// keeps its neighbour cache.
package ndp

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strings"
	"syscall"
	"time"

	"github.com/rumpnet/rumpnet/internal/cli"
	"github.com/rumpnet/rumpnet/internal/getopt"
	"github.com/rumpnet/rumpnet/internal/xo"
	"github.com/rumpnet/rumpnet/pkg/api"
	"github.com/rumpnet/rumpnet/pkg/cli/rtutil"
	"github.com/rumpnet/rumpnet/pkg/client"
)

const usage = `Usage: rndp [-nt] hostname
       rndp [-nt] -a | -c
       rndp [-nt] -d hostname
       rndp [-nt] -f filename
       rndp [-nt] -s nodename etheraddr [temp] [proxy]
`

// Backend is what rndp needs from a kernel; client.Client is one.
type Backend interface {
	Neighbors(family int) ([]api.Neighbor, error)
	AddNeighbor(family int, n api.Neighbor) error
	DeleteNeighbor(family int, n api.Neighbor) error
}

// request is a parsed command line.
type request struct {
	mode    byte   // 'a', 'c', 'd', 'f', 's', or 0 to show one host
	arg     string // of -d and -f
	numeric bool   // -n
	stamp   bool   // -t
	args    []string
	xo      xo.Options // --libxo
}

func parse(args []string) (request, error) {
	var r request
	xopt, args, err := xo.Parse(args)
	if err != nil {
		return r, &cli.UsageError{Msg: err.Error()}
	}
	r.xo = xopt
	opts, rest, err := getopt.Parse("acd:f:i:nstA:", args)
	if err != nil {
		return r, &cli.UsageError{Msg: err.Error()}
	}
	for _, o := range opts {
		switch o.Flag {
		case 'a', 'c', 'd', 'f', 's', 'i', 'A':
			if r.mode != 0 {
				return r, &cli.UsageError{}
			}
			r.mode, r.arg = o.Flag, o.Arg
		case 'n':
			r.numeric = true
		case 't':
			r.stamp = true
		}
	}
	r.args = rest
	if r.xo.Style != xo.Text && r.mode != 'a' && r.mode != 0 {
		return r, cli.Refuse("--libxo: only the neighbour listing (-a or a host) has " + r.xo.Style.String() + " output")
	}
	switch r.mode {
	case 'A':
		return r, cli.Refuse("-A: repeated display is not supported")
	case 'i':
		return r, cli.Refuse("-i: the rump kernel's neighbour discovery settings are not adjustable")
	case 'a', 'c', 'd', 'f':
		if len(rest) != 0 {
			return r, &cli.UsageError{}
		}
	case 's':
		if len(rest) < 2 || len(rest) > 4 {
			return r, &cli.UsageError{}
		}
	default:
		if len(rest) != 1 {
			return r, &cli.UsageError{}
		}
	}
	return r, nil
}

// Run is rndp's main.
func Run(args []string, stdout, stderr io.Writer) int {
	t := &cli.Tool{Name: "rndp", Stdout: stdout, Stderr: stderr,
		Usage: usage, Complete: &completion}
	return t.Run(args, func(args []string) int {
		return Main(t, func() Backend { return &client.Client{} }, time.Now, args)
	})
}

// Main parses args, then runs them against the backend connect returns;
// now is the clock -t stamps lines with. Without RUMP_SERVER it fails
// before connecting.
func Main(t *cli.Tool, connect func() Backend, now func() time.Time, args []string) int {
	r, err := parse(args)
	if !t.Start(err, usage) {
		return 1
	}
	x := &executor{t: t, b: connect(), r: r, now: now}
	status, err := x.run()
	if err != nil {
		return t.Report(cli.Fail("writing to routing socket", err))
	}
	return status
}

// executor runs one request.
type executor struct {
	t   *cli.Tool
	b   Backend
	r   request
	now func() time.Time
	xw  *xo.Writer // for --libxo json or xml
}

func (x *executor) run() (int, error) {
	if x.r.xo.Style == xo.Text {
		return x.do()
	}
	x.startXo()
	status, err := x.do()
	if err != nil {
		return status, err
	}
	return status, x.finishXo()
}

func (x *executor) do() (int, error) {
	switch x.r.mode {
	case 'a':
		return 0, x.foreach(netip.Addr{}, "", 0)
	case 'c':
		return 0, x.foreach(netip.Addr{}, "", 'c')
	case 'd':
		a, ok := x.addr(x.r.arg)
		if !ok {
			return 0, nil
		}
		return 0, x.foreach(a, x.r.arg, 'd')
	case 's':
		return x.set(x.r.args)
	case 'f':
		return x.file(x.r.arg)
	}
	host := x.r.args[0]
	a, ok := x.addr(host)
	if !ok {
		return 0, nil
	}
	ns, err := x.b.Neighbors(6)
	if err != nil {
		return 1, err
	}
	x.heading()
	found := false
	for _, n := range ns {
		if na, err := netip.ParseAddr(n.Addr); err == nil && sameNeighbor(na, n.Interface, a) {
			found = true
			x.line(n)
		}
	}
	if !found {
		x.t.Warnx("%s (%s) -- no entry", host, x.name(a, a.Zone()))
		return 1, nil
	}
	return 0, nil
}

// sameNeighbor reports whether an entry is for a: the same address, and
// the same interface if a names one.
func sameNeighbor(entry netip.Addr, ifname string, a netip.Addr) bool {
	return entry == a.WithZone("") && (a.Zone() == "" || a.Zone() == ifname)
}

// addr reads a node as getaddrinfo does: a number (with its interface
// for a link-local one), else a name.
func (x *executor) addr(host string) (netip.Addr, bool) {
	if a, err := netip.ParseAddr(host); err == nil && a.Is6() {
		return a, true
	}
	if a, ok := rtutil.LookupHost(host, 6); ok {
		return a, true
	}
	x.t.Warnx("%s: hostname nor servname provided, or not known", host)
	return netip.Addr{}, false
}

// name prints a neighbour's address: its name unless -n, link-local ones
// with their interface.
func (x *executor) name(a netip.Addr, ifname string) string {
	r := rtutil.Resolver(rtutil.LookupName)
	if x.r.numeric {
		r = nil
	}
	return rtutil.Routename(a, ifname, r)
}

// Column widths of the neighbour table.
const (
	wAddr = 8*4 + 7
	wLL   = 17
	wIf   = 6
)

func (x *executor) heading() {
	if x.xw != nil {
		return
	}
	if !x.r.stamp {
		fmt.Fprintf(x.t.Stdout, "%-*.*s %-*.*s %*.*s %-9.9s %1s %2s\n", wAddr, wAddr, "Neighbor",
			wLL, wLL, "Linklayer Address", wIf, wIf, "Netif", "Expire", "S", "Fl")
	}
}

// foreach goes over the entries (of addr, if valid): printing them, or
// for 'c' deleting the dynamic ones, or for 'd' deleting them.
func (x *executor) foreach(addr netip.Addr, host string, op byte) error {
	ns, err := x.b.Neighbors(6)
	if err != nil {
		return err
	}
	if op != 'c' {
		x.heading()
	}
	for _, n := range ns {
		a, err := netip.ParseAddr(n.Addr)
		if err != nil || addr.IsValid() && !sameNeighbor(a, n.Interface, addr) {
			continue
		}
		name := x.name(a, n.Interface)
		switch {
		case op == 'c' && n.State == api.NeighborStatic:
		case op == 'c' || op == 'd':
			err := x.b.DeleteNeighbor(6, api.Neighbor{Addr: n.Addr, Interface: n.Interface})
			if errors.Is(err, syscall.ESRCH) {
				continue
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(x.t.Stdout, "%s (%s) deleted\n", cmp.Or(host, name), name)
		default:
			x.line(n)
		}
	}
	return nil
}

// stateLetters are ndp's letters for the neighbour states.
var stateLetters = map[string]string{
	api.NeighborIncomplete: "I", api.NeighborReachable: "R", api.NeighborStale: "S",
	api.NeighborDelay: "D", api.NeighborProbe: "P", api.NeighborUnreachable: "U",
	api.NeighborStatic: "R", api.NeighborUnknown: "N",
}

// line prints one entry as ndp -a does.
func (x *executor) line(n api.Neighbor) {
	if x.xw != nil {
		x.emitLine(n)
		return
	}
	a, _ := netip.ParseAddr(n.Addr)
	host := x.name(a, n.Interface)
	ll := n.LinkAddr
	if ll == "" {
		ll = "(incomplete)"
	}
	aw := max(len(host), wAddr)
	lw := max(len(ll), wAddr+wLL-aw)
	iw := max(len(n.Interface), wAddr+wLL+wIf-aw-lw)
	w := x.t.Stdout
	if x.r.stamp {
		now := x.now()
		fmt.Fprintf(w, "%02d:%02d:%02d.%06d ", now.Hour(), now.Minute(), now.Second(), now.Nanosecond()/1000)
	}
	expire := "expired"
	switch {
	case n.Permanent:
		expire = "permanent"
	case n.Expire > 0:
		expire = sec2str(n.Expire)
	}
	state, ok := stateLetters[n.State]
	if !ok {
		state = "?"
	}
	fmt.Fprintf(w, "%-*.*s %-*.*s %*.*s %-9.9s %s \n", aw, aw, host, lw, lw, ll, iw, iw, n.Interface, expire, state)
}

// sec2str writes a duration as ndp does: "1d2h3m4s", leading zero units
// left out.
func sec2str(total int) string {
	days, hours, mins, secs := total/86400, total/3600%24, total/60%60, total%60
	var b strings.Builder
	if days > 0 {
		fmt.Fprintf(&b, "%dd", days)
	}
	if b.Len() > 0 || hours > 0 {
		fmt.Fprintf(&b, "%dh", hours)
	}
	if b.Len() > 0 || mins > 0 {
		fmt.Fprintf(&b, "%dm", mins)
	}
	fmt.Fprintf(&b, "%ds", secs)
	return b.String()
}

// set adds a static entry: nodename etheraddr [temp] [proxy].
func (x *executor) set(args []string) (int, error) {
	host, eaddr := args[0], args[1]
	a, ok := x.addr(host)
	if !ok {
		return 1, nil
	}
	mac, err := net.ParseMAC(eaddr)
	if err != nil || len(mac) != 6 {
		x.t.Warnx("invalid Ethernet address '%s'", eaddr)
		return 1, nil
	}
	n := api.Neighbor{Addr: a.WithZone("").String(), Interface: a.Zone(), LinkAddr: mac.String()}
	for _, w := range args[2:] {
		switch {
		case strings.HasPrefix(w, "temp"):
			n.Temp = true
		case strings.HasPrefix(w, "proxy"):
			x.t.Warnx("proxy: the rump kernel does no proxy neighbour discovery")
			return 1, nil
		}
	}
	err = x.b.AddNeighbor(6, n)
	switch {
	case errors.Is(err, syscall.ENETUNREACH), errors.Is(err, syscall.EOPNOTSUPP), errors.Is(err, syscall.ENXIO):
		x.t.Warnx("cannot intuit interface index and type for %s", host)
		return 1, nil
	case err != nil:
		return 1, err
	}
	return 0, nil
}

// file sets the entries a file lists, one "host address [args]" a line.
func (x *executor) file(name string) (int, error) {
	return x.t.SetFromFile(name, "writing to routing socket", x.set)
}
