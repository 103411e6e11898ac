package hostif

// Addresses, with rifconfig's rules: a request may name an address it
// replaces in one step (removed first, put back if the new one cannot be
// added); adding an address the link already has updates it; the first
// address brings a down link up, as on NetBSD.
//
// Linux marks the first inet address of a subnet primary and, by default,
// deletes the other addresses of that subnet with it. NetBSD has no such
// tie, so before removing a primary address that has secondaries, the
// link's promote_secondaries setting is turned on (many distributions do so
// for every link) and a secondary takes its place instead.

import (
	"fmt"
	"net"
	"net/netip"
	"syscall"

	"github.com/rumpnet/rumpnet/pkg/api"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netlink/nl"
	"golang.org/x/sys/unix"
)

// inet6Settable are the inet6 flags a request may carry; the others are
// kernel state.
const inet6Settable = api.IN6_IFF_DEPRECATED | api.IN6_IFF_NODAD | api.IN6_IFF_TENTATIVE

// parsePrefix reads "A/len" or a bare "A" (a host prefix); EINVAL otherwise.
func parsePrefix(s string) (netip.Prefix, error) {
	if p, err := netip.ParsePrefix(s); err == nil && p.Addr().Zone() == "" {
		return p, nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return netip.Prefix{}, api.Errorf(syscall.EINVAL, fmt.Sprintf("address %q", s))
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}

func ipOf(a netip.Addr) net.IP { return net.IP(a.AsSlice()) }

// newAddr checks a request against what l can take and builds the netlink
// address for it.
func newAddr(l netlink.Link, req api.IfAddr) (*netlink.Addr, error) {
	p, err := parsePrefix(req.Addr)
	if err != nil {
		return nil, err
	}
	bits := p.Addr().BitLen()
	a := &netlink.Addr{IPNet: &net.IPNet{IP: ipOf(p.Addr()), Mask: net.CIDRMask(p.Bits(), bits)}}
	if req.Preference != 0 {
		return nil, unsupported("preference: the Linux host has no per-address source preference")
	}
	if req.Dest != "" {
		d, err := netip.ParseAddr(req.Dest)
		if err != nil || d.Is4() != p.Addr().Is4() || d.Zone() != "" {
			return nil, api.Errorf(syscall.EINVAL, fmt.Sprintf("destination %q", req.Dest))
		}
		// Linux keeps the prefix with the peer, the local address alone.
		a.Peer = &net.IPNet{IP: ipOf(d), Mask: a.Mask}
		a.IPNet = &net.IPNet{IP: a.IP, Mask: net.CIDRMask(bits, bits)}
	}
	if p.Addr().Is4() {
		if req.Flags != 0 {
			return nil, api.Errorf(syscall.EINVAL, "inet addresses take no flags")
		}
		if a.Broadcast, err = broadcastFor(l, p, req.Broadcast); err != nil {
			return nil, err
		}
	} else {
		if req.Broadcast != "" {
			return nil, api.Errorf(syscall.EINVAL, "broadcast with inet6")
		}
		if req.Flags&api.IN6_IFF_ANYCAST != 0 {
			return nil, unsupported("anycast: the Linux host cannot assign anycast addresses to interfaces")
		}
		if req.Flags&^inet6Settable != 0 {
			return nil, api.Errorf(syscall.EINVAL, fmt.Sprintf("address flags %#x", req.Flags))
		}
		if req.Flags&api.IN6_IFF_NODAD != 0 {
			a.Flags |= unix.IFA_F_NODAD
		}
	}
	pl, vl := uint32(infiniteLifetime), uint32(infiniteLifetime)
	if req.Vltime != nil {
		if *req.Vltime == 0 {
			return nil, api.Errorf(syscall.EINVAL, "vltime 0")
		}
		if req.Pltime == nil {
			// As NetBSD: the preferred lifetime stays infinite, which is
			// longer than any valid one.
			return nil, api.Errorf(syscall.EINVAL, "pltime longer than vltime")
		}
		vl = *req.Vltime
	}
	if req.Pltime != nil {
		if *req.Pltime > vl {
			return nil, api.Errorf(syscall.EINVAL, "pltime longer than vltime")
		}
		pl = *req.Pltime
	}
	if req.Flags&api.IN6_IFF_DEPRECATED != 0 && p.Addr().Is6() {
		pl = 0
	}
	a.ValidLft, a.PreferedLft = int(vl), int(pl)
	return a, nil
}

// broadcastFor works out an inet address's broadcast address: the one asked
// for, or the all-ones host part on links that can broadcast, for prefixes
// shorter than /31. None is net.IPv4zero, which tells netlink not to make
// one up.
func broadcastFor(l netlink.Link, p netip.Prefix, asked string) (net.IP, error) {
	if l.Attrs().RawFlags&unix.IFF_BROADCAST == 0 {
		if asked != "" {
			return nil, api.Errorf(syscall.EINVAL, l.Attrs().Name+" cannot broadcast")
		}
		return net.IPv4zero, nil
	}
	if asked != "" {
		b, err := netip.ParseAddr(asked)
		if err != nil || !b.Is4() {
			return nil, api.Errorf(syscall.EINVAL, fmt.Sprintf("broadcast %q", asked))
		}
		return ipOf(b), nil
	}
	if p.Bits() >= 31 {
		return net.IPv4zero, nil
	}
	b := p.Masked().Addr().As4()
	host := uint32(1)<<(32-p.Bits()) - 1
	for i := 0; i < 4; i++ {
		b[3-i] |= byte(host >> (8 * i))
	}
	return net.IP(b[:]), nil
}

// findAddr returns the listed address with IP ip.
func findAddr(addrs []netlink.Addr, ip netip.Addr) (netlink.Addr, bool) {
	for _, a := range addrs {
		if la, ok := netip.AddrFromSlice(a.IP); ok && la.Unmap() == ip.Unmap() {
			return a, true
		}
	}
	return netlink.Addr{}, false
}

// sameShape reports whether the kernel can update old into new in place:
// Linux's replace keeps the prefix and peer, and for inet the broadcast.
func sameShape(old netlink.Addr, new *netlink.Addr) bool {
	if addrPrefix(old) != addrPrefix(*new) {
		return false
	}
	if (old.Peer == nil) != (new.Peer == nil) || old.Peer != nil && !old.Peer.IP.Equal(new.Peer.IP) {
		return false
	}
	if old.IP.To4() != nil {
		return broadcastOf(old.Broadcast).Equal(broadcastOf(new.Broadcast))
	}
	return true
}

func broadcastOf(b net.IP) net.IP {
	if b == nil {
		return net.IPv4zero
	}
	return b
}

// restorable is a listed address as a request that adds it again.
func restorable(a netlink.Addr) *netlink.Addr {
	r := &netlink.Addr{IPNet: a.IPNet, Peer: a.Peer, Flags: a.Flags & unix.IFA_F_NODAD,
		PreferedLft: a.PreferedLft, ValidLft: a.ValidLft}
	if a.IP.To4() != nil {
		r.Broadcast = broadcastOf(a.Broadcast)
	}
	if r.ValidLft == 0 {
		r.ValidLft, r.PreferedLft = infiniteLifetime, infiniteLifetime
	}
	return r
}

// AddAddr adds an address (inet or inet6 by its form). With req.Replace it
// replaces that address in one step; an address the link already has is
// updated. When the kernel refuses the new address, what was removed for it
// is added back (as it was listed, with the lifetimes it had left) and the
// kernel's error returned. A down link is brought up afterwards; if that
// fails the address stays and the error is returned.
func (h *Host) AddAddr(name string, req api.IfAddr) error {
	l, err := linkByName(name)
	if err != nil {
		return err
	}
	want, err := newAddr(l, req)
	if err != nil {
		return err
	}
	wantIP, _ := netip.AddrFromSlice(want.IP)
	cur, err := listAddrs(l)
	if err != nil {
		return err
	}
	var removed []netlink.Addr // put back if the new address fails
	putBack := func() {
		for _, old := range removed {
			netlink.AddrAdd(l, restorable(old))
		}
	}
	if req.Replace != "" {
		rp, err := parsePrefix(req.Replace)
		if err != nil {
			return err
		}
		if old, ok := findAddr(cur, rp.Addr()); ok && rp.Addr().Unmap() != wantIP.Unmap() {
			if err := delAddr(l, cur, old); err != nil {
				return err
			}
			removed = append(removed, old)
		}
	}
	if old, ok := findAddr(cur, wantIP); ok {
		if sameShape(old, want) {
			err = netlink.AddrReplace(l, want)
		} else if err = delAddr(l, cur, old); err == nil {
			removed = append(removed, old)
			err = netlink.AddrAdd(l, want)
		}
	} else {
		err = netlink.AddrAdd(l, want)
	}
	if err != nil {
		putBack()
		return kernelError(err, fmt.Sprintf("add %s to %s", req.Addr, name))
	}
	if l.Attrs().RawFlags&unix.IFF_UP == 0 {
		if err := netlink.LinkSetUp(l); err != nil {
			return kernelError(err, "bring up "+name)
		}
	}
	return nil
}

// DelAddr removes an address; a prefix length in addr is ignored.
// EADDRNOTAVAIL if the link does not have it.
func (h *Host) DelAddr(name, addr string) error {
	p, err := parsePrefix(addr)
	if err != nil {
		return err
	}
	l, err := linkByName(name)
	if err != nil {
		return err
	}
	cur, err := listAddrs(l)
	if err != nil {
		return err
	}
	old, ok := findAddr(cur, p.Addr())
	if !ok {
		return api.Errorf(syscall.EADDRNOTAVAIL, fmt.Sprintf("%s on %s", p.Addr(), name))
	}
	return delAddr(l, cur, old)
}

// delAddr removes old, one of l's addresses cur, without taking the other
// addresses of its subnet with it.
func delAddr(l netlink.Link, cur []netlink.Addr, old netlink.Addr) error {
	if old.IP.To4() != nil && old.Flags&unix.IFA_F_SECONDARY == 0 && hasSecondaries(cur) {
		if err := promoteSecondaries(l); err != nil {
			return kernelError(err, "keep the other addresses of "+l.Attrs().Name)
		}
	}
	del := &netlink.Addr{IPNet: old.IPNet, Peer: old.Peer}
	if old.IP.To4() != nil {
		del.Broadcast = broadcastOf(old.Broadcast)
	}
	if err := netlink.AddrDel(l, del); err != nil {
		return kernelError(err, fmt.Sprintf("delete %s from %s", addrPrefix(old), l.Attrs().Name))
	}
	return nil
}

func hasSecondaries(addrs []netlink.Addr) bool {
	for _, a := range addrs {
		if a.IP.To4() != nil && a.Flags&unix.IFA_F_SECONDARY != 0 {
			return true
		}
	}
	return false
}

// ipv4DevconfPromoteSecondaries is IPV4_DEVCONF_PROMOTE_SECONDARIES
// (linux/ip.h), the index of promote_secondaries in IFLA_INET_CONF.
const ipv4DevconfPromoteSecondaries = 20

// promoteSecondaries turns on net.ipv4.conf.<link>.promote_secondaries
// through rtnetlink (IFLA_AF_SPEC / AF_INET / IFLA_INET_CONF).
func promoteSecondaries(l netlink.Link) error {
	req := nl.NewNetlinkRequest(unix.RTM_SETLINK, unix.NLM_F_ACK)
	msg := nl.NewIfInfomsg(unix.AF_UNSPEC)
	msg.Index = int32(l.Attrs().Index)
	req.AddData(msg)
	conf := nl.NewRtAttr(unix.IFLA_INET_CONF, nil)
	conf.AddRtAttr(ipv4DevconfPromoteSecondaries, nl.Uint32Attr(1))
	inet := nl.NewRtAttr(unix.AF_INET, conf.Serialize())
	req.AddData(nl.NewRtAttr(unix.IFLA_AF_SPEC, inet.Serialize()))
	_, err := req.Execute(unix.NETLINK_ROUTE, 0)
	return err
}
