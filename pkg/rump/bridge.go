package rump

// bridge(4) in the kernel: a bridgeN interface owns a bridge.Bridge (the
// forwarding engine) and its members are virt and shmif interfaces.
//
// Data flow for a member: frames from its wire go, counted, to the bridge
// instead of its own stack; the bridge gives them back through the port's
// Deliver (the member's stack) and Send (another member's wire). Frames
// the member's stack sends go to Bridge.Output, which chooses the wires.
// The member's side of this, and its goroutine, are in bridgemember.go;
// this file adds and removes members and answers brconfig.
//
// Counters: a member counts the frames of its wire, in and out, as any
// interface does. The bridge interface counts, as NetBSD's bridge(4), the
// frames it takes in to forward (input) and every frame it sends out of a
// member, forwarded or from a member's own stack (output); frames it
// delivers to a member's stack are not counted on it.
//
// A bridge interface has a gVisor NIC only so that the interface registry
// treats every interface alike; it is never enabled and carries no
// addresses (addresses belong on the members, as on NetBSD).

import (
	"syscall"

	"github.com/rumpnet/rumpnet/pkg/api"
	"github.com/rumpnet/rumpnet/pkg/bridge"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/header"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
)

// BridgeStatus returns what rbrconfig prints for the bridge called name.
func (k *Kernel) BridgeStatus(name string) (api.BridgeStatus, error) {
	var st api.BridgeStatus
	err := k.withInterface(name, func(ifp *Interface) error {
		if ifp.br == nil {
			return api.Errorf(syscall.EINVAL, name+" is not a bridge")
		}
		st = ifp.br.Status()
		st.Name, st.Flags = ifp.name, ifp.flags
		return nil
	})
	return st, err
}

// Bridge applies one brconfig change to the bridge called name.
func (k *Kernel) Bridge(name string, req api.BridgeRequest) error {
	return k.withInterface(name, func(ifp *Interface) error {
		if ifp.br == nil {
			return api.Errorf(syscall.EINVAL, name+" is not a bridge")
		}
		switch req.Op {
		case api.BridgeAdd:
			return k.bridgeAddLocked(ifp, req.Member)
		case api.BridgeDelete:
			m, err := k.lookupLocked(req.Member)
			if err != nil || m.bridgeOf != ifp {
				return api.Errorf(syscall.ENOENT, req.Member+" is not a member of "+ifp.name)
			}
			k.bridgeDeleteLocked(ifp, m)
			return nil
		}
		return ifp.br.Do(req)
	})
}

func (k *Kernel) bridgeAddLocked(br *Interface, name string) error {
	m, err := k.lookupLocked(name)
	if err != nil {
		return api.Errorf(syscall.ENOENT, "no interface "+name)
	}
	switch {
	case m.eth == nil:
		return api.Errorf(syscall.EINVAL, name+" is not an Ethernet interface")
	case m.bridgeOf == br:
		return api.Errorf(syscall.EEXIST, name+" is already a member of "+br.name)
	case m.bridgeOf != nil:
		return api.Errorf(syscall.EBUSY, name+" is a member of "+m.bridgeOf.name)
	}
	eth := m.eth
	err = br.br.AddPort(bridge.Port{
		Name:        m.name,
		Index:       int(m.nic),
		MTU:         int(eth.MTU()),
		AnyMTU:      m.cloner == "l2tp",
		MAC:         []byte(eth.LinkAddress()),
		Send:        eth.sendWire,
		Deliver:     eth.deliverLocal,
		SendMeta:    eth.sendWireMeta,
		DeliverMeta: eth.deliverLocalMeta,
	})
	if err != nil {
		return err
	}
	if m.flags&api.IFF_UP == 0 {
		br.br.SetPortLink(m.name, false)
	}
	m.bridgeOf = br
	m.promiscByBridge = m.flags&api.IFF_PROMISC == 0
	m.flags |= api.IFF_PROMISC
	eth.promisc.Store(true)
	eth.bridge.Store(newBridgeHook(br.br, m.name, br.ep.counters()))
	k.kindPromiscLocked(m)
	return nil
}

// bridgeDeleteLocked takes m out of its bridge br.
func (k *Kernel) bridgeDeleteLocked(br, m *Interface) {
	if h := m.eth.bridge.Swap(nil); h != nil {
		h.stop()
	}
	br.br.DeletePort(m.name)
	if m.promiscByBridge {
		m.flags &^= api.IFF_PROMISC
		m.eth.promisc.Store(false)
	}
	m.bridgeOf, m.promiscByBridge = nil, false
	k.kindPromiscLocked(m)
}

// destroyBridgeLocked releases every member of the bridge interface ifp
// and stops its engine.
func (k *Kernel) destroyBridgeLocked(ifp *Interface) {
	for _, m := range k.ifaces {
		if m.bridgeOf == ifp {
			k.bridgeDeleteLocked(ifp, m)
		}
	}
	ifp.br.Close()
}

// bridgeEndpoint is the never-enabled NIC of a bridge interface.
type bridgeEndpoint struct {
	stats counters
	br    *bridge.Bridge
}

var _ linkEndpoint = (*bridgeEndpoint)(nil) // a stack.LinkEndpoint with counters

func (e *bridgeEndpoint) counters() *counters { return &e.stats }

// countForward counts a frame the bridge takes in to forward as the bridge
// interface's input, as NetBSD's bridge_forward does; what it sends out of
// the members is counted as its output (countBridged).
func (e *bridgeEndpoint) countForward(frame []byte) {
	e.stats.countIn(len(frame), frame[0]&1 != 0)
}

// Attach implements stack.LinkEndpoint.
func (*bridgeEndpoint) Attach(stack.NetworkDispatcher) {}

// IsAttached implements stack.LinkEndpoint.
func (*bridgeEndpoint) IsAttached() bool { return true }

// MTU implements stack.LinkEndpoint: the bridge's MTU.
func (e *bridgeEndpoint) MTU() uint32 { return uint32(e.br.MTU()) }

// SetMTU implements stack.LinkEndpoint: it sets the MTU a member must have
// to join (Kernel.SetMTU has checked the range).
func (e *bridgeEndpoint) SetMTU(mtu uint32) { _ = e.br.SetMTU(int(mtu)) }

// Capabilities implements stack.LinkEndpoint.
func (*bridgeEndpoint) Capabilities() stack.LinkEndpointCapabilities { return 0 }

// MaxHeaderLength implements stack.LinkEndpoint.
func (*bridgeEndpoint) MaxHeaderLength() uint16 { return header.EthernetMinimumSize }

// LinkAddress implements stack.LinkEndpoint: a bridge has no address.
func (*bridgeEndpoint) LinkAddress() tcpip.LinkAddress { return "" }

// SetLinkAddress implements stack.LinkEndpoint.
func (*bridgeEndpoint) SetLinkAddress(tcpip.LinkAddress) {}

// Wait implements stack.LinkEndpoint.
func (*bridgeEndpoint) Wait() {}

// WritePackets implements stack.LinkEndpoint; nothing is sent from a bridge
// interface itself.
func (*bridgeEndpoint) WritePackets(stack.PacketBufferList) (int, tcpip.Error) {
	return 0, &tcpip.ErrClosedForSend{}
}

// ARPHardwareType implements stack.LinkEndpoint.
func (*bridgeEndpoint) ARPHardwareType() header.ARPHardwareType { return header.ARPHardwareEther }

// AddHeader implements stack.LinkEndpoint.
func (*bridgeEndpoint) AddHeader(*stack.PacketBuffer) {}

// ParseHeader implements stack.LinkEndpoint.
func (*bridgeEndpoint) ParseHeader(*stack.PacketBuffer) bool { return true }

// Close implements stack.LinkEndpoint.
func (*bridgeEndpoint) Close() {}

// SetOnCloseAction implements stack.LinkEndpoint.
func (*bridgeEndpoint) SetOnCloseAction(func()) {}

// errBridgeAddr refuses an address on a bridge interface.
func errBridgeAddr(name string) error {
	return api.Explainf(syscall.EINVAL, "%s: a bridge carries no addresses; configure them on a member", name)
}
