package ifconfig

import (
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strings"
	"syscall"
	"time"

	"github.com/rumpnet/rumpnet/internal/cli"
	"github.com/rumpnet/rumpnet/pkg/api"
)

// execute runs a parsed request against b, writing output to w. Warnings
// (an invalid mtu or metric, as NetBSD) go through t and do not fail.
func execute(t *cli.Tool, b Backend, r *request, w io.Writer) (status int, err error) {
	// A number names an interface by index (NetBSD's ifunit), but a
	// cloner is looked up by name: "0 create" is clone_command's EINVAL.
	if r.byIndex && !r.create && !r.destroy {
		if err := r.resolveIndex(b); err != nil {
			return 1, err
		}
	}
	switch r.mode {
	case modeCloners:
		names, err := b.Cloners()
		if err != nil {
			return 1, cli.Fail("SIOCIFGCLONERS", err)
		}
		p := newPrinter(r, w)
		p.names("cloner", names)
		return 0, p.finish()
	case modeList:
		ifs, err := listInterfaces(b)
		if err != nil {
			return 1, cli.Fail("getifaddrs", err)
		}
		var names []string
		for _, ifc := range ifs {
			if r.selects(ifc) {
				names = append(names, ifc.Name)
			}
		}
		p := newPrinter(r, w)
		p.names("interface", names)
		return 0, p.finish()
	case modeShowAll:
		ifs, err := b.Interfaces()
		if err != nil {
			return 1, cli.Fail("getifaddrs", err)
		}
		// Print every interface even if zeroing fails (the Linux host
		// cannot zero), then report the first failure.
		var zeroErr error
		p := newPrinter(r, w)
		for _, ifc := range ifs {
			if r.selects(ifc) {
				if err := r.show(b, ifc, p); err != nil && zeroErr == nil {
					zeroErr = err
				}
			}
		}
		if err := p.finish(); err != nil && zeroErr == nil {
			zeroErr = err
		}
		if zeroErr != nil {
			return 1, zeroErr
		}
		return 0, nil
	case modeWait:
		return waitDAD(t, b, r)
	case modeShow, modeCarrier:
		ifc, err := b.Interface(r.ifname)
		if err != nil {
			return 1, cli.Fail("SIOCGIFFLAGS "+r.ifname, err)
		}
		if r.mode == modeCarrier {
			if ifc.LinkState == api.LinkStateDown {
				return 1, nil
			}
			return 0, nil
		}
		if r.byIndex {
			// NetBSD's ifconfig checks the interface through the kernel
			// (where a number is an index) but prints the status of the
			// interfaces whose name is the argument, and none is "1".
			return 0, nil
		}
		p := newPrinter(r, w)
		err = r.show(b, ifc, p)
		if ferr := p.finish(); err == nil {
			err = ferr
		}
		if err != nil {
			return 1, err
		}
		return 0, nil
	}
	return configure(t, b, r)
}

// resolveIndex turns an interface given by its index into its name. An
// index that names no interface fails as NetBSD's ifconfig does, without a
// name to show.
func (r *request) resolveIndex(b Backend) error {
	ifs, err := b.Interfaces()
	if err != nil {
		return cli.Fail("getifaddrs", err)
	}
	for _, ifc := range ifs {
		if ifc.Index == r.index {
			r.ifname = ifc.Name
			return nil
		}
	}
	return cli.Fail("SIOCGIFFLAGS", api.Errorf(syscall.ENXIO, fmt.Sprintf("no interface of index %d", r.index)))
}

// lister is a Backend that lists interfaces with only the fields -l's
// filters need (name, flags, link state) in a lighter request than
// Interfaces; client.Client is one.
type lister interface {
	InterfaceList() ([]api.Interface, error)
}

// listInterfaces returns the interfaces for -l: through lister if b is one.
func listInterfaces(b Backend) ([]api.Interface, error) {
	if l, ok := b.(lister); ok {
		return l.InterfaceList()
	}
	return b.Interfaces()
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

func (r *request) show(b Backend, ifc api.Interface, p printer) error {
	p.status(ifc, r.formatOptions())
	if r.zero {
		if err := b.ZeroStats(ifc.Name); err != nil {
			if isExplained(err) {
				return err
			}
			return cli.Fail("SIOCZIFDATA", err)
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
		if linked := createLinked(b, r); linked != nil {
			create = linked
		}
		if err := create(r.ifname); err != nil {
			return 1, cli.Fail("clone_command", err)
		}
	}
	status, err := configureExisting(t, b, r)
	if err != nil && r.create && !r.destroy {
		b.DestroyInterface(r.ifname)
	}
	return status, err
}

// linkedCreator is a backend that can bind a virt interface to another
// host tap as it creates it (the rump kernel's).
type linkedCreator interface {
	CreateLinked(name, linkstr string) error
}

// createLinked returns, for "virtN create ... linkstr NAME" on a backend
// that can, a create that opens NAME straight away and takes that linkstr
// out of r's actions; nil otherwise, and when "up" comes before the
// linkstr, which must then fail as it would after the create. Creating with tapN and then moving to
// NAME would fail whenever tapN is held by another kernel, which is the
// very case linkstr is given for.
func createLinked(b Backend, r *request) func(string) error {
	lc, ok := b.(linkedCreator)
	if !ok || r.owner != "" || !strings.HasPrefix(r.ifname, "virt") {
		return nil
	}
	for i, a := range r.actions {
		if a.what == "flags" && a.setFlags&api.IFF_UP != 0 {
			return nil // linkstr after up is EBUSY, as it stands
		}
		if a.what == "linkstr" && a.s != "" {
			r.actions = append(r.actions[:i:i], r.actions[i+1:]...)
			return func(name string) error { return lc.CreateLinked(name, a.s) }
		}
	}
	return nil
}

func configureExisting(t *cli.Tool, b Backend, r *request) (int, error) {
	if r.destroy && len(r.actions) == 0 && r.addr == nil && r.remove == nil && r.link == nil {
		if err := b.DestroyInterface(r.ifname); err != nil {
			return 1, cli.Fail("clone_command", err)
		}
		return 0, nil
	}
	ifc, err := b.Interface(r.ifname)
	if err != nil {
		return 1, cli.Fail("exec_matches", err)
	}
	// Everything that depends on the interface is worked out before the
	// first change, so a bad value changes nothing.
	media, err := mediaRequest(ifc, r.mediaWords)
	if err != nil {
		return 1, err
	}
	var addReq *api.IfAddr
	if r.addr != nil {
		if addReq, err = addrRequest(ifc, r.addr); err != nil {
			return 1, err
		}
	}
	if media != "" {
		if err := b.SetMedia(r.ifname, media); err != nil {
			return 1, cli.Fail("SIOCSIFMEDIA", err)
		}
	}
	for _, a := range r.actions {
		switch a.what {
		case "flags":
			cur, err := b.Interface(r.ifname)
			if err != nil {
				return 1, cli.Fail("SIOCGIFFLAGS", err)
			}
			flags := cur.Flags&^a.clrFlags | a.setFlags
			if err := b.SetFlags(r.ifname, flags); err != nil {
				return 1, cli.Fail("SIOCSIFFLAGS", err)
			}
		case "mtu":
			if err := b.SetMTU(r.ifname, a.n); err != nil {
				if isExplained(err) {
					return 1, err
				}
				t.Warn(err, "SIOCSIFMTU")
			}
		case "metric":
			if err := b.SetMetric(r.ifname, a.n); err != nil {
				if isExplained(err) {
					return 1, err
				}
				t.Warn(err, "SIOCSIFMETRIC")
			}
		case "linkstr":
			if err := b.SetLinkstr(r.ifname, a.s); err != nil {
				return 1, cli.Fail("SIOCSLINKSTR", err)
			}
		case "vlan", "-vlanif":
			if err := setVlan(b, ifc, a); err != nil {
				return 1, err
			}
		case "l2tp":
			if err := setL2tp(t, b, r.ifname, a); err != nil {
				return 1, err
			}
		case "tunnel", "deletetunnel":
			if ifc.Kind == "l2tp" {
				if err := setL2tp(t, b, r.ifname, l2tpTunnel(a)); err != nil {
					return 1, err
				}
				continue
			}
			setTunnel(t, b, ifc, a)
		}
	}
	if r.link != nil {
		if err := linkCommand(b, r.ifname, r.link); err != nil {
			return 1, err
		}
	}
	if r.remove != nil {
		if err := removeAddr(b, ifc, r.remove); err != nil {
			return 1, err
		}
	}
	if addReq != nil {
		if err := assignAddr(b, r.ifname, r.addr, *addReq); err != nil {
			return 1, err
		}
	}
	if r.capSet != 0 || r.capClr != 0 {
		cur, err := b.Interface(r.ifname)
		if err != nil {
			return 1, cli.Fail("SIOCGIFCAP", err)
		}
		if err := b.SetCapabilities(r.ifname, cur.CapEnabled&^r.capClr|r.capSet); err != nil {
			return 1, cli.Fail("SIOCSIFCAP", err)
		}
	}
	if r.destroy {
		if err := b.DestroyInterface(r.ifname); err != nil {
			return 1, cli.Fail("clone_command", err)
		}
	}
	return 0, nil
}

func linkCommand(b Backend, ifname string, l *linkSpec) error {
	if l.remove {
		if err := b.DelLinkAddr(ifname, l.mac); err != nil {
			return cli.Fail("SIOCDLIFADDR", err)
		}
		return nil
	}
	if err := b.AddLinkAddr(ifname, l.mac, l.active); err != nil {
		return cli.Fail("SIOCALIFADDR", err)
	}
	return nil
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
		return cli.Fail(op, api.Errorf(syscall.EADDRNOTAVAIL, "no "+rs.family+" address"))
	}
	if err := b.DelAddr(ifc.Name, target); err != nil {
		return cli.Fail(op, err)
	}
	return nil
}

// addrRequest turns the command line's address into a request for the
// interface as it is: the second operand is the destination on a
// point-to-point interface and the netmask elsewhere; eui64 takes the
// interface identifier from the link-local address; a plain inet address
// replaces the first inet address.
func addrRequest(ifc api.Interface, a *addrSpec) (*api.IfAddr, error) {
	addr, plen := a.addr, a.prefixlen
	req := &api.IfAddr{Broadcast: a.broadcast, Pltime: a.pltime, Vltime: a.vltime, Preference: a.preference}
	if a.dstormask != "" {
		if ifc.Flags&api.IFF_POINTOPOINT != 0 {
			req.Dest = a.dstormask
		} else {
			n, err := parseNetmask(a.dstormask, a.family)
			if err != nil {
				return nil, err
			}
			if !a.maskSet { // a later netmask or prefixlen wins, left to right
				plen = n
			}
		}
	}
	if a.eui64 {
		id, ok := linkLocalID(ifc)
		if !ok {
			return nil, errors.New("could not determine link local address")
		}
		b := addr.As16()
		copy(b[8:], id[:])
		addr = netip.AddrFrom16(b)
	}
	if plen < 0 {
		if a.family == "inet" {
			plen = classfulLen(addr)
		} else {
			plen = 64
		}
	}
	req.Addr = fmt.Sprintf("%s/%d", addr, plen)
	if a.family == "inet6" {
		req.Flags = a.flags
		for _, cur := range ifc.Inet6 {
			// Flags given earlier stay unless this command clears them.
			if p, err := netip.ParsePrefix(cur.Addr); err == nil && p.Addr() == addr {
				req.Flags |= cur.Flags & (api.IN6_IFF_ANYCAST | api.IN6_IFF_DEPRECATED) &^ a.clrFlags
			}
		}
	} else if !a.alias && len(ifc.Inet) > 0 {
		req.Replace = ifc.Inet[0].Addr
	}
	return req, nil
}

func linkLocalID(ifc api.Interface) ([8]byte, bool) {
	for _, cur := range ifc.Inet6 {
		if p, err := netip.ParsePrefix(cur.Addr); err == nil && p.Addr().IsLinkLocalUnicast() {
			b := p.Addr().As16()
			return [8]byte(b[8:]), true
		}
	}
	return [8]byte{}, false
}

// assignAddr adds the address.
func assignAddr(b Backend, ifname string, a *addrSpec, req api.IfAddr) error {
	op := "SIOCAIFADDR"
	if a.family == "inet6" {
		op = "SIOCAIFADDR_IN6"
	}
	if err := b.AddAddr(ifname, req); err != nil {
		return cli.Fail(op, err)
	}
	return nil
}

// waitDAD is -w: poll until no address is tentative (and with -W, none is
// detached either), or give up with "timed out".
func waitDAD(t *cli.Tool, b Backend, r *request) (int, error) {
	start := time.Now()
	for {
		ifs, err := b.Interfaces()
		if err != nil {
			return 1, cli.Fail("getifaddrs", err)
		}
		tentative, detached := false, false
		for _, ifc := range ifs {
			for _, a := range ifc.Inet {
				tentative = tentative || a.Flags&api.IN_IFF_TENTATIVE != 0
				detached = detached || a.Flags&api.IN_IFF_DETACHED != 0
			}
			for _, a := range ifc.Inet6 {
				tentative = tentative || a.Flags&api.IN6_IFF_TENTATIVE != 0
				detached = detached || a.Flags&api.IN6_IFF_DETACHED != 0
			}
		}
		waitingDetached := r.detached && detached
		if !tentative && !waitingDetached {
			return 0, nil
		}
		elapsed := time.Since(start)
		if tentative && r.wait > 0 && elapsed > r.wait ||
			!tentative && waitingDetached && r.waitDetached > 0 && elapsed > r.waitDetached {
			t.Warnx("timed out")
			return 1, nil
		}
		time.Sleep(waitPoll)
	}
}

// waitPoll is how often -w looks at the addresses again.
const waitPoll = 50 * time.Millisecond

// isExplained reports whether err is something the backend cannot do at
// all, which fails the command even where NetBSD only warns.
func isExplained(err error) bool {
	var ex *api.Explained
	return errors.As(err, &ex)
}
