// Package hostbr is rbrconfig's backend for the Linux host: with
// RUMP_SERVER unset or empty, rbrconfig shows and configures the host's
// Linux bridges through rtnetlink, using github.com/vishvananda/netlink and,
// for the bridge and port attributes that library does not cover, raw
// requests built with its nl package. It implements brconfig.Backend, so a
// Linux bridge is shown in NetBSD's format and configured with NetBSD's
// commands.
//
// It must not run ip(8), bridge(8), brctl(8) or any other program, must not
// write to sysfs, must not talk to rump kernels, must not switch network
// namespaces (it acts in the caller's), and keeps no package-level state: a
// zero Host works, and every call opens its own netlink socket.
//
// How Linux is mapped onto NetBSD's bridge(4):
//
//   - Bridges are the links of kind "bridge"; the interface flags are
//     shown as rifconfig's host backend shows them (pkg/hostif).
//   - add and delete set and clear the member's master. A link that does
//     not exist is ENOENT, one already in this bridge EEXIST, one enslaved
//     to another bridge or any other master EBUSY. Linux puts members in
//     promiscuous mode and drops their cache entries on delete itself.
//   - A member's port number is its interface index. Its flags are
//     LEARNING (the port's learning setting), DISCOVER (unicast flooding),
//     PROTECTED (the port's isolated setting) and STP, shown on every
//     member while the bridge runs spanning tree. Members are listed by
//     bridge port number, highest first, which is newest first unless
//     Linux reused a freed number.
//   - Spanning tree is per bridge on Linux, not per port: "stp IF" turns
//     it on for the whole bridge and "-stp IF" off for the whole bridge;
//     IF must be a member either way.
//   - priority, hellotime, fwddelay, maxage and timeout are the bridge's
//     priority, hello_time, forward_delay, max_age and ageing_time;
//     ifpriority and ifpathcost the port's priority and cost. Linux's
//     limits are narrower than NetBSD's (hello time 1 to 10 s, max age 6 to
//     40 s, forward delay 2 to 30 s while spanning tree runs, port priority
//     0 to 63, path cost 1 to 65535); a value outside them is refused with
//     a sentence naming the command and the range. A timeout of 0 is
//     refused, as Linux would then stop learning altogether instead of
//     keeping entries for ever.
//   - The address cache is the bridge's forwarding database: entries on
//     its members, without the members' own (local, permanent) addresses.
//     Static entries (NUD_NOARP) show as STATIC with 0 seconds left;
//     learned ones with the ageing time minus the time since they were
//     last updated. Entries are listed most recently updated first. This
//     backend manages no limit on the number of entries and shows
//     "max cache: 0".
//   - static adds a static entry on a member (replacing a learned one),
//     deladdr removes an entry, flush removes the learned entries, flushall
//     every entry except the members' own addresses.
//
// What the host cannot do is refused with an api.Explained error whose
// sentence names the command: maxaddr (no cache limit), ipf (no packet
// filter hook; "-ipf" is accepted, as the filter is already off).
package hostbr

import (
	"errors"
	"fmt"
	"sort"
	"syscall"

	"github.com/rumpnet/rumpnet/internal/nldump"
	"github.com/rumpnet/rumpnet/pkg/api"
	"github.com/rumpnet/rumpnet/pkg/hostif"
	"github.com/vishvananda/netlink"
)

// Host configures the Linux bridges in the calling thread's network
// namespace. The zero value is ready to use.
type Host struct{}

// Bridges lists the host's bridges in interface index order.
func (h *Host) Bridges() ([]string, error) {
	var links []netlink.Link
	err := nldump.Retry(func() (err error) {
		links, err = netlink.LinkList()
		return err
	})
	if err != nil {
		return nil, kernelError(err, "list interfaces")
	}
	sort.Slice(links, func(i, j int) bool { return links[i].Attrs().Index < links[j].Attrs().Index })
	var names []string
	for _, l := range links {
		if _, ok := l.(*netlink.Bridge); ok {
			names = append(names, l.Attrs().Name)
		}
	}
	return names, nil
}

// Flags returns the bridge's interface flags as rifconfig shows them on
// the host. ENXIO if there is no such link; a link that is not a bridge is
// refused with a sentence saying so.
func (h *Host) Flags(name string) (int, error) {
	if _, err := bridgeLink(name); err != nil {
		return 0, err
	}
	ifc, err := (&hostif.Host{}).Interface(name)
	if err != nil {
		return 0, err
	}
	return ifc.Flags, nil
}

// SetUp brings the bridge up or down.
func (h *Host) SetUp(name string, up bool) error {
	br, err := bridgeLink(name)
	if err != nil {
		return err
	}
	set, what := netlink.LinkSetDown, "down"
	if up {
		set, what = netlink.LinkSetUp, "up"
	}
	if err := set(br); err != nil {
		return kernelError(err, fmt.Sprintf("set %s %s", name, what))
	}
	return nil
}

// bridgeLink finds a bridge: ENXIO if there is no link of that name, an
// explained EINVAL if the link is not a bridge.
func bridgeLink(name string) (*netlink.Bridge, error) {
	l, err := netlink.LinkByName(name)
	if err != nil {
		if errors.As(err, new(netlink.LinkNotFoundError)) {
			return nil, api.Errorf(syscall.ENXIO, name)
		}
		return nil, kernelError(err, name)
	}
	br, ok := l.(*netlink.Bridge)
	if !ok {
		return nil, api.Explainf(syscall.EINVAL, "%s is not a bridge (it is a %s link)", name, l.Type())
	}
	return br, nil
}

// memberLink finds a member of br: ENOENT if there is no such link or it
// is not a member of br, as NetBSD's bridge answers for a non-member.
func memberLink(br *netlink.Bridge, name string) (netlink.Link, error) {
	l, err := netlink.LinkByName(name)
	if err != nil {
		if errors.As(err, new(netlink.LinkNotFoundError)) {
			return nil, api.Errorf(syscall.ENOENT, name+": no such interface")
		}
		return nil, kernelError(err, name)
	}
	if l.Attrs().MasterIndex != br.Attrs().Index {
		return nil, api.Errorf(syscall.ENOENT, name+" is not a member of "+br.Attrs().Name)
	}
	return l, nil
}

// kernelError turns an error from netlink into an *api.Error carrying the
// kernel's errno (EIO if it has none); what says what was being done.
func kernelError(err error, what string) error {
	var ae *api.Error
	var ex *api.Explained
	if errors.As(err, &ae) || errors.As(err, &ex) {
		return err
	}
	return api.Errorf(api.ErrnoOf(err), what+": "+err.Error())
}

// unsupported is the error for something the host cannot do at all.
func unsupported(format string, a ...any) error {
	return api.Explainf(syscall.EOPNOTSUPP, format, a...)
}
