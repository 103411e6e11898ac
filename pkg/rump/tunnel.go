package rump

// What gif(4) and gre(4) share: an IP-level interface whose packets are
// carried inside IP packets of the kernel's own stack between a tunnel
// source and destination. Data flow:
//
//	tunnel stack ─► tunEndpoint.WritePackets ─┬─► encap ─► held route to dst ─► outer interface
//	                                           └─► queue ─► send: find route ─► encap ─┘
//	outer interface ─► IP ─► tunnelProto (IP protocol 4, 41, 47) ─► decap ─► queue ─► tunnel's NIC
//
// The outer route found for one packet is held for the next ones while
// nothing changes (tunroute.go); only when it must be found does a
// packet wait in the queue for the send goroutine.
//
// The outer packets leave through the kernel's routes as any packet the
// kernel makes does: tunnelProto is a transport protocol of the stack
// for the IP protocol numbers of the encapsulations, so the stack's IP
// input (reassembly included) hands it every packet of those protocols
// addressed to the kernel. Decapsulated packets wait in a bounded queue
// for the tunnel's receive goroutine, as NetBSD's gif_input puts them on
// the IP input queue rather than calling IP input again from within it.
//
// Nesting: as NetBSD's default (MAX_GIF_NEST 1), a tunnel's outer packet
// must not itself go out through a tunnel interface; one that would is
// dropped and counted as an output error. This also stops a tunnel whose
// destination is routed through itself from looping.
//
// The packets on the wire are untrusted: the decapsulation parsers
// (gifDecap, greDecap) check every length before they read.

import (
	"net/netip"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/rumpnet/rumpnet/pkg/api"
	"gvisor.dev/gvisor/pkg/buffer"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv6"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
)

// tunnelTTL is the TTL (hop limit) of outer packets: NetBSD's GIF_TTL
// and GRE_TTL.
const tunnelTTL = 30

// tunnelQueueLen bounds the packets waiting to be encapsulated, and the
// decapsulated ones waiting for delivery.
const tunnelQueueLen = 256

// tunnelConf is a tunnel's outer addresses; never changed once published.
type tunnelConf struct {
	src, dst     netip.Addr
	sport, dport uint16 // gre in UDP only
}

// tunEndpoint is a gif or gre interface's link endpoint.
type tunEndpoint struct {
	ipLink
	stats counters
	taps  captureTaps
	st    *stack.Stack
	mux   *tunnelMux
	kind  string // "gif" or "gre"
	// encap returns the outer IP protocol and payload for an inner
	// packet of the given family.
	encap func(ifp *tunEndpoint, inner []byte, inet6 bool) (tcpip.TransportProtocolNumber, []byte)

	conf atomic.Pointer[tunnelConf] // nil: no tunnel
	udp  atomic.Pointer[greUDP]     // gre in UDP: its socket
	nic  tcpip.NICID
	lc   *lookupCache  // the kernel's, for its generation
	rt   outerRoute    // the held outer route (tunroute.go)
	held atomic.Uint64 // packets sent through it from WritePackets (for tests)

	in   chan []byte // decapsulated, for receive
	out  chan []byte // to encapsulate, for send
	done chan struct{}
	once sync.Once

	mu   sync.RWMutex
	disp stack.NetworkDispatcher
	mtu  uint32
}

var _ linkEndpoint = (*tunEndpoint)(nil)

func newTunEndpoint(k *Kernel, kind string, mtu uint32, nic tcpip.NICID) *tunEndpoint {
	e := &tunEndpoint{st: k.stack, mux: k.tunnels, kind: kind, mtu: mtu, nic: nic, lc: &k.fast.cache,
		in: make(chan []byte, tunnelQueueLen), out: make(chan []byte, tunnelQueueLen),
		done: make(chan struct{})}
	go e.receive()
	go e.send()
	return e
}

func (e *tunEndpoint) counters() *counters    { return &e.stats }
func (e *tunEndpoint) nullTaps() *captureTaps { return &e.taps }

// Attach implements stack.LinkEndpoint.
func (e *tunEndpoint) Attach(d stack.NetworkDispatcher) {
	e.mu.Lock()
	e.disp = d
	e.mu.Unlock()
}

// IsAttached implements stack.LinkEndpoint.
func (e *tunEndpoint) IsAttached() bool {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.disp != nil
}

// MTU implements stack.LinkEndpoint.
func (e *tunEndpoint) MTU() uint32 {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.mtu
}

// SetMTU implements stack.LinkEndpoint.
func (e *tunEndpoint) SetMTU(m uint32) {
	e.mu.Lock()
	e.mtu = m
	e.mu.Unlock()
}

// Close implements stack.LinkEndpoint: the send and receive goroutines
// end.
func (e *tunEndpoint) Close() {
	e.once.Do(func() { close(e.done) })
}

// WritePackets implements stack.LinkEndpoint. While the outer route is
// held and current (tunroute.go) the packets are encapsulated and sent
// at once, the whole list through one route; otherwise each waits in the
// output queue for the send goroutine, which finds the route, since the
// stack may call this with locks held that finding a route takes again.
// A full queue drops the packet and counts an output error.
func (e *tunEndpoint) WritePackets(pkts stack.PacketBufferList) (int, tcpip.Error) {
	e.stats.countForwarded(pkts)
	list := pkts.AsSlice()
	for _, pkt := range list[e.writeHeld(list):] {
		v := pkt.ToView()
		p := make([]byte, v.Size())
		copy(p, v.AsSlice())
		v.Release()
		select {
		case e.out <- p:
		default:
			e.stats.oerrors.Add(1)
		}
	}
	return pkts.Len(), nil
}

// writeHeld sends list through the held outer route if it is current
// and no packet waits in the queue (which keeps the order), and returns
// how many it took: all or none.
func (e *tunEndpoint) writeHeld(list []*stack.PacketBuffer) int {
	c := e.conf.Load()
	if c == nil || e.udp.Load() != nil || len(e.out) != 0 {
		return 0
	}
	views := make([]*buffer.View, 0, len(list))
	defer func() {
		for _, v := range views {
			v.Release()
		}
	}()
	for _, pkt := range list {
		v := pkt.ToView()
		views = append(views, v)
		if stackControl(v.AsSlice()) {
			return 0
		}
	}
	r := e.rt.tryAcquire(e.lc.generation(), c)
	if r == nil {
		return 0
	}
	defer e.rt.releaseRead()
	for _, v := range views {
		p := v.AsSlice()
		if e.taps.list.Load() != nil {
			e.taps.out(afFramed(p))
		}
		if err := e.emit(r, c, p); err != nil {
			e.stats.oerrors.Add(1)
		}
	}
	e.held.Add(uint64(len(list)))
	return len(list)
}

// send sends the queued inner packets, until the endpoint is closed; it
// lets the held route go when it ends.
func (e *tunEndpoint) send() {
	defer e.rt.set(nil, 0, nil)
	for {
		var p []byte
		select {
		case <-e.done:
			return
		case p = <-e.out:
		}
		if e.taps.list.Load() != nil {
			e.taps.out(afFramed(p))
		}
		if err := e.output(p); err != nil {
			e.stats.oerrors.Add(1)
		}
	}
}

// output sends one queued inner packet to the tunnel's destination,
// through the held route or one it finds (and then holds).
func (e *tunEndpoint) output(p []byte) error {
	c := e.conf.Load()
	if c == nil || len(p) == 0 {
		return syscall.ENETDOWN
	}
	return e.rt.write(e.lc.generation(), c,
		func() (*stack.Route, error) { return e.route(c) },
		func(r *stack.Route) error { return e.emit(r, c, p) })
}

// emit encapsulates inner and sends it through r (or gre's UDP socket,
// whose own route r has been checked to be), counting it if sent.
func (e *tunEndpoint) emit(r *stack.Route, c *tunnelConf, inner []byte) error {
	if len(inner) == 0 {
		return syscall.EINVAL
	}
	proto, payload := e.encap(e, inner, inner[0]>>4 == 6)
	var err error
	if u := e.udp.Load(); u != nil {
		_, err = u.c.Write(payload)
	} else {
		err = writeOuter(r, proto, payload)
	}
	if err == nil {
		e.stats.countOut(len(inner), isGroupIP(inner))
	}
	return err
}

// route finds the route of the outer packets, refusing one through a
// tunnel interface (the nesting limit).
func (e *tunEndpoint) route(c *tunnelConf) (*stack.Route, error) {
	np := ipv4.ProtocolNumber
	if c.dst.Is6() {
		np = ipv6.ProtocolNumber
	}
	r, terr := e.st.FindRoute(0, tcpip.AddrFromSlice(c.src.AsSlice()), tcpip.AddrFromSlice(c.dst.AsSlice()), np, false)
	if terr != nil {
		return nil, syscall.EHOSTUNREACH
	}
	if e.mux.isTunnel(r.NICID()) {
		r.Release()
		return nil, syscall.EIO // "recursively called too many times"
	}
	return r, nil
}

// writeOuter sends payload, of IP protocol proto, through r.
func writeOuter(r *stack.Route, proto tcpip.TransportProtocolNumber, payload []byte) error {
	pkt := stack.NewPacketBuffer(stack.PacketBufferOptions{
		ReserveHeaderBytes: int(r.MaxHeaderLength()),
		Payload:            buffer.MakeWithData(payload),
	})
	defer pkt.DecRef()
	pkt.TransportProtocolNumber = proto
	if terr := r.WritePacket(stack.NetworkHeaderParams{Protocol: proto, TTL: tunnelTTL}, pkt); terr != nil {
		return syscall.ENOBUFS
	}
	return nil
}

// input takes a decapsulated inner packet, which the endpoint now owns.
func (e *tunEndpoint) input(p []byte) {
	select {
	case e.in <- p:
	default:
		e.stats.iqdrops.Add(1)
	}
}

// receive delivers the queued inner packets to the stack.
func (e *tunEndpoint) receive() {
	for {
		var p []byte
		select {
		case <-e.done:
			return
		case p = <-e.in:
		}
		proto := ipv4.ProtocolNumber
		if p[0]>>4 == 6 {
			proto = ipv6.ProtocolNumber
		}
		e.stats.countIn(len(p), isGroupIP(p))
		if e.taps.list.Load() != nil {
			e.taps.in(afFramed(p), nil)
		}
		e.mu.RLock()
		d := e.disp
		e.mu.RUnlock()
		if d == nil {
			e.stats.iqdrops.Add(1)
			continue
		}
		pkt := stack.NewPacketBuffer(stack.PacketBufferOptions{Payload: buffer.MakeWithData(p)})
		d.DeliverNetworkPacket(proto, pkt)
		pkt.DecRef()
	}
}

// tunnelMux is the kernel's tunnel interfaces, as the packet paths see
// them: an immutable list replaced whole under Kernel.mu.
type tunnelMux struct {
	list atomic.Pointer[[]*tunEndpoint]
}

func (m *tunnelMux) all() []*tunEndpoint {
	if l := m.list.Load(); l != nil {
		return *l
	}
	return nil
}

// setLocked replaces the list; the caller holds Kernel.mu.
func (m *tunnelMux) setLocked(l []*tunEndpoint) { m.list.Store(&l) }

func (m *tunnelMux) isTunnel(nic tcpip.NICID) bool {
	for _, e := range m.all() {
		if e.nic == nic {
			return true
		}
	}
	return false
}

// lookup returns the tunnel of kind whose source is local and destination
// remote, not in UDP mode; nil for none.
func (m *tunnelMux) lookup(kind string, local, remote tcpip.Address) *tunEndpoint {
	for _, e := range m.all() {
		c := e.conf.Load()
		if e.kind != kind || c == nil || e.udp.Load() != nil {
			continue
		}
		if c.src == addrOf(local) && c.dst == addrOf(remote) {
			return e
		}
	}
	return nil
}

func addrOf(a tcpip.Address) netip.Addr {
	ip, _ := netip.AddrFromSlice(a.AsSlice())
	return ip
}

// tunnelAttach makes a tunnel interface's endpoint; kind's encapsulation
// is encap.
func (k *Kernel) tunnelAttach(ifp *Interface, kind string, mtu uint32,
	encap func(*tunEndpoint, []byte, bool) (tcpip.TransportProtocolNumber, []byte)) error {
	e := newTunEndpoint(k, kind, mtu, ifp.nic)
	e.encap = encap
	ifp.ep = e
	ifp.sc = e
	ifp.flags = api.IFF_POINTOPOINT | api.IFF_MULTICAST
	k.tunnels.setLocked(append(append([]*tunEndpoint(nil), k.tunnels.all()...), e))
	return nil
}

func (k *Kernel) tunnelDetach(ifp *Interface) {
	e := ifp.sc.(*tunEndpoint)
	var l []*tunEndpoint
	for _, o := range k.tunnels.all() {
		if o != e {
			l = append(l, o)
		}
	}
	k.tunnels.setLocked(l)
	if u := e.udp.Swap(nil); u != nil {
		u.close()
	}
	// No direct sends from now on: the stack removes the interface with
	// its NIC table locked, sending IGMP and MLD leaves (tunroute.go).
	e.conf.Store(nil)
	e.Close()
}

// tunnelInfo reports the tunnel's addresses and takes RUNNING away
// while there is none, as NetBSD's gif_update_variant does. A tunnel
// has no link state (NetBSD's IFEF_NO_LINK_STATE_CHANGE).
func tunnelInfo(ifp *Interface, info *api.Interface) {
	e := ifp.sc.(*tunEndpoint)
	info.LinkState = api.LinkStateUnknown
	c := e.conf.Load()
	if c == nil {
		info.Flags &^= api.IFF_RUNNING
		return
	}
	info.Tunnel = &api.Tunnel{Src: c.src.String(), Dst: c.dst.String(),
		SrcPort: int(c.sport), DstPort: int(c.dport)}
}

// SetTunnel sets (t.Src and t.Dst given) or deletes (both "") the outer
// addresses of a gif or gre interface, as SIOCSLIFPHYADDR and
// SIOCDIFPHYADDR. Errors as NetBSD's: EINVAL for addresses of two
// families or one that is not an address, EADDRNOTAVAIL for a pair
// another tunnel of the kind has, ENOTTY for an interface that is not
// a tunnel.
func (k *Kernel) SetTunnel(name string, t api.Tunnel) error {
	return k.withInterface(name, func(ifp *Interface) error {
		e, ok := ifp.sc.(*tunEndpoint)
		if !ok {
			return api.Errorf(syscall.ENOTTY, name+" is not a tunnel")
		}
		if t.Src == "" && t.Dst == "" {
			k.setTunnelLocked(e, nil, false)
			return nil
		}
		c, err := parseTunnel(t)
		if err != nil {
			return err
		}
		udp := e.kind == "gre" && ifp.flags&greUDPFlags == greUDPFlags
		if !udp && (c.sport != 0 || c.dport != 0) {
			return api.Errorf(syscall.EINVAL, name+": ports are for GRE in UDP (link0 link2)")
		}
		if udp && c.dport == 0 {
			return api.Errorf(syscall.EINVAL, name+": GRE in UDP needs the destination's port")
		}
		if (c.src.Is4() && !k.comps.inet()) || (c.src.Is6() && !k.comps.inet6()) {
			return api.Errorf(syscall.EAFNOSUPPORT, "tunnel family")
		}
		for _, o := range k.tunnels.all() {
			oc := o.conf.Load()
			if o != e && o.kind == e.kind && oc != nil && oc.src == c.src && oc.dst == c.dst {
				return api.Errorf(syscall.EADDRNOTAVAIL, "another "+e.kind+" has that tunnel")
			}
		}
		return k.setTunnelLocked(e, c, udp)
	})
}

// parseTunnel checks a tunnel request: addresses of one family, each
// with an optional port.
func parseTunnel(t api.Tunnel) (*tunnelConf, error) {
	src, err1 := netip.ParseAddr(t.Src)
	dst, err2 := netip.ParseAddr(t.Dst)
	if err1 != nil || err2 != nil || src.Zone() != "" || dst.Zone() != "" {
		return nil, api.Errorf(syscall.EINVAL, "tunnel "+t.Src+" "+t.Dst+": not addresses")
	}
	src, dst = src.Unmap(), dst.Unmap()
	if src.Is4() != dst.Is4() {
		return nil, api.Errorf(syscall.EINVAL, "tunnel source and destination of two families")
	}
	if src == dst {
		return nil, api.Errorf(syscall.EINVAL, "tunnel to itself")
	}
	if t.SrcPort < 0 || t.SrcPort > 65535 || t.DstPort < 0 || t.DstPort > 65535 {
		return nil, api.Errorf(syscall.EINVAL, "tunnel port out of range")
	}
	return &tunnelConf{src: src, dst: dst, sport: uint16(t.SrcPort), dport: uint16(t.DstPort)}, nil
}

// setTunnelLocked publishes c (nil: none), opening or closing gre's UDP
// socket; a socket that cannot be opened leaves the old tunnel.
func (k *Kernel) setTunnelLocked(e *tunEndpoint, c *tunnelConf, udp bool) error {
	var u *greUDP
	if c != nil && udp {
		var err error
		if u, err = openGreUDP(k, e, c); err != nil {
			return err
		}
	}
	if old := e.udp.Swap(u); old != nil {
		old.close()
	}
	e.conf.Store(c)
	return nil
}
