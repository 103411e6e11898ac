package rump

// shmif(4): an Ethernet interface on a bus file shared with other rump
// kernels (package shmif). The interface is the same Ethernet endpoint as
// virt's, with a bus port as its frame device instead of a host tap, so
// filtering, counters and the RUNNING gate behave identically.

import (
	"crypto/rand"
	"fmt"
	"syscall"

	"github.com/rumpnet/rumpnet/pkg/api"
	"github.com/rumpnet/rumpnet/pkg/shmif"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/header"
)

var (
	_ FrameDevice = (*shmif.Port)(nil)
	_ vnetDevice  = shmif.OffloadPort{}
)

// busDevice is the frame device an interface gets for a bus port; tests
// replace it to hold a kernel's reader back. Where the bus carries
// offloaded frames it is the port's offloading view: to the interface it
// is then a device with a virtio-net header, like a tap, and the kernels
// on the bus pass TCP super-frames with partial checksums between them
// (vnet.go).
var busDevice = func(p *shmif.Port) FrameDevice {
	if o, ok := p.Offload(); ok {
		return o
	}
	return p
}

// shmifMAC returns shmif(4)'s address: b2:a0 and four random bytes.
func shmifMAC() tcpip.LinkAddress {
	mac := []byte{0xb2, 0xa0, 0, 0, 0, 0}
	rand.Read(mac[2:])
	return tcpip.LinkAddress(mac)
}

// setBusLocked attaches ifp to the bus file at path, or detaches it for
// "". Attaching while attached is EBUSY, as NetBSD's shmif: detach first.
// A relative path is relative to the server's working directory.
func (k *Kernel) setBusLocked(ifp *Interface, path string) error {
	if path == "" {
		ifp.eth.SetDevice(nil)
		ifp.busPath, ifp.linkstr = "", ""
		return nil
	}
	if ifp.busPath != "" {
		return api.Errorf(syscall.EBUSY, ifp.name+" is attached to "+ifp.busPath)
	}
	port, err := shmif.AttachSize(path, k.tun.busSize)
	if err != nil {
		return err
	}
	// Frames the ring overwrote before this kernel read them are input
	// drops, as an input queue's overflow is on a NIC.
	c := ifp.ep.counters()
	port.OnLost(func(n uint64) { c.iqdrops.Add(n) })
	inGroup := k.groupMember(ifp.nic)
	port.SetFilter(func(f []byte) bool { return ifp.eth.wantsBusFrame(f, inGroup) })
	port.SetWakeAddr(ifp.eth.busWakeAddr)
	ifp.eth.SetDevice(busDevice(port))
	ifp.busPath, ifp.linkstr = path, path
	return nil
}

// wantsBusFrame reports whether the receive filter (deliver) could take a
// frame from the bus that begins with f (its headers), and the stack then
// keep it, so that the bus copies only those: frames to the interface's
// address, broadcasts, IP multicast to a group the interface is in
// (inGroup; the stack drops the rest, as a NIC's multicast filter would
// keep them out) and other multicast; every frame while it is promiscuous,
// a bridge member or captured. A frame too short for a header goes up, to
// be counted as an input error.
//
// Most frames on a bus of many kernels are the members' MLD reports and
// neighbour solicitations for each other's addresses: without the group
// test every kernel would make a packet of each.
func (e *ethEndpoint) wantsBusFrame(f []byte, inGroup func(tcpip.Address) bool) bool {
	if len(f) < header.EthernetMinimumSize || e.everyFrame() {
		return true
	}
	if f[0]&1 != 0 {
		return e.wantsGroupFrame(f, inGroup)
	}
	e.mu.RLock()
	mine := tcpip.LinkAddress(f[:6]) == e.mac
	e.mu.RUnlock()
	return mine
}

// everyFrame reports whether the interface takes frames to any address.
func (e *ethEndpoint) everyFrame() bool {
	return e.promisc.Load() || e.bridge.Load() != nil || e.taps.list.Load() != nil
}

// busWakeAddr is the address whose frames wake the interface's bus
// reader (shmif.Port.SetWakeAddr): its own, or none (false: every frame)
// while it takes frames to any address.
func (e *ethEndpoint) busWakeAddr() (mac [6]byte, ok bool) {
	if e.everyFrame() {
		return mac, false
	}
	e.mu.RLock()
	defer e.mu.RUnlock()
	return mac, copy(mac[:], e.mac) == len(mac)
}

// wantsGroupFrame reports whether a frame to a group address, beginning
// with f, may be for the interface: an IP packet to a multicast group only
// if the interface is in the group (the all-nodes and all-hosts groups
// always, and every solicited-node group while it answers for proxied
// inet6 addresses: proxyndp.go); broadcasts, other protocols and anything
// too short to tell, yes.
func (e *ethEndpoint) wantsGroupFrame(f []byte, inGroup func(tcpip.Address) bool) bool {
	const eth = header.EthernetMinimumSize
	switch tcpip.NetworkProtocolNumber(uint16(f[12])<<8 | uint16(f[13])) {
	case header.IPv6ProtocolNumber:
		if len(f) < eth+header.IPv6MinimumSize {
			return true
		}
		dst := tcpip.AddrFrom16Slice(f[eth+24 : eth+40])
		return !header.IsV6MulticastAddress(dst) || dst == header.IPv6AllNodesMulticastAddress ||
			e.proxy6.Load() != nil && header.IsSolicitedNodeAddr(dst) || inGroup(dst)
	case header.IPv4ProtocolNumber:
		if len(f) < eth+header.IPv4MinimumSize {
			return true
		}
		dst := tcpip.AddrFrom4Slice(f[eth+16 : eth+20])
		return !header.IsV4MulticastAddress(dst) || dst == header.IPv4AllSystems || inGroup(dst)
	}
	return true
}

// groupMember returns a test of whether the NIC is in a multicast group,
// for a receive path: it takes the stack's lock (read) but none of the
// kernel's.
func (k *Kernel) groupMember(nic tcpip.NICID) func(tcpip.Address) bool {
	st := k.stack
	return func(a tcpip.Address) bool {
		in, err := st.IsInGroup(nic, a)
		return err == nil && in
	}
}

// busSize is net.shmif.bussize: the ring size in bytes of a bus file
// this kernel creates. A bus that exists keeps the size it was made with.
func (k *Kernel) busSize() int { return k.locked(func() int { return int(k.tun.busSize) }) }

func (k *Kernel) setBusSize(v int) error {
	if v < 0 || shmif.CheckSize(uint64(v)) != nil {
		return api.Errorf(syscall.EINVAL, fmt.Sprintf("net.shmif.bussize: %d out of range (a multiple of 4096 from %d to %d)", v, shmif.MinSize, shmif.MaxSize))
	}
	k.mu.Lock()
	k.tun.busSize = uint64(v)
	k.mu.Unlock()
	return nil
}

// linkNoun names what the interface needs before it can go up.
func (ifp *Interface) linkNoun() string {
	if ifp.cloner == "shmif" {
		return "bus (set linkstr first)"
	}
	return "host tap"
}
