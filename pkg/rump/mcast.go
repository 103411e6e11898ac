package rump

// Multicast memberships, as ifmcstat(8) lists them. gVisor keeps each
// NIC's joined groups privately and answers only "is the NIC in this
// group?", so the kernel asks that of the groups it joins itself: the
// IPv4 all-hosts group, the IPv6 all-nodes and all-routers groups and each
// IPv6 address's solicited-node group. The groups sockets join it counts
// itself, per interface and group, on every join and leave and when a
// socket closes (sockets_mcast.go); a group's refcount is the number of
// sockets in it, plus one when the kernel is in it too, as NetBSD counts.
// The link layer takes in every multicast frame; the link-layer addresses
// listed are those the groups map to, each with the number of groups that
// map to it.

import (
	"net/netip"
	"slices"
	"strconv"
	"syscall"

	"github.com/rumpnet/rumpnet/pkg/api"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/header"
)

// Multicast lists every interface's memberships in index order.
func (k *Kernel) Multicast() []api.Multicast {
	k.mu.Lock()
	defer k.mu.Unlock()
	out := make([]api.Multicast, 0, len(k.ifaces))
	for _, ifp := range k.ifaces {
		out = append(out, k.multicastLocked(ifp))
	}
	return out
}

func (k *Kernel) multicastLocked(ifp *Interface) api.Multicast {
	m := api.Multicast{Interface: ifp.name}
	v4, v6 := stackAddrs(ifp)
	link := map[string]int{}
	var linkOrder []string
	seen := map[netip.Addr]bool{}
	joined := k.socketGroupsLocked(ifp.nic)
	add := func(g netip.Addr, refs int) api.MulticastGroup {
		mac := multicastMAC(g)
		if link[mac] == 0 {
			linkOrder = append(linkOrder, mac)
		}
		link[mac]++
		if g.IsLinkLocalMulticast() && g.Is6() {
			g = g.WithZone(ifp.name)
		}
		return api.MulticastGroup{Group: g.String(), Refcnt: refs}
	}
	// kernel is a group the kernel is in, counted with the sockets in it.
	kernel := func(g netip.Addr) api.MulticastGroup {
		refs := 1 + k.mcastRefs[mcastKey{ifp.nic, g}]
		seen[g] = true
		return add(g, refs)
	}
	// sockets are the groups only sockets are in, of one family.
	sockets := func(v6 bool) []api.MulticastGroup {
		var out []api.MulticastGroup
		for _, g := range joined {
			if g.Is6() == v6 && !seen[g] {
				seen[g] = true
				out = append(out, add(g, k.mcastRefs[mcastKey{ifp.nic, g}]))
			}
		}
		return out
	}
	for i, a := range v6 {
		ma := api.MulticastAddr{Addr: zoned(a.prefix.Addr(), ifp.name)}
		var cands []netip.Addr
		if i == 0 {
			cands = append(cands, netip.MustParseAddr("ff02::1"), netip.MustParseAddr("ff02::2"))
		}
		cands = append(cands, solicitedNode(a.prefix.Addr()))
		for _, g := range cands {
			// Addresses sharing a solicited-node group (::1 and fe80::1)
			// list it once, under the first.
			if !seen[g] && k.inGroupLocked(ifp, g) {
				ma.Groups = append(ma.Groups, kernel(g))
			}
		}
		m.Addrs = append(m.Addrs, ma)
	}
	if len(v6) > 0 {
		// After every address's kernel groups, so that a group the kernel
		// is in is not listed again.
		m.Addrs[0].Groups = append(m.Addrs[0].Groups, sockets(true)...)
	}
	for i, a := range v4 {
		ma := api.MulticastAddr{Addr: a.prefix.Addr().String()}
		if i == 0 && ifp.flags&api.IFF_MULTICAST != 0 {
			// Every IPv4 host is in the all-hosts group (RFC 1112);
			// gVisor does not list it as joined.
			ma.Groups = append(ma.Groups, kernel(netip.MustParseAddr("224.0.0.1")))
		}
		if i == 0 {
			ma.Groups = append(ma.Groups, sockets(false)...)
		}
		m.Addrs = append(m.Addrs, ma)
	}
	if ifp.eth != nil {
		m.LinkAddr = ifp.eth.LinkAddress().String()
		for _, mac := range linkOrder {
			m.Link = append(m.Link, api.LinkGroup{Addr: mac, Refcnt: link[mac]})
		}
	}
	return m
}

// stackAddrs are the interface's addresses in the stack, by family.
func stackAddrs(ifp *Interface) (v4, v6 []*ifaddr) {
	for _, a := range ifp.addrs {
		if !a.inStack {
			continue
		}
		if a.is4() {
			v4 = append(v4, a)
		} else {
			v6 = append(v6, a)
		}
	}
	return v4, v6
}

// mcastKey is one group on one interface.
type mcastKey struct {
	nic   tcpip.NICID
	group netip.Addr
}

// socketGroupsLocked are the groups sockets joined on nic, in order.
func (k *Kernel) socketGroupsLocked(nic tcpip.NICID) []netip.Addr {
	var out []netip.Addr
	for key := range k.mcastRefs {
		if key.nic == nic {
			out = append(out, key.group)
		}
	}
	slices.SortFunc(out, netip.Addr.Compare)
	return out
}

// membership joins or leaves a group for socket s, on the interface m
// names or, when it names none, the one NetBSD picks (mcastIfaceLocked),
// and counts the socket's membership.
func (k *Kernel) membership(s *socket, m mreq, join bool) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	ifp, err := k.mcastIfaceLocked(m)
	if err != nil {
		return err
	}
	key := mcastKey{ifp.nic, m.group}
	g := tcpip.AddrFromSlice(m.group.AsSlice())
	if join {
		if terr := s.ep.SetSockOpt(&tcpip.AddMembershipOption{NIC: ifp.nic, MulticastAddr: g}); terr != nil {
			return tcpipError("join "+m.group.String()+" on "+ifp.name, terr)
		}
		if s.addGroup(key) {
			k.refGroupLocked(key, 1)
		}
		return nil
	}
	if terr := s.ep.SetSockOpt(&tcpip.RemoveMembershipOption{NIC: ifp.nic, MulticastAddr: g}); terr != nil {
		return tcpipError("leave "+m.group.String()+" on "+ifp.name, terr)
	}
	if s.dropGroup(key) {
		k.refGroupLocked(key, -1)
	}
	return nil
}

// refGroupLocked adds d to a group's count of sockets.
func (k *Kernel) refGroupLocked(key mcastKey, d int) {
	if k.mcastRefs == nil {
		k.mcastRefs = map[mcastKey]int{}
	}
	if n := k.mcastRefs[key] + d; n > 0 {
		k.mcastRefs[key] = n
	} else {
		delete(k.mcastRefs, key)
	}
}

// releaseGroups uncounts the memberships of a closed socket (the stack
// left its groups when its endpoint closed).
func (k *Kernel) releaseGroups(keys []mcastKey) {
	if len(keys) == 0 {
		return
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	for _, key := range keys {
		k.refGroupLocked(key, -1)
	}
}

// mcastIfaceLocked is the interface of a join or leave, as NetBSD picks
// it: by index (ENXIO if none has it), by address (EADDRNOTAVAIL if none
// has it), else the interface of the route to the group or, without
// one, the first non-loopback interface that is up and multicast
// capable. The interface must be multicast capable (EADDRNOTAVAIL).
func (k *Kernel) mcastIfaceLocked(m mreq) (*Interface, error) {
	var ifp *Interface
	switch {
	case m.ifindex != 0:
		if ifp = k.ifaceByNICLocked(tcpip.NICID(m.ifindex)); ifp == nil {
			return nil, api.Errorf(syscall.ENXIO, "no interface of index "+strconv.Itoa(m.ifindex))
		}
	case m.ifaddr.IsValid():
		for _, c := range k.ifaces {
			for _, a := range c.addrs {
				if a.prefix.Addr() == m.ifaddr {
					ifp = c
				}
			}
		}
	default:
		ifp = k.routeIfaceLocked(m.group)
	}
	if ifp == nil || ifp.flags&api.IFF_MULTICAST == 0 {
		return nil, api.Errorf(syscall.EADDRNOTAVAIL, "no multicast interface for "+m.group.String())
	}
	return ifp, nil
}

// routeIfaceLocked is the interface of the route to group g or, without
// one, the first non-loopback interface up and multicast capable.
func (k *Kernel) routeIfaceLocked(g netip.Addr) *Interface {
	proto := header.IPv4ProtocolNumber
	if g.Is6() {
		proto = header.IPv6ProtocolNumber
	}
	if r, terr := k.stack.FindRoute(0, tcpip.Address{}, tcpip.AddrFromSlice(g.AsSlice()), proto, false); terr == nil {
		nic := r.NICID()
		r.Release()
		if ifp := k.ifaceByNICLocked(nic); ifp != nil {
			return ifp
		}
	}
	for _, ifp := range k.ifaces {
		if ifp.flags&api.IFF_LOOPBACK == 0 && ifp.flags&api.IFF_UP != 0 && ifp.flags&api.IFF_MULTICAST != 0 {
			return ifp
		}
	}
	return nil
}

// multicastIfNIC is the interface IP_MULTICAST_IF names: by index, by
// address, or none (0).
func (k *Kernel) multicastIfNIC(addr netip.Addr, idx int) (tcpip.NICID, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if idx != 0 {
		if k.ifaceByNICLocked(tcpip.NICID(idx)) == nil {
			return 0, api.Errorf(syscall.ENXIO, "no interface of index "+strconv.Itoa(idx))
		}
		return tcpip.NICID(idx), nil
	}
	if !addr.IsValid() {
		return 0, nil
	}
	for _, ifp := range k.ifaces {
		for _, a := range ifp.addrs {
			if a.prefix.Addr() == addr {
				return ifp.nic, nil
			}
		}
	}
	return 0, api.Errorf(syscall.EADDRNOTAVAIL, "no interface has "+addr.String())
}

func (k *Kernel) ifaceByNICLocked(nic tcpip.NICID) *Interface {
	for _, ifp := range k.ifaces {
		if ifp.nic == nic {
			return ifp
		}
	}
	return nil
}

// addGroup records a membership of s; false if it had it.
func (s *socket) addGroup(key mcastKey) bool {
	s.optMu.Lock()
	defer s.optMu.Unlock()
	if s.groups[key] {
		return false
	}
	if s.groups == nil {
		s.groups = map[mcastKey]bool{}
	}
	s.groups[key] = true
	return true
}

// dropGroup forgets a membership of s; false if it had none.
func (s *socket) dropGroup(key mcastKey) bool {
	s.optMu.Lock()
	defer s.optMu.Unlock()
	if !s.groups[key] {
		return false
	}
	delete(s.groups, key)
	return true
}

// takeGroups empties and returns the memberships of s.
func (s *socket) takeGroups() []mcastKey {
	s.optMu.Lock()
	defer s.optMu.Unlock()
	keys := make([]mcastKey, 0, len(s.groups))
	for key := range s.groups {
		keys = append(keys, key)
	}
	s.groups = nil
	return keys
}

func (k *Kernel) inGroupLocked(ifp *Interface, g netip.Addr) bool {
	in, err := k.stack.IsInGroup(ifp.nic, tcpip.AddrFromSlice(g.AsSlice()))
	return err == nil && in
}

func zoned(a netip.Addr, ifname string) string {
	if a.Is6() && a.IsLinkLocalUnicast() {
		return a.WithZone(ifname).String()
	}
	return a.String()
}

// solicitedNode is the solicited-node multicast group of an IPv6 address.
func solicitedNode(a netip.Addr) netip.Addr {
	g := header.SolicitedNodeAddr(tcpip.AddrFromSlice(a.AsSlice()))
	out, _ := netip.AddrFromSlice(g.AsSlice())
	return out
}

// multicastMAC is the Ethernet address a group maps to (RFC 1112, RFC 2464).
func multicastMAC(g netip.Addr) string {
	b := g.AsSlice()
	var mac tcpip.LinkAddress
	if g.Is4() {
		mac = tcpip.LinkAddress([]byte{0x01, 0x00, 0x5e, b[1] & 0x7f, b[2], b[3]})
	} else {
		mac = tcpip.LinkAddress([]byte{0x33, 0x33, b[12], b[13], b[14], b[15]})
	}
	return mac.String()
}
