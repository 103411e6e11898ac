package rump

// The registry of interface kinds that plug into the common interface
// code: vlan(4) and tap(4) today. A kind registers itself from its own
// file (registerKind in an init function) and its component in
// componentTable; the common code (Create, Destroy, up, SetMTU, AddAddr,
// infoLocked) asks the registry at the few points where a kind differs.
// lo, virt, shmif and bridge predate it and are still switched on by name
// in iface.go.
//
// A kind must not keep state outside its interfaces' softc and must not
// take Kernel.mu itself: every hook runs with it held.

import (
	"github.com/rumpnet/rumpnet/pkg/api"
	"gvisor.dev/gvisor/pkg/tcpip"
)

// ifKind is what one interface type adds to the common interface code.
// Only attach is required; a nil hook means the common behaviour.
type ifKind struct {
	// cloner is the name interfaces of the kind are made with ("vlan").
	cloner string
	// attach makes the new interface's link endpoint (ifp.ep, and ifp.eth
	// for an Ethernet kind), its flags and its softc, before its NIC
	// exists. An error leaves nothing behind.
	attach func(k *Kernel, ifp *Interface) error
	// detach releases what the interface holds, before its NIC goes.
	detach func(k *Kernel, ifp *Interface)
	// gone tells the kind that another interface, gone, is being
	// destroyed (a vlan's parent), before its NIC goes.
	gone func(k *Kernel, gone *Interface)
	// up, if set, brings the interface up instead of the common code
	// when it reports handled.
	up func(k *Kernel, ifp *Interface) (handled bool, err error)
	// mtuRange is the MTUs the interface takes now; an error refuses any.
	mtuRange func(ifp *Interface) (lo, hi int, err error)
	// addrOK refuses an address on the interface with an error.
	addrOK func(ifp *Interface) error
	// info adds the kind's own fields to what the interface reports.
	info func(ifp *Interface, info *api.Interface)
	// promisc is called when the interface's promiscuous mode may have
	// changed (it joined or left a bridge).
	promisc func(k *Kernel, ifp *Interface)
}

// kinds are the registered interface kinds by cloner name. It is written
// only by init functions.
var kinds = map[string]*ifKind{}

// registerKind adds an interface kind; each cloner once.
func registerKind(kd *ifKind) {
	if kinds[kd.cloner] != nil || kd.attach == nil {
		panic("rump: bad interface kind " + kd.cloner)
	}
	kinds[kd.cloner] = kd
}

// kindOf returns the registered kind of the interface, nil for the base
// kinds (lo, virt, shmif, bridge).
func kindOf(ifp *Interface) *ifKind { return kinds[ifp.cloner] }

// newEthLocked gives ifp an Ethernet endpoint wired to the kernel as
// virt's and shmif's are: link state messages, forwarding and redirects.
func (k *Kernel) newEthLocked(ifp *Interface, mac tcpip.LinkAddress, mtu uint32) *ethEndpoint {
	e := newEthEndpoint(mac, mtu)
	e.onLink = func() { go k.rtmCarrier(ifp) }
	e.forwards = k.forwardsInet
	e.forwardHook = func(p []byte, inet6 bool) { k.forwarded(ifp, p, inet6) }
	e.routing = k.routing
	ifp.eth = e
	ifp.ep = e
	return e
}

// kindGoneLocked tells every kind that ifp is being destroyed, and ifp's
// own kind to let go of what it holds.
func (k *Kernel) kindGoneLocked(ifp *Interface) {
	for _, kd := range kinds {
		if kd.gone != nil {
			kd.gone(k, ifp)
		}
	}
	if kd := kindOf(ifp); kd != nil && kd.detach != nil {
		kd.detach(k, ifp)
	}
}

// kindPromiscLocked tells every kind that ifp's promiscuous mode may have
// changed.
func (k *Kernel) kindPromiscLocked(ifp *Interface) {
	for _, kd := range kinds {
		if kd.promisc != nil {
			kd.promisc(k, ifp)
		}
	}
}

// setMTULocked sets the interface's MTU, turning IPv6 off below 1280
// and on again above it (inet6mtu.go).
func (k *Kernel) setMTULocked(ifp *Interface, mtu int) error {
	was, now := inet6Capable(ifp.ep.MTU()), inet6Capable(uint32(mtu))
	if was && !now {
		k.inet6OffLocked(ifp)
	}
	if terr := k.stack.SetNICMTU(ifp.nic, uint32(mtu)); terr != nil {
		return api.Errorf(errnoOfTCPIP(terr), "set mtu: "+terr.String())
	}
	if !was && now {
		k.inet6OnLocked(ifp)
	}
	return nil
}
