package ifconfig

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"syscall"

	"github.com/rumpnet/rumpnet/internal/cli"
	"github.com/rumpnet/rumpnet/pkg/api"
	"github.com/rumpnet/rumpnet/pkg/client"
)

// opError is a failed operation, named the way NetBSD's ifconfig names it in
// messages ("SIOCAIFADDR", "clone_command").
type opError struct {
	op  string
	err error
}

func (e *opError) Error() string { return e.op + ": " + e.err.Error() }
func (e *opError) Unwrap() error { return e.err }

func fail(op string, err error) error {
	var ie *client.InitError
	if errors.As(err, &ie) {
		return err // reported as "rump client init: ..."
	}
	return &opError{op, err}
}

// execute runs a parsed request against b, writing output to w. Warnings
// (an invalid mtu or metric, as NetBSD) go through t and do not fail.
func execute(t *cli.Tool, b Backend, r *request, w io.Writer) (status int, err error) {
	switch r.mode {
	case modeCloners:
		names, err := b.Cloners()
		if err != nil {
			return 1, fail("SIOCIFGCLONERS", err)
		}
		fmt.Fprintln(w, strings.Join(names, " "))
		return 0, nil
	case modeList:
		ifs, err := b.Interfaces()
		if err != nil {
			return 1, fail("getifaddrs", err)
		}
		var names []string
		for _, ifc := range ifs {
			if r.selects(ifc) {
				names = append(names, ifc.Name)
			}
		}
		fmt.Fprintln(w, strings.Join(names, " "))
		return 0, nil
	case modeShowAll:
		ifs, err := b.Interfaces()
		if err != nil {
			return 1, fail("getifaddrs", err)
		}
		for _, ifc := range ifs {
			if r.selects(ifc) {
				if err := r.show(b, ifc, w); err != nil {
					return 1, err
				}
			}
		}
		return 0, nil
	case modeShow, modeCarrier:
		ifc, err := b.Interface(r.ifname)
		if err != nil {
			return 1, fail("SIOCGIFFLAGS "+r.ifname, err)
		}
		if r.mode == modeCarrier {
			if ifc.LinkState == api.LinkStateDown {
				return 1, nil
			}
			return 0, nil
		}
		return 0, r.show(b, ifc, w)
	}
	return configure(t, b, r)
}

// selects applies the -b, -d, -u and -s filters.
func (r *request) selects(ifc api.Interface) bool {
	up := ifc.Flags&api.IFF_UP != 0
	switch {
	case r.onlyBroadcast && ifc.Flags&api.IFF_BROADCAST == 0,
		r.onlyDown && up,
		r.onlyUp && !up,
		r.skipNoCarrier && ifc.LinkState == api.LinkStateDown:
		return false
	}
	return true
}

func (r *request) show(b Backend, ifc api.Interface, w io.Writer) error {
	writeStatus(w, ifc, formatOptions{family: r.family, verbose: r.verbose || r.zero})
	if r.zero {
		if err := b.ZeroStats(ifc.Name); err != nil {
			return fail("SIOCZIFDATA", err)
		}
	}
	return nil
}

// configure applies a configuration request in NetBSD's order: create, the
// parameters in command-line order, address removal, address assignment,
// then destroy. An interface this command created is destroyed again if a
// later step fails, so a failed command leaves no half-made interface.
func configure(t *cli.Tool, b Backend, r *request) (int, error) {
	if r.create {
		create := b.CreateInterface
		if r.owner != "" {
			create = func(name string) error { return b.CreateOwned(name, r.owner) }
		}
		if err := create(r.ifname); err != nil {
			return 1, fail("clone_command", err)
		}
	}
	status, err := configureExisting(t, b, r)
	if err != nil && r.create && !r.destroy {
		b.DestroyInterface(r.ifname)
	}
	return status, err
}

func configureExisting(t *cli.Tool, b Backend, r *request) (int, error) {
	if r.destroy && len(r.actions) == 0 && r.addr == nil && r.remove == nil {
		if err := b.DestroyInterface(r.ifname); err != nil {
			return 1, fail("clone_command", err)
		}
		return 0, nil
	}
	ifc, err := b.Interface(r.ifname)
	if err != nil {
		return 1, fail("exec_matches", err)
	}
	for _, a := range r.actions {
		switch a.what {
		case "flags":
			cur, err := b.Interface(r.ifname)
			if err != nil {
				return 1, fail("SIOCGIFFLAGS", err)
			}
			flags := cur.Flags&^a.clrFlags | a.setFlags
			if err := b.SetFlags(r.ifname, flags); err != nil {
				return 1, fail("SIOCSIFFLAGS", err)
			}
		case "mtu":
			if err := b.SetMTU(r.ifname, a.n); err != nil {
				t.Warn(err, "SIOCSIFMTU")
			}
		case "metric":
			if err := b.SetMetric(r.ifname, a.n); err != nil {
				t.Warn(err, "SIOCSIFMETRIC")
			}
		case "linkstr":
			if err := b.SetLinkstr(r.ifname, a.s); err != nil {
				return 1, fail("SIOCSLINKSTR", err)
			}
		}
	}
	if r.remove != nil {
		if err := removeAddr(b, ifc, r.remove); err != nil {
			return 1, err
		}
	}
	if r.addr != nil {
		if err := assignAddr(b, r.ifname, r.addr); err != nil {
			return 1, err
		}
	}
	if r.destroy {
		if err := b.DestroyInterface(r.ifname); err != nil {
			return 1, fail("clone_command", err)
		}
	}
	return 0, nil
}

func removeAddr(b Backend, ifc api.Interface, rs *removeSpec) error {
	op := "SIOCDIFADDR"
	list := ifc.Inet
	if rs.family == "inet6" {
		op, list = "SIOCDIFADDR_IN6", ifc.Inet6
	}
	target := ""
	if rs.addr.IsValid() {
		target = rs.addr.String()
	} else if len(list) > 0 {
		target = list[0].Addr
	} else {
		return fail(op, api.Errorf(syscall.EADDRNOTAVAIL, "no "+rs.family+" address"))
	}
	if err := b.DelAddr(ifc.Name, target); err != nil {
		return fail(op, err)
	}
	return nil
}

// assignAddr adds the address: a plain inet address replaces the
// interface's first inet address, inet6 and alias add.
func assignAddr(b Backend, ifname string, a *addrSpec) error {
	plen := a.prefixlen
	if plen < 0 {
		if a.family == "inet" {
			plen = classfulLen(a.addr)
		} else {
			plen = 64
		}
	}
	req := api.IfAddr{
		Addr:      fmt.Sprintf("%s/%d", a.addr, plen),
		Broadcast: a.broadcast,
		Dest:      a.dest,
	}
	op := "SIOCAIFADDR"
	if a.family == "inet6" {
		op = "SIOCAIFADDR_IN6"
	} else if !a.alias {
		cur, err := b.Interface(ifname)
		if err != nil {
			return fail("SIOCGIFADDR", err)
		}
		if len(cur.Inet) > 0 {
			req.Replace = cur.Inet[0].Addr
		}
	}
	if err := b.AddAddr(ifname, req); err != nil {
		return fail(op, err)
	}
	return nil
}
