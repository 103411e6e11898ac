package rump

// Interface addresses. The kernel keeps its own ordered list of addresses
// (ifconfig prints them in the order they were added) with the attributes
// gVisor does not model: broadcast address and NetBSD's per-address flags.
// gVisor reports DAD progress through the AddressDispatcher methods, which
// run on the stack's goroutines with its locks held: they only touch the
// atomic state word, never Kernel.mu.

import (
	"fmt"
	"net/netip"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/rumpnet/rumpnet/pkg/api"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/network/arp"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv6"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
)

type ifaddr struct {
	prefix     netip.Prefix
	broadcast  netip.Addr // invalid: none
	dest       netip.Addr // point-to-point destination; invalid: none
	static     int        // flags set by configuration (NODAD, ANYCAST)
	preference int
	dad        atomic.Int32
	deprecated atomic.Bool // by configuration or because pltime ran out

	// inStack is whether gVisor has the address; an inet address under
	// DAD does not until probing is done.
	inStack bool

	// fresh: given while the interface was down. As on NetBSD (whose
	// if_do_dad skips an interface that is not up and running), such an
	// address does no DAD when the interface comes up; it is announced.
	fresh bool

	// Lifetimes (inet6). Zero times are infinite. Guarded by Kernel.mu; the
	// timers deprecate and then remove the address.
	preferUntil, validUntil time.Time
	timers                  []*time.Timer
}

func (a *ifaddr) stopTimers() {
	for _, t := range a.timers {
		t.Stop()
	}
	a.timers = nil
}

// DAD state bits kept in ifaddr.dad.
const (
	dadTentative = 1 << iota
	dadDuplicated
	dadDetached
)

// OnChanged implements stack.AddressDispatcher. An address of an interface
// that is down is DETACHED, as NetBSD marks addresses when the link goes
// away; DAD starts over when it comes back.
func (a *ifaddr) OnChanged(_ stack.AddressLifetimes, s stack.AddressAssignmentState) {
	defer addrStateChanged()
	switch s {
	case stack.AddressTentative:
		a.dad.Store(dadTentative)
	case stack.AddressDisabled:
		a.dad.Store(dadDetached)
	default:
		a.dad.Store(0)
	}
}

// OnRemoved implements stack.AddressDispatcher. An address that fails DAD
// stays listed, flagged DUPLICATED, as on NetBSD.
func (a *ifaddr) OnRemoved(r stack.AddressRemovalReason) {
	defer addrStateChanged()
	if r == stack.AddressRemovalDADFailed {
		a.dad.Store(dadDuplicated)
	}
}

func (a *ifaddr) is4() bool { return a.prefix.Addr().Is4() }

func (a *ifaddr) duplicatedBit() int {
	if a.is4() {
		return api.IN_IFF_DUPLICATED
	}
	return api.IN6_IFF_DUPLICATED
}

// flags returns the address's NetBSD flags.
func (a *ifaddr) flags() int {
	f := a.static
	d := a.dad.Load()
	if a.is4() {
		if d&dadTentative != 0 {
			f |= api.IN_IFF_TENTATIVE
		}
		if d&dadDuplicated != 0 {
			f |= api.IN_IFF_DUPLICATED
		}
		if d&dadDetached != 0 {
			f |= api.IN_IFF_DETACHED
		}
	} else {
		if d&dadTentative != 0 {
			f |= api.IN6_IFF_TENTATIVE
		}
		if d&dadDuplicated != 0 {
			f |= api.IN6_IFF_DUPLICATED
		}
		if d&dadDetached != 0 {
			f |= api.IN6_IFF_DETACHED
		}
	}
	if a.deprecated.Load() {
		f |= api.IN6_IFF_DEPRECATED
	}
	return f
}

func (a *ifaddr) info() api.IfAddr {
	i := api.IfAddr{Addr: a.prefix.String(), Flags: a.flags(), Preference: a.preference}
	if a.broadcast.IsValid() {
		i.Broadcast = a.broadcast.String()
	}
	if a.dest.IsValid() {
		i.Dest = a.dest.String()
	}
	i.Pltime = secondsLeft(a.preferUntil)
	i.Vltime = secondsLeft(a.validUntil)
	return i
}

// secondsLeft turns a deadline into the seconds remaining; nil for none.
func secondsLeft(t time.Time) *uint32 {
	if t.IsZero() {
		return nil
	}
	left := time.Until(t).Seconds()
	if left < 0 {
		left = 0
	}
	n := uint32(left + 0.5)
	return &n
}

func (ifp *Interface) findAddr(addr netip.Addr) int {
	for i, a := range ifp.addrs {
		if a.prefix.Addr() == addr {
			return i
		}
	}
	return -1
}

func (ifp *Interface) hasLinkLocal() bool {
	for _, a := range ifp.addrs {
		if a.prefix.Addr().Is6() && a.prefix.Addr().IsLinkLocalUnicast() {
			return true
		}
	}
	return false
}

// ParseAddr parses an address argument: "A/len" or a bare "A" (a host
// prefix). It fails with EINVAL.
func ParseAddr(s string) (netip.Prefix, error) {
	if p, err := netip.ParsePrefix(s); err == nil {
		return p, nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return netip.Prefix{}, api.Errorf(syscall.EINVAL, fmt.Sprintf("address %q", s))
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// AddAddr adds an address to the interface (SIOCAIFADDR / SIOCAIFADDR_IN6).
// If req.Replace names an address of the interface, that one is removed in
// the same step, and put back if the new one cannot be added. Adding an
// address the interface already has updates it. Like NetBSD, the first
// address brings a down interface up.
func (k *Kernel) AddAddr(name string, req api.IfAddr) error {
	return k.withInterface(name, func(ifp *Interface) error {
		if ifp.br != nil {
			return errBridgeAddr(ifp.name)
		}
		if kd := kindOf(ifp); kd != nil && kd.addrOK != nil {
			if err := kd.addrOK(ifp); err != nil {
				return err
			}
		}
		// The first address brings the interface up; find out first whether it
		// can come up, so a failure leaves no address behind.
		if ifp.flags&api.IFF_UP == 0 && ifp.eth != nil && !ifp.eth.hasDevice() {
			return api.Errorf(syscall.ENXIO, ifp.name+" has no "+ifp.linkNoun())
		}
		var replaced *ifaddr
		if req.Replace != "" {
			old, err := ParseAddr(req.Replace)
			if err != nil {
				return err
			}
			if i := ifp.findAddr(old.Addr()); i >= 0 {
				replaced = ifp.addrs[i]
				k.removeAddrLocked(ifp, i)
			}
		}
		if err := k.addAddrLocked(ifp, req); err != nil {
			if replaced != nil {
				k.addAddrLocked(ifp, replaced.info())
			}
			return err
		}
		if ifp.flags&api.IFF_UP == 0 {
			if err := k.upLocked(ifp); err != nil {
				return err
			}
		}
		return nil
	})
}

// inet6Flags are the address flags a create request may carry for inet6.
const inet6Flags = api.IN6_IFF_ANYCAST | api.IN6_IFF_DEPRECATED | api.IN6_IFF_TENTATIVE | api.IN6_IFF_NODAD

// destFor parses the destination of an address on a point-to-point
// interface: one address of the address's family (EINVAL otherwise).
func destFor(ifp *Interface, p netip.Prefix, dest string) (netip.Addr, error) {
	if ifp.flags&api.IFF_POINTOPOINT == 0 {
		return netip.Addr{}, api.Errorf(syscall.EINVAL, ifp.name+" is not point-to-point")
	}
	d, err := netip.ParseAddr(dest)
	if err != nil || d.Is4() != p.Addr().Is4() {
		return netip.Addr{}, api.Errorf(syscall.EINVAL, "destination "+dest)
	}
	return d.WithZone(""), nil
}

// newAddr validates a create request and returns the address it describes.
func (k *Kernel) newAddr(ifp *Interface, req api.IfAddr) (*ifaddr, tcpip.NetworkProtocolNumber, error) {
	p, err := ParseAddr(req.Addr)
	if err != nil {
		return nil, 0, err
	}
	a := &ifaddr{prefix: p, preference: req.Preference}
	if req.Dest != "" {
		if a.dest, err = destFor(ifp, p, req.Dest); err != nil {
			return nil, 0, err
		}
	}
	if p.Addr().Is4() {
		if !k.comps.inet() {
			return nil, 0, api.Errorf(syscall.EAFNOSUPPORT, "inet")
		}
		if req.Flags != 0 || req.Pltime != nil || req.Vltime != nil {
			return nil, 0, api.Errorf(syscall.EINVAL, "inet addresses take no flags or lifetimes")
		}
		if a.broadcast, err = broadcastFor(ifp, p, req.Broadcast); err != nil {
			return nil, 0, err
		}
		return a, ipv4.ProtocolNumber, nil
	}
	if !k.comps.inet6() {
		return nil, 0, api.Errorf(syscall.EAFNOSUPPORT, "inet6")
	}
	if req.Broadcast != "" {
		return nil, 0, api.Errorf(syscall.EINVAL, "broadcast with inet6")
	}
	if req.Flags&^inet6Flags != 0 {
		return nil, 0, api.Errorf(syscall.EINVAL, fmt.Sprintf("address flags %#x", req.Flags))
	}
	a.static = req.Flags & api.IN6_IFF_ANYCAST
	if ifp.cloner == "lo" {
		// Only loopback addresses are marked NODAD: DAD is off there.
		a.static |= req.Flags & api.IN6_IFF_NODAD
	}
	a.deprecated.Store(req.Flags&api.IN6_IFF_DEPRECATED != 0)
	// As NetBSD: a preferred lifetime longer than the valid one (an
	// infinite one counts as longest) is EINVAL.
	if req.Vltime != nil && (req.Pltime == nil || *req.Pltime > *req.Vltime) {
		return nil, 0, api.Errorf(syscall.EINVAL, "pltime longer than vltime")
	}
	now := time.Now()
	if req.Vltime != nil {
		a.validUntil = now.Add(time.Duration(*req.Vltime) * time.Second)
	}
	if req.Pltime != nil {
		a.preferUntil = now.Add(time.Duration(*req.Pltime) * time.Second)
		if *req.Pltime == 0 {
			a.deprecated.Store(true)
		}
	}
	return a, ipv6.ProtocolNumber, nil
}

func (k *Kernel) addAddrLocked(ifp *Interface, req api.IfAddr) error {
	defer k.rtmNewAddrsLocked(ifp)()
	a, proto, err := k.newAddr(ifp, req)
	if err != nil {
		return err
	}
	if req.Vltime != nil && *req.Vltime == 0 {
		// A valid lifetime of 0 ends the address at once; for a new one
		// there is nothing to do (NetBSD's in6_update_ifa).
		if i := ifp.findAddr(a.prefix.Addr()); i >= 0 {
			k.removeAddrLocked(ifp, i)
			k.updateRoutesLocked()
		}
		return nil
	}
	pos := len(ifp.addrs)
	if i := ifp.findAddr(a.prefix.Addr()); i >= 0 {
		old := ifp.addrs[i]
		if old.prefix == a.prefix && old.static == a.static {
			// Same address, prefix and kind: change it in place, so DAD
			// does not start over.
			k.updateAddrLocked(ifp, old, a)
			return nil
		}
		// Otherwise the new one takes the old one's place in the list.
		k.removeAddrLocked(ifp, i)
		pos = i
	}
	running := ifp.flags&(api.IFF_UP|api.IFF_RUNNING) == api.IFF_UP|api.IFF_RUNNING
	if a.is4() && k.tun.inetDAD > 0 && ifp.eth != nil && running {
		// IPv4 DAD: the address stays out of the stack (it neither
		// answers ARP nor is used) until ARP probing finds it unused.
		ifp.addrs = append(ifp.addrs[:pos], append([]*ifaddr{a}, ifp.addrs[pos:]...)...)
		a.dad.Store(dadTentative)
		k.startInetDADLocked(ifp, a)
		k.armTimersLocked(ifp, a)
		return nil
	}
	a.fresh = !running
	if err := k.addToStackLocked(ifp, a, proto); err != nil {
		return err
	}
	ifp.addrs = append(ifp.addrs[:pos], append([]*ifaddr{a}, ifp.addrs[pos:]...)...)
	k.armTimersLocked(ifp, a)
	k.updateRoutesLocked()
	if running && a.is4() {
		// Without DAD an address is announced at once (NetBSD's
		// arp_ifinit); with it, once probing is done.
		k.announceLocked(ifp, a)
	}
	return nil
}

// addToStackLocked gives the address to gVisor.
func (k *Kernel) addToStackLocked(ifp *Interface, a *ifaddr, proto tcpip.NetworkProtocolNumber) error {
	addr := tcpip.AddrFromSlice(a.prefix.Addr().AsSlice())
	props := stack.AddressProperties{
		PEB:       stack.CanBePrimaryEndpoint,
		Disp:      a,
		Lifetimes: stack.AddressLifetimes{Deprecated: a.deprecated.Load()},
	}
	if a.preference > 0 {
		props.PEB = stack.FirstPrimaryEndpoint
	}
	anycast := a.static&api.IN6_IFF_ANYCAST != 0
	if anycast {
		// An anycast address is never a source and is not defended.
		props.PEB = stack.NeverPrimaryEndpoint
		k.setDADLocked(ifp, 0)
	}
	terr := k.stack.AddProtocolAddress(ifp.nic, tcpip.ProtocolAddress{
		Protocol:          proto,
		AddressWithPrefix: tcpip.AddressWithPrefix{Address: addr, PrefixLen: a.prefix.Bits()},
	}, props)
	k.invalidateLookups()
	if anycast {
		k.setDADLocked(ifp, k.dadTransmitsLocked(ifp))
	}
	if terr != nil {
		return api.Errorf(errnoOfTCPIP(terr), "add address: "+terr.String())
	}
	a.inStack = true
	return nil
}

// startInetDADLocked probes for an inet address with ARP
// (net.inet.ip.dad_count probes, a second apart) and adds it to the stack
// when nobody answers; if somebody does, it stays DUPLICATED.
func (k *Kernel) startInetDADLocked(ifp *Interface, a *ifaddr) {
	if ep, err := k.stack.GetNetworkEndpoint(ifp.nic, arp.ProtocolNumber); err == nil {
		if d, ok := ep.(interface {
			SetDADConfigurations(stack.DADConfigurations)
		}); ok {
			d.SetDADConfigurations(stack.DADConfigurations{DupAddrDetectTransmits: k.tun.inetDAD, RetransmitTimer: time.Second})
		}
	}
	addr := tcpip.AddrFromSlice(a.prefix.Addr().AsSlice())
	res, err := k.stack.CheckDuplicateAddress(ifp.nic, ipv4.ProtocolNumber, addr, func(r stack.DADResult) {
		// Called from the stack with its locks held: finish elsewhere.
		go k.inetDADDone(ifp, a, r)
	})
	if err != nil || res == stack.DADDisabled {
		go k.inetDADDone(ifp, a, &stack.DADSucceeded{})
	}
}

func (k *Kernel) inetDADDone(ifp *Interface, a *ifaddr, r stack.DADResult) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if i := ifp.findAddr(a.prefix.Addr()); i < 0 || ifp.addrs[i] != a || k.closed || a.inStack {
		return
	}
	switch r.(type) {
	case *stack.DADSucceeded:
		a.dad.Store(0)
		if k.addToStackLocked(ifp, a, ipv4.ProtocolNumber) == nil {
			k.updateRoutesLocked()
			k.announceLocked(ifp, a)
		}
	case *stack.DADDupAddrDetected:
		a.dad.Store(dadDuplicated)
	}
	// Aborted (the interface went down): it stays tentative and probing
	// starts again when the interface comes up.
}

// updateAddrLocked gives an existing address the attributes of a newer
// request for the same address.
func (k *Kernel) updateAddrLocked(ifp *Interface, old, a *ifaddr) {
	old.stopTimers()
	old.broadcast = a.broadcast
	old.preference = a.preference
	old.preferUntil, old.validUntil = a.preferUntil, a.validUntil
	old.deprecated.Store(a.deprecated.Load())
	k.stack.SetAddressLifetimes(ifp.nic, tcpip.AddrFromSlice(old.prefix.Addr().AsSlice()),
		stack.AddressLifetimes{Deprecated: old.deprecated.Load()})
	k.armTimersLocked(ifp, old)
}

// armTimersLocked starts the timers that deprecate an address when its
// preferred lifetime ends and remove it when its valid lifetime ends.
func (k *Kernel) armTimersLocked(ifp *Interface, a *ifaddr) {
	if !a.preferUntil.IsZero() && time.Until(a.preferUntil) > 0 {
		a.timers = append(a.timers, time.AfterFunc(time.Until(a.preferUntil), func() {
			k.mu.Lock()
			defer k.mu.Unlock()
			if ifp.findAddr(a.prefix.Addr()) < 0 || k.closed {
				return
			}
			a.deprecated.Store(true)
			k.stack.SetAddressLifetimes(ifp.nic, tcpip.AddrFromSlice(a.prefix.Addr().AsSlice()),
				stack.AddressLifetimes{Deprecated: true})
		}))
	}
	if !a.validUntil.IsZero() {
		a.timers = append(a.timers, time.AfterFunc(time.Until(a.validUntil), func() {
			k.mu.Lock()
			defer k.mu.Unlock()
			if i := ifp.findAddr(a.prefix.Addr()); i >= 0 && ifp.addrs[i] == a && !k.closed {
				k.removeAddrLocked(ifp, i)
				k.updateRoutesLocked()
			}
		}))
	}
}

// broadcastFor works out an inet address's broadcast address: the one asked
// for, or the all-ones host part, on interfaces that can broadcast.
func broadcastFor(ifp *Interface, p netip.Prefix, asked string) (netip.Addr, error) {
	if ifp.flags&api.IFF_BROADCAST == 0 {
		if asked != "" {
			return netip.Addr{}, api.Errorf(syscall.EINVAL, ifp.name+" cannot broadcast")
		}
		return netip.Addr{}, nil
	}
	if asked != "" {
		b, err := netip.ParseAddr(asked)
		if err != nil || !b.Is4() {
			return netip.Addr{}, api.Errorf(syscall.EINVAL, fmt.Sprintf("broadcast %q", asked))
		}
		return b, nil
	}
	if p.Bits() >= 31 {
		return netip.Addr{}, nil
	}
	b := p.Masked().Addr().As4()
	host := uint32(1)<<(32-p.Bits()) - 1
	for i := 0; i < 4; i++ {
		b[3-i] |= byte(host >> (8 * i))
	}
	return netip.AddrFrom4(b), nil
}

// DelAddr removes an address from the interface (SIOCDIFADDR). The argument
// may carry a prefix length, which is ignored. EADDRNOTAVAIL if the interface
// does not have it.
func (k *Kernel) DelAddr(name, addr string) error {
	p, err := ParseAddr(addr)
	if err != nil {
		return err
	}
	return k.withInterface(name, func(ifp *Interface) error {
		i := ifp.findAddr(p.Addr())
		if i < 0 {
			return api.Errorf(syscall.EADDRNOTAVAIL, fmt.Sprintf("%s on %s", p.Addr(), name))
		}
		k.removeAddrLocked(ifp, i)
		k.updateRoutesLocked()
		return nil
	})
}

func (k *Kernel) removeAddrLocked(ifp *Interface, i int) {
	a := ifp.addrs[i]
	k.rtmAddrLocked(api.RTM_DELADDR, ifp, a)
	a.stopTimers()
	// An address that failed DAD is already gone from the stack.
	k.stack.RemoveAddress(ifp.nic, tcpip.AddrFromSlice(a.prefix.Addr().AsSlice()))
	k.invalidateLookups()
	ifp.addrs = append(ifp.addrs[:i], ifp.addrs[i+1:]...)
}

func errnoOfTCPIP(e tcpip.Error) syscall.Errno {
	switch e.(type) {
	case *tcpip.ErrDuplicateAddress:
		return syscall.EEXIST
	case *tcpip.ErrUnknownNICID:
		return syscall.ENXIO
	case *tcpip.ErrNotSupported:
		return syscall.EOPNOTSUPP
	case *tcpip.ErrBadLocalAddress:
		return syscall.EADDRNOTAVAIL
	}
	return syscall.EINVAL
}
