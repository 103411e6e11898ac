package rump

import (
	"crypto/rand"
	"fmt"
	"strconv"
	"syscall"
	"time"

	"github.com/rumpnet/rumpnet/pkg/api"
	"github.com/rumpnet/rumpnet/pkg/bridge"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/header"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv6"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
)

// linkEndpoint is what every interface kind's link endpoint offers the
// registry besides gVisor's interface: its counters.
type linkEndpoint interface {
	stack.LinkEndpoint
	counters() *counters
}

func (e *ethEndpoint) counters() *counters  { return &e.stats }
func (e *loopEndpoint) counters() *counters { return &e.stats }

// Interface is one network interface of the kernel. All fields are guarded
// by Kernel.mu.
type Interface struct {
	name   string
	cloner string
	unit   int
	nic    tcpip.NICID
	flags  int
	metric int
	ep     linkEndpoint

	// virt and shmif
	eth     *ethEndpoint
	tapName string // virt: host tap currently attached, "" for none
	linkstr string // set explicitly with linkstr, shown by ifconfig
	busPath string // shmif: bus file attached, "" for none

	br              *bridge.Bridge // bridge only: the forwarding engine
	bridgeOf        *Interface     // virt, shmif: the bridge it is a member of
	promiscByBridge bool           // PROMISC was set by joining the bridge
	brTaps          captureTaps    // bridge only: live captures (capture.go)

	wg *wgIface // wg only: its WireGuard device (wg.go)

	addrs     []*ifaddr           // in the order they were added
	linkAddrs []tcpip.LinkAddress // inactive link addresses, oldest first
	capenable int                 // IFCAP_* bits switched on
	rtmLink   string              // link state last announced (rtmsg.go)

	sc any // a registered kind's own state (kinds.go): *vlanSoftc, ...
}

// Create makes the interface called name with its cloner ("virt0" → virt).
// Errors: EINVAL for a bad name or a cloner this kernel lacks, EEXIST if it
// exists, and the host's errno if a virt interface's tap cannot be opened.
func (k *Kernel) Create(name string) error { return k.CreateLinked(name, "") }

// CreateLinked makes the interface as Create does, a virt interface bound
// to the host tap called linkstr rather than tapN ("" for tapN): what
// "rifconfig virtN create linkstr NAME" asks, so that a kernel can have a
// virt0 while another process holds tap0. Other cloners take no linkstr
// at creation (EINVAL).
func (k *Kernel) CreateLinked(name, linkstr string) error {
	cloner, unit, err := api.ParseIfName(name)
	if err != nil {
		return err
	}
	if !k.comps.hasCloner(cloner) {
		return api.Errorf(syscall.EINVAL, fmt.Sprintf("no cloner %q", cloner))
	}
	if linkstr != "" && cloner != "virt" {
		return api.Errorf(syscall.EINVAL, name+": linkstr at creation is for virt")
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.closed {
		return api.Errorf(syscall.ENXIO, "kernel halted")
	}
	if _, err := k.lookupLocked(name); err == nil {
		return api.Errorf(syscall.EEXIST, name)
	}
	ifp := &Interface{name: name, cloner: cloner, unit: unit, nic: k.nextNIC}
	switch cloner {
	case "lo":
		ifp.ep = newLoopEndpoint(unit == 0)
		ifp.flags = api.IFF_LOOPBACK | api.IFF_MULTICAST
	case "virt":
		tapName := linkstr
		if tapName == "" {
			tapName = "tap" + strconv.Itoa(unit)
		}
		tap, err := k.openTap(tapName)
		if err != nil {
			return tapError(name, tapName, err, linkstr == "")
		}
		ifp.linkstr = linkstr
		ifp.eth = newEthEndpoint(virtMAC(unit), 1500)
		ifp.eth.onLink = func() { go k.rtmCarrier(ifp) }
		ifp.eth.forwards = k.forwardsInet
		ifp.eth.forwardHook = func(p []byte, inet6 bool) { k.forwarded(ifp, p, inet6) }
		ifp.eth.routing = func(f []byte) bool { return k.routingVia(ifp.eth, f) }
		ifp.eth.echo = k.newEchoPath(ifp, ifp.eth)
		ifp.eth.kernel = k
		ifp.eth.fast, ifp.eth.nic = &k.fast, ifp.nic
		ifp.eth.inGroup = k.groupMember(ifp.nic)
		ifp.eth.SetDevice(tap)
		ifp.tapName = tapName
		ifp.ep = ifp.eth
		ifp.flags = api.IFF_BROADCAST | api.IFF_SIMPLEX | api.IFF_MULTICAST
	case "shmif":
		ifp.eth = newEthEndpoint(shmifMAC(), 1500)
		ifp.eth.onLink = func() { go k.rtmCarrier(ifp) }
		ifp.eth.forwards = k.forwardsInet
		ifp.eth.forwardHook = func(p []byte, inet6 bool) { k.forwarded(ifp, p, inet6) }
		ifp.eth.echo = k.newEchoPath(ifp, ifp.eth)
		ifp.eth.kernel = k
		ifp.ep = ifp.eth
		ifp.flags = api.IFF_BROADCAST | api.IFF_SIMPLEX | api.IFF_MULTICAST
	case "bridge":
		ep := &bridgeEndpoint{}
		ifp.br = bridge.New(bridge.Config{Forward: ep.countForward})
		ep.br = ifp.br
		ifp.ep = ep
	case "wg":
		w, err := k.newWg()
		if err != nil {
			return err
		}
		ifp.wg, ifp.ep = w, w.ep
		ifp.flags = api.IFF_POINTOPOINT | api.IFF_MULTICAST
	default:
		kd := kinds[cloner]
		if kd == nil {
			return api.Errorf(syscall.EINVAL, fmt.Sprintf("no cloner %q", cloner))
		}
		if err := kd.attach(k, ifp); err != nil {
			return err
		}
	}
	if terr := k.stack.CreateNICWithOptions(ifp.nic, ifp.ep, stack.NICOptions{Name: name, Disabled: true}); terr != nil {
		if ifp.eth != nil {
			ifp.eth.SetDevice(nil)
		}
		if ifp.br != nil {
			ifp.br.Close()
		}
		if ifp.wg != nil {
			ifp.wg.close()
		}
		return api.Errorf(syscall.EINVAL, "create NIC: "+terr.String())
	}
	if lo, ok := ifp.ep.(*loopEndpoint); ok {
		lo.attached.Store(true) // see loop.go: only lo0 is the stack's loopback NIC
	}
	k.setDADLocked(ifp, k.dadTransmitsLocked(ifp)) // none on loopback: it hears its own probes
	k.setGroupProtocolsLocked(ifp)                 // IGMPv2 and MLDv1, as NetBSD (grouproto.go)
	if cloner == "virt" {
		k.fast.addOut(ifp.nic, ifp.eth)
	}
	k.nextNIC++
	k.ifaces = append(k.ifaces, ifp)
	k.rtmAnnounceLocked(ifp, api.IfArrival)
	if cloner == "lo" {
		return k.upLocked(ifp)
	}
	return nil
}

// virtMAC returns virt(4)'s address for unit: b2:0a:RR:0b:0e:NN with RR a
// random byte and NN the unit's low byte.
func virtMAC(unit int) tcpip.LinkAddress {
	var r [1]byte
	rand.Read(r[:])
	return tcpip.LinkAddress([]byte{0xb2, 0x0a, r[0], 0x0b, 0x0e, byte(unit)})
}

// Destroy removes the interface called name, also while it is up (NetBSD's
// virt refuses with EBUSY; rumpnet allows it). A host tap the interface
// created disappears; a persistent one stays. lo0 cannot be destroyed (EPERM).
// A malformed name or one no cloner of this kernel makes is EINVAL, as
// in NetBSD; an interface that does not exist, ENXIO.
func (k *Kernel) Destroy(name string) error {
	cloner, _, err := api.ParseIfName(name)
	if err != nil {
		return err
	}
	if !k.comps.hasCloner(cloner) {
		// NetBSD's if_clone_destroy looks the cloner up first.
		return api.Errorf(syscall.EINVAL, fmt.Sprintf("no cloner %q", cloner))
	}
	return k.withInterface(name, func(ifp *Interface) error {
		if name == "lo0" {
			return api.Errorf(syscall.EPERM, "lo0 cannot be destroyed")
		}
		k.destroyLocked(ifp)
		return nil
	})
}

func (k *Kernel) destroyLocked(ifp *Interface) {
	defer k.rtmAnnounceLocked(ifp, api.IfDeparture)
	for _, a := range ifp.addrs {
		a.stopTimers()
		k.rtmAddrLocked(api.RTM_DELADDR, ifp, a)
	}
	if ifp.bridgeOf != nil {
		k.bridgeDeleteLocked(ifp.bridgeOf, ifp)
	}
	if ifp.br != nil {
		k.destroyBridgeLocked(ifp)
	}
	k.kindGoneLocked(ifp)
	if ifp.eth != nil {
		ifp.eth.running.Store(false)
		ifp.eth.SetDevice(nil)
	}
	k.fast.removeOut(ifp.nic)
	k.stack.RemoveNIC(ifp.nic)
	k.invalidateLookups()
	if ifp.wg != nil {
		ifp.wg.release()  // the port is free once Destroy returns
		go ifp.wg.close() // waits for its receivers, which enter the stack: not under k.mu
	}
	for i, p := range k.ifaces {
		if p == ifp {
			k.ifaces = append(k.ifaces[:i], k.ifaces[i+1:]...)
			break
		}
	}
	k.updateRoutesLocked()
}

// SetFlags sets the interface's changeable flags (UP, DEBUG, NOARP, LINK0-2,
// ...); kernel-owned bits in flags are ignored. Raising UP on a virt
// interface without a host tap fails with ENXIO.
func (k *Kernel) SetFlags(name string, flags int) error {
	return k.withInterface(name, func(ifp *Interface) error {
		defer k.rtmIfinfoLocked(ifp, ifp.flags)
		wasUp := ifp.flags&api.IFF_UP != 0
		nowUp := flags&api.IFF_UP != 0
		if nowUp && !wasUp {
			if err := k.upLocked(ifp); err != nil {
				return err
			}
		} else if !nowUp && wasUp {
			k.downLocked(ifp)
		}
		ifp.flags = ifp.flags&(api.IFF_CANTCHANGE|api.IFF_UP) | flags&^(api.IFF_CANTCHANGE|api.IFF_UP)
		if ifp.eth != nil {
			ifp.eth.noarp.Store(ifp.flags&api.IFF_NOARP != 0)
		}
		return nil
	})
}

// upLocked brings the interface up and running, as NetBSD's if_up and
// if_init do, attaching an IPv6 link-local address on first use.
func (k *Kernel) upLocked(ifp *Interface) error {
	if ifp.br != nil {
		ifp.flags |= api.IFF_UP | api.IFF_RUNNING
		ifp.br.SetUp(true)
		return nil
	}
	if kd := kindOf(ifp); kd != nil && kd.up != nil {
		if handled, err := kd.up(k, ifp); handled {
			return err
		}
	}
	if ifp.eth != nil && !ifp.eth.hasDevice() {
		return api.Errorf(syscall.ENXIO, ifp.name+" has no "+ifp.linkNoun())
	}
	// gVisor starts IPv6 DAD on every address when the NIC is enabled;
	// addresses given while the interface was down do none (NetBSD's
	// if_do_dad), so unless an older one is there, DAD is off meanwhile.
	fresh6 := true
	for _, a := range ifp.addrs {
		if !a.is4() && !a.fresh {
			fresh6 = false
		}
	}
	if fresh6 {
		k.setDADLocked(ifp, 0)
	}
	err := k.enableNICLocked(ifp)
	k.invalidateLookups()
	if fresh6 {
		k.setDADLocked(ifp, k.dadTransmitsLocked(ifp))
	}
	if err != nil {
		return err
	}
	if ifp.bridgeOf != nil {
		ifp.bridgeOf.br.SetPortLink(ifp.name, true)
	}
	ifp.flags |= api.IFF_UP | api.IFF_RUNNING
	k.inetLinkUpLocked(ifp)
	if ifp.eth != nil && k.comps.inet6() && !k.tun.noLinklocal && inet6Capable(ifp.ep.MTU()) && !ifp.hasLinkLocal() {
		ll := header.LinkLocalAddr(ifp.eth.LinkAddress())
		a := api.IfAddr{Addr: fmt.Sprintf("%s/64", ll)}
		if err := k.addAddrLocked(ifp, a); err != nil {
			return err
		}
	}
	return nil
}

// inetLinkUpLocked does for the inet addresses of an interface that has
// come up what NetBSD's in_if_link_up does: an address given while the
// interface was down is announced at once; any other does DAD again when
// net.inet.ip.dad_count is above 0 (and is announced when that is done),
// or is announced at once.
func (k *Kernel) inetLinkUpLocked(ifp *Interface) {
	routes := false
	for _, a := range ifp.addrs {
		fresh := a.fresh
		a.fresh = false
		if !a.is4() || ifp.eth == nil {
			continue
		}
		switch {
		case !a.inStack:
			a.dad.Store(dadTentative) // also a DUPLICATED one tries again
			k.startInetDADLocked(ifp, a)
		case !fresh && k.tun.inetDAD > 0:
			k.stack.RemoveAddress(ifp.nic, tcpip.AddrFromSlice(a.prefix.Addr().AsSlice()))
			k.invalidateLookups()
			a.inStack = false
			a.dad.Store(dadTentative)
			k.startInetDADLocked(ifp, a)
			routes = true
		default:
			k.announceLocked(ifp, a)
		}
	}
	if routes {
		k.updateRoutesLocked()
	}
}

func (k *Kernel) downLocked(ifp *Interface) {
	if ifp.br != nil {
		ifp.br.SetUp(false)
		ifp.flags &^= api.IFF_UP | api.IFF_RUNNING
		return
	}
	if ifp.bridgeOf != nil {
		ifp.bridgeOf.br.SetPortLink(ifp.name, false)
	}
	if ifp.eth != nil {
		ifp.eth.running.Store(false)
	}
	k.stack.DisableNIC(ifp.nic)
	k.invalidateLookups()
	ifp.flags &^= api.IFF_UP | api.IFF_RUNNING
}

// SetMTU sets the interface MTU. virt takes 46..65520, wg 46..65475, shmif 46..1500, lo
// 576..65535, bridge 46..65535 (the MTU a member must have to join); others: EINVAL. Below 1280 the interface carries no IPv6
// (inet6mtu.go).
func (k *Kernel) SetMTU(name string, mtu int) error {
	return k.withInterface(name, func(ifp *Interface) error {
		lo, hi := 46, 1500
		switch ifp.cloner {
		case "bridge":
			hi = 65535
		case "lo":
			lo, hi = 576, 65535
		case "virt":
			hi = maxVirtMTU
		case "wg":
			hi = wgMaxMTU
		}
		if kd := kindOf(ifp); kd != nil && kd.mtuRange != nil {
			var err error
			if lo, hi, err = kd.mtuRange(ifp); err != nil {
				return err
			}
		}
		if mtu < lo || mtu > hi {
			return api.Errorf(syscall.EINVAL, fmt.Sprintf("mtu %d not in %d..%d", mtu, lo, hi))
		}
		return k.setMTULocked(ifp, mtu)
	})
}

// SetMetric sets the routing metric ifconfig shows.
func (k *Kernel) SetMetric(name string, metric int) error {
	return k.withInterface(name, func(ifp *Interface) error {
		ifp.metric = metric
		return nil
	})
}

// SetLinkstr binds a virt interface to another host tap, or a shmif
// interface to a bus file ("" detaches either). The interface must be down
// (EBUSY). The new tap is opened before the old one is let go, so a failure
// leaves the interface as it was.
func (k *Kernel) SetLinkstr(name, linkstr string) error {
	return k.withInterface(name, func(ifp *Interface) error {
		if ifp.eth == nil {
			return api.Errorf(syscall.ENOTTY, ifp.name+" has no linkstr")
		}
		if ifp.flags&api.IFF_UP != 0 {
			return api.Errorf(syscall.EBUSY, ifp.name+" is up")
		}
		if ifp.cloner == "shmif" {
			return k.setBusLocked(ifp, linkstr)
		}
		switch {
		case linkstr == "":
			ifp.eth.SetDevice(nil)
			ifp.tapName = ""
		case linkstr != ifp.tapName:
			tap, err := k.openTap(linkstr)
			if err != nil {
				return tapError(ifp.name, linkstr, err, false)
			}
			ifp.eth.SetDevice(tap)
			ifp.tapName = linkstr
		}
		ifp.linkstr = linkstr
		return nil
	})
}

// ZeroStats clears the interface's counters (ifconfig -z).
func (k *Kernel) ZeroStats(name string) error {
	return k.withInterface(name, func(ifp *Interface) error {
		ifp.ep.counters().zero()
		return nil
	})
}

// linkState is the interface's media status: a virt or shmif interface
// has carrier while its device is attached and passes frames (linkstate.go).
func (ifp *Interface) linkState() string {
	if ifp.cloner == "shmif" && !ifp.eth.hasDevice() {
		return api.LinkStateUnknown // no bus: NetBSD's shmif knows no state
	}
	if ifp.eth != nil && !ifp.eth.linkUp() {
		return api.LinkStateDown
	}
	return api.LinkStateUp
}

func (ifp *Interface) infoLocked() api.Interface {
	c := ifp.ep.counters()
	info := api.Interface{
		Name:      ifp.name,
		Index:     int(ifp.nic),
		Kind:      ifp.cloner,
		Flags:     ifp.flags,
		MTU:       int(ifp.ep.MTU()),
		Metric:    ifp.metric,
		Linkstr:   ifp.linkstr,
		LinkState: ifp.linkState(),
		Media:     ifp.media(),
		Stats: api.Stats{
			IPackets: c.ipackets.Load(), IBytes: c.ibytes.Load(), IMcasts: c.imcasts.Load(),
			IErrors: c.ierrors.Load(), IQDrops: c.iqdrops.Load(),
			OPackets: c.opackets.Load(), OBytes: c.obytes.Load(), OMcasts: c.omcasts.Load(),
			OErrors: c.oerrors.Load(),
		},
		Inet:  []api.IfAddr{},
		Inet6: []api.IfAddr{},
	}
	if ifp.eth != nil {
		info.Address = macString(ifp.eth.LinkAddress())
	}
	for _, mac := range ifp.linkAddrs {
		info.LinkAddrs = append(info.LinkAddrs, api.LinkAddr{Addr: macString(mac)})
	}
	info.Capabilities, info.CapEnabled = ifp.capabilities(), ifp.capenable
	if kd := kindOf(ifp); kd != nil && kd.info != nil {
		kd.info(ifp, &info)
	}
	for _, a := range ifp.addrs {
		if a.prefix.Addr().Is4() {
			info.Inet = append(info.Inet, a.info())
		} else {
			info.Inet6 = append(info.Inet6, a.info())
		}
	}
	return info
}

func macString(mac tcpip.LinkAddress) string {
	b := []byte(mac)
	s := make([]byte, 0, 17)
	for i, c := range b {
		if i > 0 {
			s = append(s, ':')
		}
		s = fmt.Appendf(s, "%02x", c)
	}
	return string(s)
}

// VirtifCreate makes virtN bound to host tap tapN: the Go counterpart of
// NetBSD's rump_pub_virtif_create(n).
func (k *Kernel) VirtifCreate(unit int) error {
	return k.Create("virt" + strconv.Itoa(unit))
}

// dadTransmitsLocked is how many IPv6 DAD probes the interface sends: none
// on loopback interfaces, net.inet6.ip6.dad_count elsewhere.
func (k *Kernel) dadTransmitsLocked(ifp *Interface) uint8 {
	if ifp.cloner == "lo" || ifp.cloner == "wg" {
		return 0 // wg: no neighbours to ask, as on NetBSD's point-to-point links
	}
	return k.tun.inet6DAD
}

// setDADLocked sets how many neighbour solicitations IPv6 DAD sends on the
// interface (0 turns DAD off).
func (k *Kernel) setDADLocked(ifp *Interface, transmits uint8) {
	ep, err := k.stack.GetNetworkEndpoint(ifp.nic, ipv6.ProtocolNumber)
	if err != nil {
		return // no IPv6 in this kernel
	}
	if d, ok := ep.(interface {
		SetDADConfigurations(stack.DADConfigurations)
	}); ok {
		d.SetDADConfigurations(stack.DADConfigurations{DupAddrDetectTransmits: transmits, RetransmitTimer: time.Second})
	}
}

// routing reports whether the kernel may forward the packet in an
// Ethernet frame: forwarding of its family is on and its destination is
// not one of the kernel's addresses. A frame for the kernel itself, the
// common case with IPv4 forwarding on by default, so keeps its offloads
// on the way up. It runs on the frame path without Kernel.mu.
func (k *Kernel) routing(frame []byte) bool {
	if len(frame) < header.EthernetMinimumSize {
		return false
	}
	p := frame[header.EthernetMinimumSize:]
	switch header.Ethernet(frame).Type() {
	case ipv4.ProtocolNumber:
		return len(p) >= header.IPv4MinimumSize && k.forwardsInet(header.IPv4(p).DestinationAddress())
	case ipv6.ProtocolNumber:
		if !k.forwarding6.Load() || len(p) < header.IPv6MinimumSize {
			return false
		}
		return k.stack.CheckLocalAddress(0, ipv6.ProtocolNumber, header.IPv6(p).DestinationAddress()) == 0
	}
	return false
}

// forwardsInet reports whether an IPv4 packet to dst would be forwarded.
// It runs on the frame path without Kernel.mu.
func (k *Kernel) forwardsInet(dst tcpip.Address) bool {
	if !k.forwarding4.Load() || dst.Len() != 4 {
		return false
	}
	return k.stack.CheckLocalAddress(0, ipv4.ProtocolNumber, dst) == 0
}
