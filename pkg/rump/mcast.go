package rump

// Multicast memberships, as ifmcstat(8) lists them. gVisor keeps each
// NIC's joined groups privately and answers only "is the NIC in this
// group?", so the kernel asks that of the groups it knows of: the IPv4
// all-hosts group, the IPv6 all-nodes and all-routers groups and each
// IPv6 address's solicited-node group. A group a socket joins outside
// that list is not shown (doc/control.md). The link layer takes in every
// multicast frame; the link-layer addresses listed are those the groups
// map to, each with the number of groups that map to it.

import (
	"net/netip"

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
	var v4, v6 []*ifaddr
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
	link := map[string]int{}
	var linkOrder []string
	seen := map[netip.Addr]bool{}
	add := func(g netip.Addr) api.MulticastGroup {
		mac := multicastMAC(g)
		if link[mac] == 0 {
			linkOrder = append(linkOrder, mac)
		}
		link[mac]++
		if g.IsLinkLocalMulticast() && g.Is6() {
			g = g.WithZone(ifp.name)
		}
		return api.MulticastGroup{Group: g.String(), Refcnt: 1}
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
				seen[g] = true
				ma.Groups = append(ma.Groups, add(g))
			}
		}
		m.Addrs = append(m.Addrs, ma)
	}
	for i, a := range v4 {
		ma := api.MulticastAddr{Addr: a.prefix.Addr().String()}
		if i == 0 && ifp.flags&api.IFF_MULTICAST != 0 {
			// Every IPv4 host is in the all-hosts group (RFC 1112);
			// gVisor does not list it as joined.
			ma.Groups = append(ma.Groups, add(netip.MustParseAddr("224.0.0.1")))
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
