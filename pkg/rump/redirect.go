package rump

// ICMP redirects (RFC 792, RFC 4861 section 8), which gVisor neither sends
// nor acts on: it only counts those it receives.
//
// Sending: a router that forwards a packet back out of the interface it
// came in on, to a source on that interface's link, tells the source the
// better first hop (net.inet.ip.redirect, net.inet6.ip6.redirect), as
// NetBSD's ip_forward and ip6_forward do. The link endpoint hands every
// packet addressed to its MAC to the kernel before the stack forwards it
// (forwardHook); the kernel answers with a redirect when forwarding and
// the node are on, and the stack forwards the packet as usual.
//
// Accepting: a host (net.inet.icmp.rediraccept, net.inet6.icmp6.rediraccept)
// that receives a redirect from the router it uses for the destination
// adds a host route through the new first hop, flagged RTF_DYNAMIC, which
// goes after redirtimeout seconds (0: never). One goroutine per kernel
// reads the redirects from a raw ICMP endpoint of each family; it ends
// when the kernel is closed.

import (
	"bytes"
	"net/netip"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/rumpnet/rumpnet/pkg/api"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/checksum"
	"gvisor.dev/gvisor/pkg/tcpip/header"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv6"
	"gvisor.dev/gvisor/pkg/tcpip/transport/icmp"
	"gvisor.dev/gvisor/pkg/tcpip/transport/raw"
	"gvisor.dev/gvisor/pkg/waiter"
)

// redirects holds the redirect settings, read by the frame path without
// the kernel lock, and the endpoints redirects go out through.
type redirects struct {
	send4, accept4, send6, accept6 atomic.Bool
	timeout4, timeout6             atomic.Int64 // seconds
	ep4, ep6                       tcpip.Endpoint
}

// NetBSD's defaults: send, accept, and forget after ten minutes.
const defaultRedirTimeout = 600

// startRedirects sets the defaults, opens the raw endpoints and starts
// the goroutine that takes redirects in; it stops when stop is closed.
func (k *Kernel) startRedirects(stop <-chan struct{}) {
	r := &k.redir
	r.send4.Store(true)
	r.accept4.Store(true)
	r.send6.Store(true)
	r.accept6.Store(true)
	r.timeout4.Store(defaultRedirTimeout)
	r.timeout6.Store(defaultRedirTimeout)
	var wq4, wq6 waiter.Queue
	ch := make(chan struct{}, 1)
	kick := func(waiter.EventMask) {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
	open := func(net tcpip.NetworkProtocolNumber, trans tcpip.TransportProtocolNumber, wq *waiter.Queue) tcpip.Endpoint {
		ep, terr := raw.NewEndpoint(k.stack, net, trans, wq)
		if terr != nil {
			return nil
		}
		e := waiter.NewFunctionEntry(waiter.ReadableEvents, kick)
		wq.EventRegister(&e)
		return ep
	}
	if k.comps.inet() {
		r.ep4 = open(ipv4.ProtocolNumber, icmp.ProtocolNumber4, &wq4)
	}
	if k.comps.inet6() {
		r.ep6 = open(ipv6.ProtocolNumber, icmp.ProtocolNumber6, &wq6)
		if r.ep6 != nil {
			// Neighbour discovery messages go out with hop limit 255.
			r.ep6.SetSockOptInt(tcpip.IPv6HopLimitOption, 255)
			r.ep6.SocketOptions().SetReceiveHopLimit(true)
		}
	}
	go func() {
		defer func() {
			for _, ep := range []tcpip.Endpoint{r.ep4, r.ep6} {
				if ep != nil {
					ep.Close()
				}
			}
		}()
		for {
			select {
			case <-stop:
				return
			case <-ch:
				k.readRedirects(r.ep4, false)
				k.readRedirects(r.ep6, true)
			}
		}
	}()
}

// readRedirects takes in every queued message of ep, acting on redirects.
func (k *Kernel) readRedirects(ep tcpip.Endpoint, inet6 bool) {
	if ep == nil {
		return
	}
	var buf bytes.Buffer
	for {
		buf.Reset()
		res, terr := ep.Read(&buf, tcpip.ReadOptions{NeedRemoteAddr: true})
		if terr != nil {
			return
		}
		m := buf.Bytes()
		if inet6 {
			if k.redir.accept6.Load() && res.ControlMessages.HopLimit == 255 {
				k.redirected6(m, res.RemoteAddr)
			}
			continue
		}
		ip := header.IPv4(m)
		if !ip.IsValid(len(m)) || !k.redir.accept4.Load() {
			continue
		}
		k.redirected4(m[ip.HeaderLength():], res.RemoteAddr)
	}
}

// redirected4 acts on an IPv4 message m (ICMP header on) from from: a
// redirect for a destination it quotes, to a gateway on the link it came
// in on, from the router currently used for that destination. Network
// redirects are taken as host redirects, as NetBSD does.
func (k *Kernel) redirected4(m []byte, from tcpip.FullAddress) {
	if len(m) < header.ICMPv4MinimumSize+header.IPv4MinimumSize || header.ICMPv4(m).Type() != header.ICMPv4Redirect || m[1] > 3 {
		return
	}
	gw := tcpip.AddrFrom4([4]byte(m[4:8]))
	dst := header.IPv4(m[header.ICMPv4MinimumSize:]).DestinationAddress()
	k.redirected(ipv4.ProtocolNumber, dst, gw, from)
}

// redirected6 acts on an ICMPv6 redirect m from from: target is the
// better first hop for destination, or the destination itself when it is
// on the link.
func (k *Kernel) redirected6(m []byte, from tcpip.FullAddress) {
	const size = header.ICMPv6MinimumSize + 2*header.IPv6AddressSize
	if len(m) < size || header.ICMPv6(m).Type() != header.ICMPv6RedirectMsg || m[1] != 0 {
		return
	}
	if !header.IsV6LinkLocalUnicastAddress(from.Addr) {
		return // RFC 4861 8.1: redirects come from link-local addresses
	}
	target := tcpip.AddrFrom16([16]byte(m[8:24]))
	dst := tcpip.AddrFrom16([16]byte(m[24:40]))
	if !header.IsV6LinkLocalUnicastAddress(target) && target != dst {
		return
	}
	k.redirected(ipv6.ProtocolNumber, dst, target, from)
}

// redirected adds (or renews) the dynamic host route to dst through gw
// that a redirect from from asks for, if from is the first hop the kernel
// uses for dst now and gw is on the link the redirect came in on.
func (k *Kernel) redirected(proto tcpip.NetworkProtocolNumber, dst, gw tcpip.Address, from tcpip.FullAddress) {
	r, terr := k.stack.FindRoute(0, tcpip.Address{}, dst, proto, false)
	if terr != nil {
		return
	}
	hop, nic := r.NextHop(), r.NICID()
	r.Release()
	if hop != from.Addr || nic != from.NIC || k.stack.CheckLocalAddress(0, proto, gw) != 0 {
		return
	}
	timeout := k.redir.timeout4.Load()
	if proto == ipv6.ProtocolNumber {
		timeout = k.redir.timeout6.Load()
	}
	d, _ := netip.AddrFromSlice(dst.AsSlice())
	g, _ := netip.AddrFromSlice(gw.AsSlice())
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.closed {
		return
	}
	var ifp *Interface
	for _, x := range k.ifaces {
		if x.nic == nic {
			ifp = x
		}
	}
	if ifp == nil || !k.onLinkLocked(ifp, g) {
		return
	}
	dest := netip.PrefixFrom(d, d.BitLen())
	sr := k.findLocked(dest, "")
	switch {
	case sr != nil && sr.flags&api.RTF_GATEWAY == 0:
		return // a route to an interface, or a local one, is never redirected
	case sr == nil:
		sr = &staticRoute{dest: dest, ifp: ifp, dynamic: true,
			flags: api.RTF_UP | api.RTF_HOST | api.RTF_DYNAMIC}
		k.routes = append(k.routes, sr)
	case sr.gateway != g || sr.ifp != ifp:
		sr.flags |= api.RTF_MODIFIED
	}
	sr.gateway, sr.ifp = g, ifp
	sr.flags |= api.RTF_GATEWAY
	if g == d {
		sr.gateway = netip.Addr{} // the destination is on the link
		sr.flags &^= api.RTF_GATEWAY
	}
	k.updateRoutesLocked()
	if sr.expires != nil {
		sr.expires.Stop()
	}
	if timeout > 0 && sr.dynamic {
		sr.expires = time.AfterFunc(time.Duration(timeout)*time.Second, func() { k.expireRedirect(sr) })
	}
}

// onLinkLocked reports whether a is on interface ifp's link: in the
// prefix of one of its addresses, or an IPv6 link-local address.
func (k *Kernel) onLinkLocked(ifp *Interface, a netip.Addr) bool {
	if a.Is6() && a.IsLinkLocalUnicast() {
		return true
	}
	for _, ia := range ifp.addrs {
		if ia.prefix.Masked().Contains(a) {
			return true
		}
	}
	return false
}

// expireRedirect removes a dynamic route whose time is up, unless it has
// gone or been renewed since.
func (k *Kernel) expireRedirect(sr *staticRoute) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.closed || !sr.dynamic || !slices.Contains(k.routes, sr) {
		return
	}
	k.routes = slices.DeleteFunc(k.routes, func(x *staticRoute) bool { return x == sr })
	k.updateRoutesLocked()
}

// forwarded sees a packet that arrived on ifp addressed to its MAC, before
// the stack takes it, and sends the source a redirect if the kernel will
// forward the packet back out of ifp to a first hop on the source's link.
func (k *Kernel) forwarded(ifp *Interface, pkt []byte, inet6 bool) {
	if inet6 {
		if k.forwarding6.Load() && k.redir.send6.Load() {
			k.redirect6(ifp, header.IPv6(pkt))
		}
		return
	}
	if k.forwarding4.Load() && k.redir.send4.Load() {
		k.redirect4(ifp, header.IPv4(pkt))
	}
}

// firstHopBack is the first hop the kernel forwards a packet to dst
// through, if that is back out of interface nic; ok is false otherwise.
func (k *Kernel) firstHopBack(proto tcpip.NetworkProtocolNumber, nic tcpip.NICID, src, dst tcpip.Address) (tcpip.Address, bool) {
	if k.stack.CheckLocalAddress(0, proto, dst) != 0 {
		return tcpip.Address{}, false
	}
	r, terr := k.stack.FindRoute(0, tcpip.Address{}, dst, proto, false)
	if terr != nil {
		return tcpip.Address{}, false
	}
	defer r.Release()
	if r.NICID() != nic || r.NextHop() == src {
		return tcpip.Address{}, false
	}
	hop := r.NextHop()
	if hop.Len() == 0 {
		hop = dst
	}
	return hop, true
}

// sourceOnLink reports whether src is on the link of interface ifp.
func (k *Kernel) sourceOnLink(ifp *Interface, src tcpip.Address) bool {
	a, _ := netip.AddrFromSlice(src.AsSlice())
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.onLinkLocked(ifp, a)
}

// redirect4 sends an ICMP host redirect for IPv4 packet ip, as NetBSD's
// ip_forward does: not for broadcasts or multicasts, for packets that
// still have a hop to go, nor for those with a source route.
func (k *Kernel) redirect4(ifp *Interface, ip header.IPv4) {
	if !ip.IsValid(len(ip)) || ip.TTL() <= 1 || k.redir.ep4 == nil || hasSourceRoute(ip.Options()) {
		return
	}
	src, dst := ip.SourceAddress(), ip.DestinationAddress()
	if header.IsV4MulticastAddress(dst) || dst == header.IPv4Broadcast {
		return
	}
	hop, ok := k.firstHopBack(ipv4.ProtocolNumber, ifp.nic, src, dst)
	if !ok || !k.sourceOnLink(ifp, src) || !k.stack.AllowICMPMessage() {
		return
	}
	quoted := min(len(ip), int(ip.HeaderLength())+8)
	m := make([]byte, header.ICMPv4MinimumSize+quoted)
	h := header.ICMPv4(m)
	h.SetType(header.ICMPv4Redirect)
	h.SetCode(1) // host
	copy(m[4:8], hop.AsSlice())
	copy(m[header.ICMPv4MinimumSize:], ip[:quoted])
	h.SetChecksum(^checksum.Checksum(m, 0))
	to := tcpip.FullAddress{Addr: src, NIC: ifp.nic}
	k.redir.ep4.Write(bytes.NewReader(m), tcpip.WriteOptions{To: &to})
}

// hasSourceRoute reports whether IPv4 options hold a source route.
func hasSourceRoute(o []byte) bool {
	for i := 0; i < len(o); {
		switch o[i] {
		case 0:
			return false
		case 1:
			i++
			continue
		case 131, 137: // LSRR, SSRR
			return true
		}
		if i+1 >= len(o) || o[i+1] < 2 {
			return false
		}
		i += int(o[i+1])
	}
	return false
}

// redirect6 sends an ICMPv6 redirect for IPv6 packet ip, as NetBSD's
// ip6_forward does: from the interface's link-local address, to a source
// on the link, naming a link-local first hop (or the destination itself),
// with as much of the packet as fits in 1280 bytes.
func (k *Kernel) redirect6(ifp *Interface, ip header.IPv6) {
	if !ip.IsValid(len(ip)) || ip.HopLimit() <= 1 {
		return
	}
	src, dst := ip.SourceAddress(), ip.DestinationAddress()
	if header.IsV6MulticastAddress(dst) || header.IsV6LinkLocalUnicastAddress(dst) || src.Unspecified() {
		return
	}
	hop, ok := k.firstHopBack(ipv6.ProtocolNumber, ifp.nic, src, dst)
	if !ok || (hop != dst && !header.IsV6LinkLocalUnicastAddress(hop)) || !k.sourceOnLink(ifp, src) {
		return
	}
	ll, ok := k.linkLocalOf(ifp)
	if !ok || !k.stack.AllowICMPMessage() {
		return
	}
	const head = header.ICMPv6MinimumSize + 2*header.IPv6AddressSize
	quoted := min(len(ip), (header.IPv6MinimumMTU-header.IPv6MinimumSize-head-8)&^7)
	m := make([]byte, head+8+(quoted+7)&^7)
	m[0] = byte(header.ICMPv6RedirectMsg)
	copy(m[8:24], hop.AsSlice())
	copy(m[24:40], dst.AsSlice())
	m[head], m[head+1] = 4, byte((8+(quoted+7)&^7)/8) // redirected header option
	copy(m[head+8:], ip[:quoted])
	var wq waiter.Queue
	ep, terr := raw.NewEndpoint(k.stack, ipv6.ProtocolNumber, icmp.ProtocolNumber6, &wq)
	if terr != nil {
		return
	}
	defer ep.Close()
	ep.SetSockOptInt(tcpip.IPv6HopLimitOption, 255)
	if ep.Bind(tcpip.FullAddress{Addr: ll, NIC: ifp.nic}) != nil {
		return
	}
	to := tcpip.FullAddress{Addr: src, NIC: ifp.nic}
	ep.Write(bytes.NewReader(m), tcpip.WriteOptions{To: &to})
}

// linkLocalOf is interface ifp's IPv6 link-local address.
func (k *Kernel) linkLocalOf(ifp *Interface) (tcpip.Address, bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	for _, a := range ifp.addrs {
		if p := a.prefix.Addr(); p.Is6() && p.IsLinkLocalUnicast() && a.dad.Load() == 0 {
			return tcpip.AddrFrom16(p.As16()), true
		}
	}
	return tcpip.Address{}, false
}

// The redirect settings as sysctl nodes, NetBSD's names and defaults.
func init() {
	flag := func(name string, f func(k *Kernel) *atomic.Bool) Tunable {
		return Tunable{name, func(k *Kernel) int { return boolInt(f(k).Load()) },
			func(k *Kernel, v int) error { f(k).Store(v != 0); return nil }}
	}
	seconds := func(name string, f func(k *Kernel) *atomic.Int64) Tunable {
		return Tunable{name, func(k *Kernel) int { return int(f(k).Load()) },
			func(k *Kernel, v int) error {
				if v < 0 {
					return einval(name, v)
				}
				f(k).Store(int64(v))
				return nil
			}}
	}
	tunableTable = append(tunableTable,
		flag("net.inet.ip.redirect", func(k *Kernel) *atomic.Bool { return &k.redir.send4 }),
		flag("net.inet.icmp.rediraccept", func(k *Kernel) *atomic.Bool { return &k.redir.accept4 }),
		seconds("net.inet.icmp.redirtimeout", func(k *Kernel) *atomic.Int64 { return &k.redir.timeout4 }),
		flag("net.inet6.ip6.redirect", func(k *Kernel) *atomic.Bool { return &k.redir.send6 }),
		flag("net.inet6.icmp6.rediraccept", func(k *Kernel) *atomic.Bool { return &k.redir.accept6 }),
		seconds("net.inet6.icmp6.redirtimeout", func(k *Kernel) *atomic.Int64 { return &k.redir.timeout6 }),
	)
	slices.SortFunc(tunableTable, func(a, b Tunable) int { return strings.Compare(a.Name, b.Name) })
}
