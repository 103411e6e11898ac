package rump

// Proxy ARP: published entries (arp -s IP MAC pub), and the destinations
// of inet host routes added with -proxy (RTF_ANNOUNCE), answered with the
// route's interface's own link address. gVisor answers ARP
// requests only for the addresses it has, so the kernel answers for the
// published ones itself: the receive path of the interface an entry is on
// looks each ARP request up in that interface's table and writes the
// reply. The table is an immutable map behind an atomic pointer, replaced
// under Kernel.mu when an entry is added or removed, so the frame path
// never takes the kernel lock. The request still goes on to the stack,
// which ignores it (its target is not one of the stack's addresses).

import (
	"net/netip"
	"syscall"

	"github.com/rumpnet/rumpnet/pkg/api"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/header"
)

// proxyTable maps a published inet address to the link address answered
// for it.
type proxyTable map[[4]byte]tcpip.LinkAddress

// answerProxyARP answers an ARP request in frame (Ethernet header
// included) whose target is published on this interface.
func (e *ethEndpoint) answerProxyARP(frame []byte) {
	t := e.proxy.Load()
	if t == nil {
		return
	}
	if reply := proxyReply(frame, *t, e.LinkAddress()); reply != nil {
		e.writeFrame(reply)
	}
}

// proxyReply returns the reply to an ARP request in frame whose target t
// publishes, sent from self and giving the published link address; nil
// for any other frame (not a request, not published, a gratuitous ARP).
func proxyReply(frame []byte, t proxyTable, self tcpip.LinkAddress) []byte {
	if len(frame) < header.EthernetMinimumSize+header.ARPSize {
		return nil
	}
	req := header.ARP(frame[header.EthernetMinimumSize:])
	if !req.IsValid() || req.Op() != header.ARPRequest {
		return nil
	}
	target := [4]byte(req.ProtocolAddressTarget())
	mac, ok := t[target]
	if !ok || [4]byte(req.ProtocolAddressSender()) == target {
		return nil
	}
	asker := tcpip.LinkAddress(req.HardwareAddressSender())
	reply := make([]byte, header.EthernetMinimumSize+header.ARPSize)
	header.Ethernet(reply).Encode(&header.EthernetFields{
		SrcAddr: self,
		DstAddr: asker,
		Type:    header.ARPProtocolNumber,
	})
	r := header.ARP(reply[header.EthernetMinimumSize:])
	r.SetIPv4OverEthernet()
	r.SetOp(header.ARPReply)
	copy(r.HardwareAddressSender(), mac)
	copy(r.ProtocolAddressSender(), target[:])
	copy(r.HardwareAddressTarget(), asker)
	copy(r.ProtocolAddressTarget(), req.ProtocolAddressSender())
	return reply
}

// publishLocked adds or replaces a published entry on the interface.
func (k *Kernel) publishLocked(ifp *Interface, addr tcpip.Address, mac tcpip.LinkAddress) error {
	if ifp.eth == nil || addr.Len() != 4 {
		return api.Errorf(syscall.EOPNOTSUPP, ifp.name+" cannot publish")
	}
	if k.published == nil {
		k.published = map[neighborKey]tcpip.LinkAddress{}
	}
	k.published[neighborKey{ifp.nic, addr}] = mac
	k.syncProxyLocked(ifp)
	return nil
}

// unpublishLocked removes the interface's published entry for addr, if
// any, and reports whether there was one.
func (k *Kernel) unpublishLocked(ifp *Interface, addr tcpip.Address) bool {
	key := neighborKey{ifp.nic, addr}
	if _, ok := k.published[key]; !ok {
		return false
	}
	delete(k.published, key)
	k.syncProxyLocked(ifp)
	return true
}

// syncProxyLocked gives the interface's receive path a new table.
func (k *Kernel) syncProxyLocked(ifp *Interface) {
	if ifp.eth == nil {
		return
	}
	t := proxyTable{}
	for _, r := range k.routes {
		if r.ifp == ifp && r.flags&(api.RTF_ANNOUNCE|api.RTF_HOST) == api.RTF_ANNOUNCE|api.RTF_HOST &&
			r.dest.Addr().Is4() {
			t[r.dest.Addr().As4()] = ifp.eth.LinkAddress()
		}
	}
	for key, mac := range k.published {
		if key.nic == ifp.nic {
			t[key.addr.As4()] = mac
		}
	}
	if len(t) == 0 {
		ifp.eth.proxy.Store(nil)
		return
	}
	ifp.eth.proxy.Store(&t)
}

// publishedLocked lists the interface's published entries as arp shows
// them.
func (k *Kernel) publishedLocked(ifp *Interface) []api.Neighbor {
	var out []api.Neighbor
	for key, mac := range k.published {
		if key.nic != ifp.nic {
			continue
		}
		a, _ := netip.AddrFromSlice(key.addr.AsSlice())
		out = append(out, api.Neighbor{Addr: a.String(), LinkAddr: macString(mac), Interface: ifp.name,
			Index: int(ifp.nic), State: api.NeighborStatic, Permanent: true, Published: true})
	}
	return out
}
