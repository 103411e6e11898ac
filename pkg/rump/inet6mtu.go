package rump

// IPv6 and small MTUs. IPv6 needs a link MTU of 1280 or more (RFC 8200);
// NetBSD's in6_ifattach leaves IPv6 off on an interface with a smaller MTU
// ("has too small MTU, IPv6 not enabled"), and never refuses the MTU itself.
// rumpnet goes one step further and keeps IPv6 off for as long as the MTU is
// small, also when it is lowered after up: gVisor's IPv6 cannot work on such
// a link (its MTU for IPv6 is 0) and its MLDv2 report builder loops forever
// there, which would wedge the kernel, since MTU and flag changes run under
// Kernel.mu.
//
// While an interface's MTU is below 1280 its IPv6 endpoint is disabled: no
// link-local address is attached on up, no DAD, NDP or MLD runs, and IPv6
// frames it receives are dropped. Addresses given to it stay configured but
// carry nothing. Its MLD is version 1 (as every interface's, grouproto.go),
// whose reports are one group each and cannot loop, so that nothing can
// reach the v2 builder even if the endpoint were enabled. Raising the MTU to 1280 or more enables
// IPv6 again at once (addresses already there start DAD); as in NetBSD, the
// link-local address is attached at the next up, not by the MTU change.

import (
	"syscall"

	"github.com/rumpnet/rumpnet/pkg/api"
	"gvisor.dev/gvisor/pkg/tcpip/header"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv6"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
)

// minInet6MTU is the smallest link MTU that carries IPv6.
const minInet6MTU = header.IPv6MinimumMTU

// inet6Capable reports whether an interface with the given MTU carries IPv6.
func inet6Capable(mtu uint32) bool { return mtu >= minInet6MTU }

// inet6EndpointLocked returns the interface's IPv6 endpoint, nil for a
// bridge or a kernel without IPv6.
func (k *Kernel) inet6EndpointLocked(ifp *Interface) stack.NetworkEndpoint {
	if ifp.br != nil || !k.comps.inet6() {
		return nil
	}
	ep, err := k.stack.GetNetworkEndpoint(ifp.nic, ipv6.ProtocolNumber)
	if err != nil {
		return nil
	}
	return ep
}

// inet6OffLocked disables IPv6 on the interface, for an MTU below 1280.
// Disabling with the MTU still large lets the endpoint say goodbye (MLD
// done messages) the ordinary way, so the caller lowers the MTU after.
func (k *Kernel) inet6OffLocked(ifp *Interface) {
	ep := k.inet6EndpointLocked(ifp)
	if ep == nil {
		return
	}
	ep.Disable()
	setMLDVersion(ep, ipv6.MLDVersion1)
}

// inet6OnLocked enables IPv6 on the interface again once its MTU is 1280
// or more; the caller raises the MTU first. While the interface is down
// the endpoint is enabled with it by the next up.
func (k *Kernel) inet6OnLocked(ifp *Interface) {
	ep := k.inet6EndpointLocked(ifp)
	if ep == nil {
		return
	}
	if ifp.flags&api.IFF_UP != 0 {
		ep.Enable() // fails only if the NIC is disabled: it is not
	}
}

func setMLDVersion(ep stack.NetworkEndpoint, v ipv6.MLDVersion) {
	if m, ok := ep.(ipv6.MLDEndpoint); ok {
		m.SetMLDVersion(v)
	}
}

// enableNICLocked enables the interface's NIC in the stack, as up does,
// leaving IPv6 off if the MTU is below 1280. The stack enables every
// protocol of a NIC at once, so on a small MTU the device is kept from
// sending (not running) until IPv6 is disabled again: the IPv6 endpoint's
// brief start then puts no DAD probe or MLD report on the wire.
func (k *Kernel) enableNICLocked(ifp *Interface) error {
	inet6 := inet6Capable(ifp.ep.MTU())
	if ifp.eth != nil && inet6 {
		// Running before enabled: enabling starts IPv6 DAD, whose first
		// probe goes out from another goroutine at once, and gVisor
		// leaves an address whose probe could not be sent tentative for
		// good.
		ifp.eth.running.Store(true)
	}
	if !inet6 {
		if ep := k.inet6EndpointLocked(ifp); ep != nil {
			setMLDVersion(ep, ipv6.MLDVersion1)
		}
	}
	if terr := k.stack.EnableNIC(ifp.nic); terr != nil {
		if ifp.eth != nil {
			ifp.eth.running.Store(false)
		}
		return api.Errorf(syscall.EIO, "enable: "+terr.String())
	}
	if !inet6 {
		if ep := k.inet6EndpointLocked(ifp); ep != nil {
			ep.Disable()
		}
		if ifp.eth != nil {
			ifp.eth.running.Store(true)
		}
	}
	return nil
}
