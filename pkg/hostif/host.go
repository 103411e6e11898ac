// Package hostif is rifconfig's backend for the Linux host: with
// RUMP_SERVER unset or empty, rifconfig lists and configures the host's own
// interfaces (lo, eth0, tap0, bridge0, ...) through rtnetlink, using
// github.com/vishvananda/netlink, and makes persistent taps through
// /dev/net/tun (pkg/hosttap). It implements ifconfig.Backend, so the host is
// shown in NetBSD 10's format and configured with NetBSD's syntax.
//
// It must not run ip(8) or any other program, must not talk to rump kernels,
// must not switch network namespaces (it acts in the caller's), and keeps no
// package-level state: a zero Host works, and every call opens its own
// netlink socket.
//
// How Linux is mapped onto NetBSD:
//
//   - Flags: UP, BROADCAST, DEBUG, LOOPBACK, POINTOPOINT, RUNNING, NOARP,
//     PROMISC, ALLMULTI and MULTICAST are Linux's own bits (RUNNING from the
//     kernel's raw flags, so it means "operationally up"). SIMPLEX is set on
//     every non-loopback Ethernet link (taps, veths, bridges, NICs), as
//     NetBSD's Ethernet drivers set it: Linux never hears its own frames.
//     OACTIVE, NOTRAILERS and LINK0..2 are never set.
//   - Link state: "status: active" when the operational state is up, or
//     unknown while the link is UP with its lower layer up (lo, dummy);
//     "status: no carrier" when the link is down; nothing otherwise.
//   - Counters come from the kernel's 64-bit link statistics: received
//     multicasts, errors and drops (shown as queue drops), sent errors and
//     collisions. Linux counts no sent multicasts, so that one stays 0, and
//     Linux's sent-but-dropped count has no NetBSD line.
//   - Addresses are listed in the kernel's order (Linux puts the first
//     inet address of each subnet before the others) with IFA_F_* mapped
//     onto NetBSD's flags (TENTATIVE, DADFAILED as DUPLICATED, DEPRECATED,
//     NODAD, TEMPORARY). An inet6 address still tentative on a link that is
//     not RUNNING is shown DETACHED, as NetBSD marks addresses while the
//     link is down (Linux runs DAD only once the link has carrier). inet6
//     lifetimes are the seconds left, nil when infinite. Linux has no
//     AUTOCONF or ANYCAST address flag, so neither is ever shown.
//   - Deleting an inet address that other addresses of its subnet depend on
//     (Linux's primary address) first turns on the interface's
//     promote_secondaries setting, so that, as on NetBSD, removing or
//     replacing one address never takes the others with it.
//
// Creating and destroying: "tapN create" makes a persistent tap (as
// "ip tuntap add tapN mode tap"), "tapN create user U" one that user U, a
// name or a numeric uid, may attach to without privilege (so an
// unprivileged rump_server can use it), "bridgeN create" a Linux bridge.
// Only taps and bridges are ever destroyed, never lo, veths or NICs.
//
// What the host cannot do is refused with an api.Explained error (errno
// EOPNOTSUPP) whose sentence names the keyword (metric, linkstr, -z, debug, link0..2, inactive link
// addresses, anycast, preference, capabilities, owners for bridges), which
// rifconfig prints as it is.
package hostif

import (
	"errors"
	"fmt"
	"net"
	"sort"
	"syscall"

	"github.com/rumpnet/rumpnet/internal/nldump"
	"github.com/rumpnet/rumpnet/pkg/api"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// Host configures the Linux host's interfaces in the calling thread's
// network namespace. The zero value is ready to use.
type Host struct{}

// Cloners lists the interface kinds Host can create.
func (h *Host) Cloners() ([]string, error) { return []string{"bridge", "tap"}, nil }

// Interfaces returns every host interface in ifindex order.
func (h *Host) Interfaces() ([]api.Interface, error) {
	var links []netlink.Link
	err := nldump.Retry(func() (err error) {
		links, err = netlink.LinkList()
		return err
	})
	if err != nil {
		return nil, kernelError(err, "list interfaces")
	}
	addrs, err := listAddrs(nil)
	if err != nil {
		return nil, err
	}
	byIndex := map[int][]netlink.Addr{}
	for _, a := range addrs {
		byIndex[a.LinkIndex] = append(byIndex[a.LinkIndex], a)
	}
	sort.Slice(links, func(i, j int) bool { return links[i].Attrs().Index < links[j].Attrs().Index })
	out := make([]api.Interface, 0, len(links))
	for _, l := range links {
		out = append(out, describe(l, byIndex[l.Attrs().Index]))
	}
	return out, nil
}

// Interface returns one host interface; ENXIO if there is none.
func (h *Host) Interface(name string) (api.Interface, error) {
	l, err := linkByName(name)
	if err != nil {
		return api.Interface{}, err
	}
	addrs, err := listAddrs(l)
	if err != nil {
		return api.Interface{}, err
	}
	return describe(l, addrs), nil
}

// describe assembles what ifconfig shows about link l with its addresses.
func describe(l netlink.Link, addrs []netlink.Addr) api.Interface {
	at := l.Attrs()
	ifc := api.Interface{
		Name:      at.Name,
		Index:     at.Index,
		Kind:      l.Type(),
		Flags:     ifFlags(at.RawFlags, at.EncapType),
		MTU:       at.MTU,
		LinkState: linkState(at.OperState, at.RawFlags),
		Stats:     stats(at.Statistics),
		Inet:      []api.IfAddr{},
		Inet6:     []api.IfAddr{},
	}
	if len(at.HardwareAddr) == 6 && ifc.Flags&api.IFF_LOOPBACK == 0 {
		ifc.Address = at.HardwareAddr.String()
	}
	running := at.RawFlags&unix.IFF_RUNNING != 0
	for _, a := range addrs {
		if a.IP.To4() != nil {
			ifc.Inet = append(ifc.Inet, inetAddr(a))
		} else {
			ifc.Inet6 = append(ifc.Inet6, inet6Addr(a, running))
		}
	}
	return ifc
}

// stats maps the kernel's link statistics onto NetBSD's counters.
func stats(s *netlink.LinkStatistics) api.Stats {
	if s == nil {
		return api.Stats{}
	}
	return api.Stats{
		IPackets:   s.RxPackets,
		IBytes:     s.RxBytes,
		IMcasts:    s.Multicast,
		IErrors:    s.RxErrors,
		IQDrops:    s.RxDropped,
		OPackets:   s.TxPackets,
		OBytes:     s.TxBytes,
		OErrors:    s.TxErrors,
		Collisions: s.Collisions,
	}
}

// prefixString prints ip with the prefix length of mask.
func prefixString(ip net.IP, mask net.IPMask) string {
	ones, _ := mask.Size()
	if v4 := ip.To4(); v4 != nil {
		ip = v4
	}
	return fmt.Sprintf("%s/%d", ip, ones)
}

// addrPrefix returns the listed address with its prefix length; for a
// point-to-point address the length is the peer's, as Linux keeps it.
func addrPrefix(a netlink.Addr) string {
	if a.Peer != nil {
		return prefixString(a.IP, a.Peer.Mask)
	}
	return prefixString(a.IP, a.Mask)
}

func inetAddr(a netlink.Addr) api.IfAddr {
	out := api.IfAddr{Addr: addrPrefix(a), Flags: inetFlags(a.Flags)}
	if a.Peer != nil {
		out.Dest = a.Peer.IP.String()
	}
	if a.Broadcast != nil && !a.Broadcast.IsUnspecified() {
		out.Broadcast = a.Broadcast.String()
	}
	return out
}

func inet6Addr(a netlink.Addr, linkRunning bool) api.IfAddr {
	out := api.IfAddr{
		Addr:   addrPrefix(a),
		Flags:  inet6Flags(a.Flags, linkRunning),
		Pltime: lifetime(a.PreferedLft),
		Vltime: lifetime(a.ValidLft),
	}
	if a.Peer != nil {
		out.Dest = a.Peer.IP.String()
	}
	return out
}

// infiniteLifetime is the kernel's "forever" (INFINITY_LIFE_TIME).
const infiniteLifetime = 0xffffffff

// lifetime turns the kernel's seconds-left value into api's (nil: forever).
func lifetime(secs int) *uint32 {
	if uint32(secs) == infiniteLifetime {
		return nil
	}
	n := uint32(secs)
	return &n
}

// linkByName finds a link; ENXIO if there is none.
func linkByName(name string) (netlink.Link, error) {
	l, err := netlink.LinkByName(name)
	if err != nil {
		return nil, kernelError(err, name)
	}
	return l, nil
}

// listAddrs lists the addresses of l, or of every link when l is nil.
func listAddrs(l netlink.Link) ([]netlink.Addr, error) {
	var addrs []netlink.Addr
	err := nldump.Retry(func() (err error) {
		addrs, err = netlink.AddrList(l, netlink.FAMILY_ALL)
		return err
	})
	if err != nil {
		return nil, kernelError(err, "list addresses")
	}
	return addrs, nil
}

// kernelError turns an error from netlink or /dev/net/tun into an
// *api.Error carrying the kernel's errno: a missing link is ENXIO, an error
// without an errno EIO. what says what was being done.
func kernelError(err error, what string) error {
	var ae *api.Error
	if errors.As(err, &ae) {
		return err
	}
	var nf netlink.LinkNotFoundError
	if errors.As(err, &nf) {
		return api.Errorf(syscall.ENXIO, what)
	}
	e := api.ErrnoOf(err)
	if e == syscall.EOPNOTSUPP {
		return api.Explainf(e, "%s: the Linux kernel does not support this", what)
	}
	return api.Errorf(e, what+": "+err.Error())
}

// unsupported is the error for something the host cannot do at all.
func unsupported(format string, a ...any) error {
	return api.Explainf(syscall.EOPNOTSUPP, format, a...)
}
