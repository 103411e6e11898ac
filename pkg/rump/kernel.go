// Package rump is a rump kernel: the whole virtual network kernel that one
// rump_server runs. It holds a gVisor network stack; the registry of
// NetBSD-style interfaces (lo, virt, shmif, bridge) with their flags,
// addresses, counters and link endpoints; the routes derived from them; the
// kernel's own small servers and ping; and the sockets that programs on the
// host own on its stack (doc/sockets.md).
//
// It is a Go API only: it must not know about HTTP, the control protocol or
// command-line syntax (ctlserver and the CLIs translate into it), and it
// must not change the host's configuration except by opening the taps its
// virt interfaces own and the bus files its shmif interfaces attach to.
//
// Locking: Kernel.mu guards the registry and every Interface field that is
// not atomic. It is never held while gVisor calls back into us (address
// events update atomics only), so calls into the stack under mu are safe.
// Failures are *api.Error values carrying an errno.
package rump

import (
	"fmt"
	"net/netip"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/rumpnet/rumpnet/pkg/api"
	"github.com/rumpnet/rumpnet/pkg/hosttap"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/network/arp"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv6"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
	"gvisor.dev/gvisor/pkg/tcpip/transport/icmp"
	"gvisor.dev/gvisor/pkg/tcpip/transport/tcp"
	"gvisor.dev/gvisor/pkg/tcpip/transport/udp"
)

// Options configure a new Kernel.
type Options struct {
	// Components are rump_server -l names; empty means all.
	Components []string
	// OpenTap opens the host tap a virt interface is bound to. Nil means
	// hosttap.Open; in-process tests and embedders pass their own.
	OpenTap func(name string) (FrameDevice, error)
}

// Kernel is one virtual network kernel.
type Kernel struct {
	stack   *stack.Stack
	comps   componentSet
	openTap func(name string) (FrameDevice, error)

	mu        sync.Mutex
	ifaces    []*Interface // in index order
	fast      fastPath     // the fast forwarding path (fastfwd.go)
	nextNIC   tcpip.NICID
	closed    bool
	tun       tunables
	sweepDone chan struct{} // closed by Close to stop the neighbour sweeper
	sweepKick chan struct{} // tells the sweeper net.inet.arp.keep changed
	ngc       *neighborGC   // new IPv6 entries, for neighborgcthresh

	forwarding4 atomic.Bool // net.inet.ip.forwarding, for the frame path
	forwarding6 atomic.Bool // net.inet6.ip6.forwarding, likewise

	l2tp atomic.Pointer[l2tpSessions] // l2tp interfaces by local session; see l2tp.go

	small smallServerSet // echo, discard, daytime, chargen; see smallsrv.go
	redir redirects      // ICMP redirect settings; see redirect.go

	// Guarded by mu.
	routes    []*staticRoute                    // added with route add; see route.go
	hidden    map[*ifaddr]bool                  // connected routes deleted or changed; see routetable.go
	discard   *discardEndpoint                  // behind blackhole routes, once used; see blackhole.go
	tempNeigh map[neighborKey]*tempEntry        // arp -s ... temp entries; see neigh.go
	published map[neighborKey]tcpip.LinkAddress // arp -s ... pub entries; see proxyarp.go
	mcastRefs map[mcastKey]int                  // sockets in each group; see mcast.go

	tunnels *tunnelMux // gif and gre interfaces, for the packet paths; see tunnel.go

	rtm     *rtBroadcaster                 // routing messages; see rtmsg.go
	rtmConn map[connRoute]api.RouteMessage // connected routes announced; guarded by mu
}

// New boots a kernel: the stack with the protocols its components provide,
// and lo0 up with 127.0.0.1/8, ::1/128 and fe80::1%lo0/64.
func New(opts Options) (*Kernel, error) {
	comps, err := parseComponents(opts.Components)
	if err != nil {
		return nil, err
	}
	var netProtos []stack.NetworkProtocolFactory
	transProtos := []stack.TransportProtocolFactory{tcp.NewProtocol, udp.NewProtocol}
	if comps.inet() {
		netProtos = append(netProtos, ipv4.NewProtocolWithOptions(ipv4.Options{
			IGMP: ipv4.IGMPOptions{Enabled: true}, // at version 2; see grouproto.go
		}), arp.NewProtocol)
		transProtos = append(transProtos, icmp.NewProtocol4)
	}
	if comps.inet6() {
		netProtos = append(netProtos, ipv6.NewProtocolWithOptions(ipv6.Options{
			NDPConfigs: ipv6.NDPConfigurations{}, // a host that ignores RAs, as NetBSD by default
			DADConfigs: stack.DADConfigurations{DupAddrDetectTransmits: 1, RetransmitTimer: time.Second},
			MLD:        ipv6.MLDOptions{Enabled: true},
		}))
		transProtos = append(transProtos, icmp.NewProtocol6)
	}
	if comps.hasCloner("l2tp") {
		transProtos = append(transProtos, newL2tpProtocol)
	}
	mux := &tunnelMux{}
	transProtos = append(transProtos, tunnelProtocols(mux, comps.hasCloner("gif"), comps.hasCloner("gre"))...)
	rtm := &rtBroadcaster{}
	ngc := newNeighborGC()
	// An entry stays reachable for the base time, not one drawn around
	// it, so the time left that arp and ndp show is the entry's own.
	nud := stack.DefaultNUDConfigurations()
	nud.MinRandomFactor, nud.MaxRandomFactor = 1, 1
	nudDisp := &nudEvents{b: rtm, gc: ngc}
	k := &Kernel{
		rtm:     rtm,
		ngc:     ngc,
		tunnels: mux,
		stack: stack.New(stack.Options{
			NUDDisp:            nudDisp,
			NUDConfigs:         nud,
			NetworkProtocols:   netProtos,
			TransportProtocols: transProtos,
			HandleLocal:        true,
		}),
		comps:   comps,
		openTap: opts.OpenTap,
		nextNIC: 1,
	}
	if k.openTap == nil {
		k.openTap = openHostTap
	}
	k.tun = defaultTunables
	k.fast.k = k
	k.sweepKick = make(chan struct{}, 1)
	nudDisp.kick = k.kickSweeper
	nudDisp.changed = k.invalidateLookups
	// Loss recovery as NetBSD's TCP does it (duplicate ACKs, SACK, NewReno),
	// without gVisor's RACK and tail loss probes.
	noRACK := tcpip.TCPRecovery(0)
	k.stack.SetTransportProtocolOption(tcp.ProtocolNumber, &noRACK)
	k.applyICMPLimit(k.tun.icmpPPS)
	k.stack.SetTransportProtocolHandler(l2tpProto, k.l2tpInput)
	if comps.inet() {
		// net.inet.ip.forwarding starts at 1, as in NetBSD's rump kernels,
		// which are built as gateways; IPv6's stays 0. The stack's default
		// covers interfaces created later.
		if err := k.SetForwarding(4, true); err != nil {
			k.stack.Close()
			return nil, err
		}
	}
	if err := k.bootLoopback(); err != nil {
		k.stack.Close()
		return nil, err
	}
	k.sweepDone = make(chan struct{})
	go k.neighborSweeper(k.sweepDone)
	go k.neighborCollector(k.sweepDone)
	k.startRedirects(k.sweepDone)
	return k, nil
}

func openHostTap(name string) (FrameDevice, error) { return hosttap.Open(name) }

func (k *Kernel) bootLoopback() error {
	if err := k.Create("lo0"); err != nil {
		return err
	}
	var addrs []api.IfAddr
	if k.comps.inet6() {
		addrs = append(addrs, api.IfAddr{Addr: "::1/128", Flags: api.IN6_IFF_NODAD},
			api.IfAddr{Addr: "fe80::1/64"})
	}
	if k.comps.inet() {
		addrs = append(addrs, api.IfAddr{Addr: "127.0.0.1/8"})
	}
	for _, a := range addrs {
		if err := k.AddAddr("lo0", a); err != nil {
			return err
		}
	}
	return nil
}

// Stack returns the gVisor stack, for tests and tools that open sockets in the
// kernel (gonet).
func (k *Kernel) Stack() *stack.Stack { return k.stack }

// Components lists the components the kernel was booted with.
func (k *Kernel) Components() []string { return k.comps.names() }

// Cloners lists the interface cloners that can create interfaces, in
// NetBSD's order (the last attached first).
func (k *Kernel) Cloners() []string { return k.comps.cloners() }

// Close stops the small servers, destroys every interface (closing host
// taps) and stops the stack.
func (k *Kernel) Close() {
	k.small.shutdown() // the listeners first, while the stack still runs
	k.mu.Lock()
	if k.closed {
		k.mu.Unlock()
		return
	}
	k.closed = true
	close(k.sweepDone)
	for i := len(k.ifaces) - 1; i >= 0; i-- {
		k.destroyLocked(k.ifaces[i])
	}
	k.mu.Unlock()
	k.stack.Close()
	k.stack.Wait()
}

func (k *Kernel) lookupLocked(name string) (*Interface, error) {
	for _, ifp := range k.ifaces {
		if ifp.name == name {
			return ifp, nil
		}
	}
	return nil, api.Errorf(syscall.ENXIO, name)
}

// withInterface runs f with the interface called name under the kernel
// lock; ENXIO if there is none.
func (k *Kernel) withInterface(name string, f func(*Interface) error) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	ifp, err := k.lookupLocked(name)
	if err != nil {
		return err
	}
	return f(ifp)
}

// Interfaces returns a snapshot of every interface, in index order.
func (k *Kernel) Interfaces() []api.Interface {
	k.mu.Lock()
	defer k.mu.Unlock()
	out := make([]api.Interface, 0, len(k.ifaces))
	for _, ifp := range k.ifaces {
		out = append(out, ifp.infoLocked())
	}
	return out
}

// Interface returns a snapshot of the interface called name (ENXIO if none).
func (k *Kernel) Interface(name string) (api.Interface, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	ifp, err := k.lookupLocked(name)
	if err != nil {
		return api.Interface{}, err
	}
	return ifp.infoLocked(), nil
}

// Forwarding reports whether the kernel forwards packets of the given family
// (4 or 6) between interfaces.
func (k *Kernel) Forwarding(family int) bool {
	proto := protoOf(family)
	k.mu.Lock()
	defer k.mu.Unlock()
	for _, ifp := range k.ifaces {
		on, err := k.stack.NICForwarding(ifp.nic, proto)
		return err == nil && on
	}
	return false
}

// SetForwarding turns forwarding of a family (4 or 6) on or off.
func (k *Kernel) SetForwarding(family int, on bool) error {
	proto := protoOf(family)
	if (family == 4 && !k.comps.inet()) || (family == 6 && !k.comps.inet6()) {
		return api.Errorf(syscall.ENOENT, fmt.Sprintf("inet%d forwarding", family))
	}
	if err := k.stack.SetForwardingDefaultAndAllNICs(proto, on); err != nil {
		return api.Errorf(syscall.EINVAL, err.String())
	}
	k.invalidateLookups()
	if family == 4 {
		k.forwarding4.Store(on)
	} else {
		k.forwarding6.Store(on)
	}
	return nil
}

func protoOf(family int) tcpip.NetworkProtocolNumber {
	if family == 6 {
		return ipv6.ProtocolNumber
	}
	return ipv4.ProtocolNumber
}

func subnetOf(p netip.Prefix) tcpip.Subnet {
	addr := tcpip.AddrFromSlice(p.Addr().AsSlice())
	s, err := tcpip.NewSubnet(addr, tcpip.MaskFromBytes(maskBytes(p)))
	if err != nil {
		panic(fmt.Sprintf("subnet of masked prefix %v: %v", p, err))
	}
	return s
}

func maskBytes(p netip.Prefix) []byte {
	n := p.Addr().BitLen() / 8
	m := make([]byte, n)
	bits := p.Bits()
	for i := range m {
		switch {
		case bits >= 8:
			m[i] = 0xff
			bits -= 8
		case bits > 0:
			m[i] = byte(0xff << (8 - bits))
			bits = 0
		}
	}
	return m
}
