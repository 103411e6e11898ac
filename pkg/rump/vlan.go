package rump

// vlan(4): an Ethernet interface on a parent Ethernet interface (virt,
// shmif, tap) whose frames carry an 802.1Q tag on the parent's wire. Data
// flow:
//
//	vlan stack ─► vlan ethEndpoint ─► vlanPort.Writev ─► tag ─► parent.sendTagged ─► parent's device
//	parent's device ─► parent deliver ─► deliverStack ─► vlanInput ─► untag ─► vlanPort ─► vlan receive loop
//
// Offloads (vlanport.go): the vlanPort is a device with a virtio-net
// header, as a tap is, so the vlan's stack hands it TCP super-frames with
// partial checksums, and a frame's header travels with it both ways. On
// a parent that takes the header (virt, a shmif bus with offloads) a
// super-frame goes out tagged and whole, its header's offsets moved by
// the tag, and a tagged super-frame from the parent comes up whole; on
// any other parent it is cut into segments before it is tagged.
//
// The vlan is an ordinary ethEndpoint whose device is a vlanPort, so its
// filter, counters, captures and bridge membership are the common ones.
// The parent's receive path has one hook, in deliverStack (linkrecv.go):
// a tagged frame for the parent goes to vlanInput, which hands it to the
// vlan of its tag or drops it. A tagged frame reaches deliverStack as any
// frame for the parent's stack does, also when the parent is a bridge
// member, so a vlan on a bridge member sees the frames addressed to it.
// Sent frames go to the parent's wire directly, past a bridge the parent
// is in, as NetBSD's vlan_start hands them to the parent's driver.
//
// Locking: the configuration (softc, the parent's trunk) changes under
// Kernel.mu; the frame paths read the parent's trunk, an immutable map
// replaced whole, from an atomic pointer.
//
// Ownership: a frame handed to a vlanPort is the port's: a copy, or the
// parent's chunks it took over (vlanport.go).

import (
	"fmt"
	"syscall"

	"github.com/rumpnet/rumpnet/pkg/api"
)

func init() {
	registerKind(&ifKind{
		cloner:   "vlan",
		attach:   vlanAttach,
		detach:   func(k *Kernel, ifp *Interface) { k.vlanDetachLocked(ifp) },
		gone:     vlanParentGone,
		up:       vlanUp,
		mtuRange: vlanMTURange,
		addrOK:   vlanAddrOK,
		info:     vlanInfo,
		promisc:  vlanPromisc,
	})
}

// vlanSoftc is a vlan interface's configuration.
type vlanSoftc struct {
	parent *Interface // nil while unconfigured
	vid    uint16
	// fudge is what the tag takes from the parent's MTU: vlanEncapLen,
	// or 0 on a parent that carries frames that much longer (tap).
	fudge int
	port  *vlanPort
}

// vlanTrunk is the vlans configured on one parent, by VLAN identifier.
// It is never changed once published: a change publishes a new one.
type vlanTrunk map[uint16]*vlanPort

// etherMin is the smallest Ethernet MTU (NetBSD's ETHERMIN).
const etherMin = 46

// setTrunkLocked publishes the parent's vlans after f changed a copy.
func setTrunkLocked(parent *ethEndpoint, f func(vlanTrunk)) {
	t := vlanTrunk{}
	if old := parent.trunk.Load(); old != nil {
		for vid, p := range *old {
			t[vid] = p
		}
	}
	f(t)
	if len(t) == 0 {
		parent.trunk.Store(nil)
		return
	}
	parent.trunk.Store(&t)
}

func vlanAttach(k *Kernel, ifp *Interface) error {
	// Unconfigured: no address, MTU 0 and no flags, as NetBSD shows it.
	k.newEthLocked(ifp, "", 0)
	ifp.sc = &vlanSoftc{}
	return nil
}

// SetVlan configures the vlan interface name with VLAN identifier vid on
// parent, or unconfigures it if parent is "" (SIOCSETVLAN). Errors, as
// NetBSD's: EINVAL for an identifier outside 1..4094, ENOENT for no such
// parent, EBUSY if the vlan is configured already, EPROTONOSUPPORT for a
// parent that is not Ethernet, EEXIST if the parent has a vlan with that
// identifier; ENOTTY if name is not a vlan. A failure changes nothing.
func (k *Kernel) SetVlan(name string, vid int, parent string) error {
	return k.withInterface(name, func(ifp *Interface) error {
		sc, ok := ifp.sc.(*vlanSoftc)
		if !ok {
			return api.Errorf(syscall.ENOTTY, name+" is not a vlan")
		}
		if parent == "" {
			k.vlanUnconfigLocked(ifp)
			return nil
		}
		if !validVID(vid) {
			return api.Errorf(syscall.EINVAL, fmt.Sprintf("vlan %d not in 1..4094", vid))
		}
		p, err := k.lookupLocked(parent)
		if err != nil {
			return api.Errorf(syscall.ENOENT, "no interface "+parent)
		}
		if sc.parent != nil {
			return api.Errorf(syscall.EBUSY, name+" is configured on "+sc.parent.name)
		}
		if _, isVlan := p.sc.(*vlanSoftc); p.eth == nil || isVlan {
			return api.Errorf(syscall.EPROTONOSUPPORT, parent+" is not an Ethernet interface")
		}
		if t := p.eth.trunk.Load(); t != nil && (*t)[uint16(vid)] != nil {
			return api.Errorf(syscall.EEXIST, fmt.Sprintf("%s has vlan %d", parent, vid))
		}
		return k.vlanConfigLocked(ifp, sc, p, uint16(vid))
	})
}

func (k *Kernel) vlanConfigLocked(ifp *Interface, sc *vlanSoftc, p *Interface, vid uint16) error {
	sc.fudge = vlanEncapLen
	if vlanMTUCapable(p) {
		sc.fudge = 0
	}
	if err := k.setMTULocked(ifp, int(p.ep.MTU())-sc.fudge); err != nil {
		return err
	}
	sc.parent, sc.vid = p, vid
	sc.port = newVlanPort(p.eth, vid, ifp.eth.counters())
	k.stack.SetNICAddress(ifp.nic, p.eth.LinkAddress())
	ifp.eth.SetDevice(sc.port)
	setTrunkLocked(p.eth, func(t vlanTrunk) { t[vid] = sc.port })
	ifp.flags |= p.flags & (api.IFF_BROADCAST | api.IFF_SIMPLEX | api.IFF_MULTICAST)
	k.vlanPromiscSyncLocked(p)
	if ifp.flags&api.IFF_UP != 0 {
		// Up before it had a parent: now it runs.
		ifp.flags &^= api.IFF_UP
		return k.upLocked(ifp)
	}
	return nil
}

// vlanMTUCapable reports whether the parent carries frames a tag longer
// than its MTU (NetBSD's ETHERCAP_VLAN_MTU): tap does; virt and shmif,
// like NetBSD's, do not.
func vlanMTUCapable(p *Interface) bool { return p.cloner == "tap" }

// vlanUnconfigLocked takes the vlan off its parent, as NetBSD's
// vlan_unconfig: it goes down, loses its inet6 addresses (its link-local
// one came from the parent's address) and its MTU, address and flags.
func (k *Kernel) vlanUnconfigLocked(ifp *Interface) {
	sc, ok := ifp.sc.(*vlanSoftc)
	if !ok || sc.parent == nil {
		return
	}
	if ifp.flags&api.IFF_UP != 0 {
		k.downLocked(ifp)
		k.rtmIfinfoLocked(ifp, ifp.flags|api.IFF_UP)
	}
	k.vlanDetachLocked(ifp)
	for i := len(ifp.addrs) - 1; i >= 0; i-- {
		if !ifp.addrs[i].is4() {
			k.removeAddrLocked(ifp, i)
		}
	}
	k.updateRoutesLocked()
	k.setMTULocked(ifp, 0)
	k.stack.SetNICAddress(ifp.nic, "")
	ifp.flags &^= api.IFF_BROADCAST | api.IFF_SIMPLEX | api.IFF_MULTICAST
}

// vlanDetachLocked lets go of the parent: its trunk entry and the port.
// Destroy does only this; the interface's addresses go with it.
func (k *Kernel) vlanDetachLocked(ifp *Interface) {
	sc := ifp.sc.(*vlanSoftc)
	p := sc.parent
	if p == nil {
		return
	}
	setTrunkLocked(p.eth, func(t vlanTrunk) { delete(t, sc.vid) })
	ifp.eth.SetDevice(nil)
	sc.parent, sc.vid, sc.port = nil, 0, nil
	k.vlanPromiscSyncLocked(p)
}

// vlanParentGone unconfigures the vlans of an interface being destroyed.
func vlanParentGone(k *Kernel, gone *Interface) {
	for _, ifp := range k.ifaces {
		if sc, ok := ifp.sc.(*vlanSoftc); ok && sc.parent == gone {
			k.vlanUnconfigLocked(ifp)
		}
	}
}

// vlanUp brings an unconfigured vlan up without running, as NetBSD
// does; a configured one comes up the common way.
func vlanUp(k *Kernel, ifp *Interface) (bool, error) {
	if ifp.sc.(*vlanSoftc).parent != nil {
		return false, nil
	}
	ifp.flags |= api.IFF_UP
	return true, nil
}

// vlanMTURange is NetBSD's: 46 to the parent's MTU, less the tag on a
// parent that does not carry longer frames; none while unconfigured.
func vlanMTURange(ifp *Interface) (int, int, error) {
	sc := ifp.sc.(*vlanSoftc)
	if sc.parent == nil {
		return 0, 0, api.Errorf(syscall.EINVAL, ifp.name+" has no parent")
	}
	return etherMin - sc.fudge, int(sc.parent.ep.MTU()) - sc.fudge, nil
}

func vlanAddrOK(ifp *Interface) error {
	if ifp.sc.(*vlanSoftc).parent == nil {
		return api.Errorf(syscall.EINVAL, ifp.name+" has no parent")
	}
	return nil
}

func vlanInfo(ifp *Interface, info *api.Interface) {
	sc := ifp.sc.(*vlanSoftc)
	v := &api.Vlan{}
	if sc.parent != nil {
		// Its media and link state are its parent's, as NetBSD's vlan
		// asks the parent.
		v.Tag, v.Parent = int(sc.vid), sc.parent.name
		info.LinkState, info.Media = sc.parent.linkState(), sc.parent.media()
	} else {
		info.Address, info.LinkState = "", api.LinkStateUnknown
	}
	info.Vlan = v
}

// vlanPromisc makes a vlan's parent promiscuous while the vlan is (it
// is a bridge member), as NetBSD's vlan_setflags does.
func vlanPromisc(k *Kernel, ifp *Interface) {
	if sc, ok := ifp.sc.(*vlanSoftc); ok && sc.parent != nil {
		k.vlanPromiscSyncLocked(sc.parent)
		return
	}
	if ifp.eth != nil && ifp.eth.trunk.Load() != nil {
		k.vlanPromiscSyncLocked(ifp)
	}
}

// vlanPromiscSyncLocked makes the parent promiscuous, its receive filter
// and its PROMISC flag, while it is a bridge member or one of its vlans is
// promiscuous, and not otherwise: NetBSD's ifpromisc counts the two
// holders, and nothing else sets the flag here.
func (k *Kernel) vlanPromiscSyncLocked(p *Interface) {
	on := p.bridgeOf != nil
	for _, v := range k.ifaces {
		if sc, ok := v.sc.(*vlanSoftc); ok && sc.parent == p && v.flags&api.IFF_PROMISC != 0 {
			on = true
		}
	}
	if on {
		p.flags |= api.IFF_PROMISC
	} else {
		p.flags &^= api.IFF_PROMISC
	}
	p.eth.promisc.Store(on)
}
