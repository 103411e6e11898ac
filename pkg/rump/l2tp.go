package rump

// l2tp(4): an Ethernet pseudowire over L2TPv3 (l2tpwire.go). Data flow:
//
//	l2tp stack/bridge ─► l2tp ethEndpoint ─► l2tpPort.Write ─┬─► encap ─► held IP route to dst
//	                                                          └─► queue ─► sender: find route ─► encap ─┘
//	IP proto 115 for us ─► l2tpInput (the stack's handler) ─► session, addresses, cookie ─► l2tpPort ─► receive loop
//
// The interface is an ordinary ethEndpoint whose device is an l2tpPort,
// so its counters, captures (Ethernet frames) and bridge membership are
// the common ones. The outer packets ride the kernel's own stack and
// routes, as wg's datagrams do. Sending goes through a queue and a
// goroutine of the port, so that the stack is never entered from inside
// its own link write to find a route: the route found is held while
// nothing changes (tunroute.go), and a frame written while it is goes
// out at once. A route to the tunnel's destination through the
// interface itself drops the frame (NetBSD allows no nesting).
//
// Locking: the configuration changes under Kernel.mu; the frame paths
// read the port's configuration (an immutable l2tpVar) and the kernel's
// session table (an immutable map), both replaced whole, from atomic
// pointers.

import (
	"crypto/rand"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/rumpnet/rumpnet/pkg/api"
	"gvisor.dev/gvisor/pkg/buffer"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/header"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv6"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
)

func init() {
	registerKind(&ifKind{
		cloner:   "l2tp",
		attach:   l2tpAttach,
		detach:   func(k *Kernel, ifp *Interface) { k.l2tpDetachLocked(ifp) },
		mtuRange: func(*Interface) (int, int, error) { return l2tpMTUMin, l2tpMTUMax, nil },
		info:     l2tpInfo,
	})
}

// NetBSD's l2tp MTUs: 1280 at first, 1280 to 8192.
const (
	l2tpMTU    = 1280
	l2tpMTUMin = 1280
	l2tpMTUMax = 8192
)

// l2tpQueue bounds the frames waiting for a port's sender; beyond it
// they are dropped and counted.
const l2tpQueue = 1024

// l2tpVar is one configuration of an l2tp interface. It is never
// changed once published.
type l2tpVar struct {
	src, dst   netip.Addr // invalid while there is no tunnel
	my, peer   uint32     // 0 while there is no session
	myCookie   l2tpCookie // what arrives
	peerCookie l2tpCookie // what is sent
}

func (v *l2tpVar) hasTunnel() bool  { return v.src.IsValid() }
func (v *l2tpVar) hasSession() bool { return v.my != 0 }

// l2tpSessions is the kernel's l2tp interfaces by local session
// identifier, unique in a kernel as in NetBSD. Never changed once
// published.
type l2tpSessions map[uint32]*l2tpPort

// l2tpPort is an l2tp interface's FrameDevice.
type l2tpPort struct {
	k     *Kernel
	nic   tcpip.NICID // the interface's own: never the outer route
	stats *counters
	v     atomic.Pointer[l2tpVar]
	rt    outerRoute    // the held outer route (tunroute.go)
	held  atomic.Uint64 // frames sent through it from Write (for tests)
	in    chan []byte
	out   chan []byte
	done  chan struct{}
	once  sync.Once
}

func newL2tpPort(k *Kernel, nic tcpip.NICID, stats *counters) *l2tpPort {
	p := &l2tpPort{k: k, nic: nic, stats: stats, in: make(chan []byte, l2tpQueue),
		out: make(chan []byte, l2tpQueue), done: make(chan struct{})}
	p.v.Store(&l2tpVar{})
	go p.sender()
	return p
}

// Read implements FrameDevice.
func (p *l2tpPort) Read(b []byte) (int, error) {
	select {
	case f := <-p.in:
		return copy(b, f), nil
	case <-p.done:
		return 0, net.ErrClosed
	}
}

// Write implements FrameDevice: the frame is sent at once through the
// held outer route if it is current (tunroute.go), else queued for the
// sender, which finds the route. Without a tunnel and a session it goes
// nowhere (ENETDOWN), as in NetBSD's l2tp_output.
func (p *l2tpPort) Write(frame []byte) (int, error) {
	v := p.v.Load()
	if !v.hasTunnel() || !v.hasSession() {
		return 0, syscall.ENETDOWN
	}
	if len(p.out) == 0 && !frameControl(frame) {
		if r := p.rt.tryAcquire(p.k.fast.cache.generation(), v); r != nil {
			err := p.emit(r, v, frame)
			p.rt.releaseRead()
			p.held.Add(1)
			if err != nil {
				return 0, err
			}
			return len(frame), nil
		}
	}
	select {
	case p.out <- append([]byte(nil), frame...):
		return len(frame), nil
	case <-p.done:
		return 0, net.ErrClosed
	default:
		return 0, syscall.ENOBUFS
	}
}

// frameControl is stackControl for an Ethernet frame: anything but IPv4
// and IPv6 (ARP) is.
func frameControl(f []byte) bool {
	if len(f) < header.EthernetMinimumSize {
		return true
	}
	switch header.Ethernet(f).Type() {
	case header.IPv4ProtocolNumber, header.IPv6ProtocolNumber:
		return stackControl(f[header.EthernetMinimumSize:])
	}
	return true
}

// Close implements FrameDevice.
func (p *l2tpPort) Close() error {
	p.once.Do(func() { close(p.done) })
	return nil
}

// sender sends the queued frames until the port closes, and then lets
// the held route go.
func (p *l2tpPort) sender() {
	defer p.rt.set(nil, 0, nil)
	for {
		select {
		case f := <-p.out:
			if err := p.send(f); err != nil {
				p.stats.oerrors.Add(1)
			}
		case <-p.done:
			return
		}
	}
}

// send encapsulates a queued frame and sends it to the tunnel's
// destination through the held route or one it finds (and then holds).
func (p *l2tpPort) send(frame []byte) error {
	v := p.v.Load()
	if !v.hasTunnel() || !v.hasSession() {
		return syscall.ENETDOWN
	}
	return p.rt.write(p.k.fast.cache.generation(), v,
		func() (*stack.Route, error) { return p.route(v) },
		func(r *stack.Route) error { return p.emit(r, v, frame) })
}

// route finds the route to the tunnel's destination, refusing one
// through the interface itself.
func (p *l2tpPort) route(v *l2tpVar) (*stack.Route, error) {
	proto := tcpip.NetworkProtocolNumber(ipv4.ProtocolNumber)
	if v.src.Is6() {
		proto = ipv6.ProtocolNumber
	}
	r, terr := p.k.stack.FindRoute(0, tcpip.AddrFromSlice(v.src.AsSlice()),
		tcpip.AddrFromSlice(v.dst.AsSlice()), proto, false)
	if terr != nil {
		return nil, syscall.EHOSTUNREACH
	}
	if r.OutgoingNIC() == p.nic {
		r.Release()
		return nil, syscall.ELOOP
	}
	return r, nil
}

// emit encapsulates frame and sends it through r.
func (p *l2tpPort) emit(r *stack.Route, v *l2tpVar, frame []byte) error {
	payload := l2tpEncap(make([]byte, 0, l2tpSessionLen+8+len(frame)), v.peer, v.peerCookie, frame)
	pkt := stack.NewPacketBuffer(stack.PacketBufferOptions{
		ReserveHeaderBytes: int(r.MaxHeaderLength()),
		Payload:            buffer.MakeWithData(payload),
	})
	defer pkt.DecRef()
	pkt.TransportProtocolNumber = l2tpProto
	if terr := r.WritePacket(stack.NetworkHeaderParams{Protocol: l2tpProto, TTL: r.DefaultTTL()}, pkt); terr != nil {
		return syscall.EIO
	}
	return nil
}

// input queues a received frame, which the port now owns.
func (p *l2tpPort) input(frame []byte) {
	select {
	case p.in <- frame:
	default:
		p.stats.iqdrops.Add(1)
	}
}

// l2tpInput is the stack's handler of IP protocol 115. A packet goes to
// the interface of its session if it came from that interface's tunnel
// destination to its source and carries its cookie. A packet from a
// tunnel's peer with another session or cookie is dropped and counted
// as an input error of that tunnel's interface; anything else is dropped
// as NetBSD drops it, silently.
func (k *Kernel) l2tpInput(id stack.TransportEndpointID, pkt *stack.PacketBuffer) bool {
	t := k.l2tp.Load()
	if t == nil {
		return true
	}
	from, _ := netip.AddrFromSlice(id.RemoteAddress.AsSlice())
	to, _ := netip.AddrFromSlice(id.LocalAddress.AsSlice())
	payload := append(append([]byte(nil), pkt.TransportHeader().Slice()...), pkt.Data().AsRange().ToSlice()...)
	sess, _ := l2tpSession(payload)
	p := (*t)[sess]
	if p == nil || !p.matches(from, to) {
		for _, q := range *t {
			if q.matches(from, to) {
				q.stats.ierrors.Add(1)
				break
			}
		}
		return true
	}
	frame, ok := l2tpDecap(payload, p.v.Load().myCookie)
	if !ok {
		p.stats.ierrors.Add(1)
		return true
	}
	p.input(frame)
	return true
}

// matches reports whether a packet from from to to is on the port's tunnel.
func (p *l2tpPort) matches(from, to netip.Addr) bool {
	v := p.v.Load()
	return v.hasTunnel() && v.dst == from.Unmap() && v.src == to.Unmap()
}

// l2tpSoftc is an l2tp interface's state.
type l2tpSoftc struct {
	port *l2tpPort
}

func l2tpAttach(k *Kernel, ifp *Interface) error {
	e := k.newEthLocked(ifp, l2tpMAC(), l2tpMTU)
	port := newL2tpPort(k, ifp.nic, e.counters())
	e.SetDevice(port)
	ifp.sc = &l2tpSoftc{port: port}
	ifp.flags = api.IFF_POINTOPOINT | api.IFF_MULTICAST | api.IFF_SIMPLEX
	return nil
}

// l2tpMAC returns a random locally administered unicast address.
func l2tpMAC() tcpip.LinkAddress {
	mac := make([]byte, 6)
	rand.Read(mac)
	mac[0] = mac[0]&^1 | 2
	return tcpip.LinkAddress(mac)
}

// l2tpDetachLocked takes the interface's session out of the kernel's
// table; its port closes with its device.
func (k *Kernel) l2tpDetachLocked(ifp *Interface) {
	sc := ifp.sc.(*l2tpSoftc)
	k.l2tpPublishLocked(sc.port, &l2tpVar{})
}

// l2tpPublishLocked makes nv the port's configuration and updates the
// kernel's session table.
func (k *Kernel) l2tpPublishLocked(p *l2tpPort, nv *l2tpVar) {
	ov := p.v.Load()
	p.v.Store(nv)
	if ov.my == nv.my {
		return
	}
	t := l2tpSessions{}
	if old := k.l2tp.Load(); old != nil {
		for s, q := range *old {
			t[s] = q
		}
	}
	if ov.my != 0 {
		delete(t, ov.my)
	}
	if nv.my != 0 {
		t[nv.my] = p
	}
	k.l2tp.Store(&t)
}

// L2tp applies one change to the l2tp interface called name. Errors, as
// NetBSD's: EINVAL for a session identifier of 0 or one another l2tp
// interface has, a cookie of 0 or of a length other than 4 and 8 (or a
// value longer than its length), tunnel addresses of different
// families, equal, multicast or unspecified; EAFNOSUPPORT for a family
// the kernel lacks; ENOTTY if name is not an l2tp interface. A failure
// changes nothing.
func (k *Kernel) L2tp(name string, ch api.L2tpChange) error {
	return k.withInterface(name, func(ifp *Interface) error {
		sc, ok := ifp.sc.(*l2tpSoftc)
		if !ok {
			return api.Errorf(syscall.ENOTTY, name+" is not an l2tp interface")
		}
		nv := *sc.port.v.Load()
		switch ch.Op {
		case api.L2tpSetTunnel:
			src, dst, err := k.l2tpTunnel(ch.Src, ch.Dst)
			if err != nil {
				return err
			}
			nv.src, nv.dst = src, dst
		case api.L2tpDeleteTunnel:
			nv.src, nv.dst = netip.Addr{}, netip.Addr{}
		case api.L2tpSetSession:
			if err := k.l2tpSessionOK(sc.port, ch.LocalSession, ch.RemoteSession); err != nil {
				return err
			}
			nv.my, nv.peer = ch.LocalSession, ch.RemoteSession
		case api.L2tpDeleteSession:
			nv.my, nv.peer = 0, 0
		case api.L2tpSetCookie:
			my, peer := l2tpCookie{ch.LocalCookie, ch.LocalCookieLen}, l2tpCookie{ch.RemoteCookie, ch.RemoteCookieLen}
			if err := l2tpCookieOK(my); err != nil {
				return err
			}
			if err := l2tpCookieOK(peer); err != nil {
				return err
			}
			nv.myCookie, nv.peerCookie = my, peer
		case api.L2tpDeleteCookie:
			nv.myCookie, nv.peerCookie = l2tpCookie{}, l2tpCookie{}
		default:
			return api.Errorf(syscall.EINVAL, fmt.Sprintf("unknown l2tp op %q", ch.Op))
		}
		k.l2tpPublishLocked(sc.port, &nv)
		return nil
	})
}

func (k *Kernel) l2tpTunnel(s, d string) (src, dst netip.Addr, err error) {
	src, err1 := netip.ParseAddr(s)
	dst, err2 := netip.ParseAddr(d)
	switch {
	case err1 != nil || err2 != nil || src.Zone() != "" || dst.Zone() != "":
		return src, dst, api.Errorf(syscall.EINVAL, "tunnel addresses "+s+" "+d)
	case src.Is4() != dst.Is4():
		return src, dst, api.Errorf(syscall.EINVAL, "tunnel source and destination families differ")
	case src == dst:
		return src, dst, api.Errorf(syscall.EINVAL, "tunnel source and destination are the same")
	case src.IsMulticast() || dst.IsMulticast() || src.IsUnspecified() || dst.IsUnspecified():
		return src, dst, api.Errorf(syscall.EINVAL, "tunnel address multicast or unspecified")
	case src.Is4() && !k.comps.inet() || src.Is6() && !k.comps.inet6():
		return src, dst, api.Errorf(syscall.EAFNOSUPPORT, "tunnel family not in this kernel")
	}
	return src, dst, nil
}

func (k *Kernel) l2tpSessionOK(p *l2tpPort, my, peer uint32) error {
	if my == 0 || peer == 0 {
		return api.Errorf(syscall.EINVAL, "session id must not be 0")
	}
	if t := k.l2tp.Load(); t != nil {
		if q := (*t)[my]; q != nil && q != p {
			return api.Errorf(syscall.EINVAL, fmt.Sprintf("duplicate session id %d", my))
		}
	}
	return nil
}

func l2tpCookieOK(c l2tpCookie) error {
	switch {
	case c.val == 0:
		return api.Errorf(syscall.EINVAL, "cookie must not be 0")
	case c.len != 4 && c.len != 8:
		return api.Errorf(syscall.EINVAL, fmt.Sprintf("cookie length %d, want 4 or 8", c.len))
	case c.len == 4 && c.val>>32 != 0:
		return api.Errorf(syscall.EINVAL, fmt.Sprintf("cookie %d longer than 4 bytes", c.val))
	}
	return nil
}

// l2tpInfo reports the configuration. The interface runs only with a
// tunnel, as NetBSD's l2tp_variant_update has it.
func l2tpInfo(ifp *Interface, info *api.Interface) {
	v := ifp.sc.(*l2tpSoftc).port.v.Load()
	l := &api.L2tp{LocalSession: v.my, RemoteSession: v.peer,
		LocalCookie: v.myCookie.val, LocalCookieLen: v.myCookie.len,
		RemoteCookie: v.peerCookie.val, RemoteCookieLen: v.peerCookie.len}
	if v.hasTunnel() {
		l.Src, l.Dst = v.src.String(), v.dst.String()
	} else {
		info.Flags &^= api.IFF_RUNNING
	}
	info.L2tp = l
	// No media, so no status line, as NetBSD's ifconfig shows it.
	info.LinkState = api.LinkStateUnknown
}
