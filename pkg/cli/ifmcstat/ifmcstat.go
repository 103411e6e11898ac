// Package ifmcstat is rifmcstat(8), NetBSD's ifmcstat(8) for a rump
// kernel: each interface's multicast memberships, IPv6 and IPv4, and the
// link-layer multicast addresses they map to, in ifmcstat's format.
//
// It parses, then connects, then prints; it must not know how the kernel
// keeps its groups.
package ifmcstat

import (
	"fmt"
	"io"

	"github.com/rumpnet/rumpnet/internal/cli"
	"github.com/rumpnet/rumpnet/pkg/api"
	"github.com/rumpnet/rumpnet/pkg/client"
)

const usage = "Usage: rifmcstat\n"

// Backend is what rifmcstat needs from a kernel; client.Client is one.
type Backend interface {
	Multicast() ([]api.Multicast, error)
}

var _ Backend = (*client.Client)(nil)

// Run is rifmcstat's main.
func Run(args []string, stdout, stderr io.Writer) int {
	t := &cli.Tool{Name: "rifmcstat", Stdout: stdout, Stderr: stderr,
		Usage: usage, Complete: &completion}
	return t.Run(args, func(args []string) int {
		return Main(t, func() Backend { return &client.Client{} }, args)
	})
}

// Main checks that there are no arguments, then prints what the backend
// connect returns.
func Main(t *cli.Tool, connect func() Backend, args []string) int {
	var err error
	if len(args) > 0 {
		err = &cli.UsageError{}
	}
	if !t.Start(err, usage) {
		return 1
	}
	ms, err := connect().Multicast()
	if err != nil {
		return t.Report(cli.Fail("multicast", err))
	}
	Print(t.Stdout, ms)
	return 0
}

// Print writes the memberships as ifmcstat does: the interface, its IPv6
// addresses each with its groups, then its IPv4 ones, then for an
// Ethernet interface its address and the link-layer multicast addresses.
func Print(w io.Writer, ms []api.Multicast) {
	for _, m := range ms {
		fmt.Fprintf(w, "%s:\n", m.Interface)
		for _, family := range []string{"inet6", "inet"} {
			for _, a := range m.Addrs {
				if (family == "inet6") != isInet6(a.Addr) || len(a.Groups) == 0 {
					continue
				}
				fmt.Fprintf(w, "\t%s %s\n", family, a.Addr)
				for _, g := range a.Groups {
					fmt.Fprintf(w, "\t\tgroup %s refcount %d\n", g.Group, g.Refcnt)
				}
			}
		}
		if m.LinkAddr == "" {
			continue
		}
		fmt.Fprintf(w, "\tenaddr %s multicnt %d\n", m.LinkAddr, len(m.Link))
		for _, l := range m.Link {
			fmt.Fprintf(w, "\t\t%s -- %s %d\n", l.Addr, l.Addr, l.Refcnt)
		}
	}
}

func isInet6(a string) bool {
	for i := 0; i < len(a); i++ {
		if a[i] == ':' {
			return true
		}
	}
	return false
}
