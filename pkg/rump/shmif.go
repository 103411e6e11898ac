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
	port.SetFilter(ifp.eth.wantsBusFrame)
	ifp.eth.SetDevice(busDevice(port))
	ifp.busPath, ifp.linkstr = path, path
	return nil
}

// wantsBusFrame reports whether the receive filter (deliver) could take a
// frame from the bus with Ethernet header eth, so that the bus copies
// only those: frames to the interface's address or a group, and every
// frame while it is promiscuous, a bridge member or captured. A frame
// too short for a header goes up, to be counted as an input error.
func (e *ethEndpoint) wantsBusFrame(eth []byte) bool {
	if len(eth) < header.EthernetMinimumSize || eth[0]&1 != 0 ||
		e.promisc.Load() || e.bridge.Load() != nil || e.taps.list.Load() != nil {
		return true
	}
	e.mu.RLock()
	mine := tcpip.LinkAddress(eth[:6]) == e.mac
	e.mu.RUnlock()
	return mine
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
