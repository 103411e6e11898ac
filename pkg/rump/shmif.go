package rump

// shmif(4): an Ethernet interface on a bus file shared with other rump
// kernels (package shmif). The interface is the same Ethernet endpoint as
// virt's, with a bus port as its frame device instead of a host tap, so
// filtering, counters and the RUNNING gate behave identically.

import (
	"crypto/rand"
	"syscall"

	"github.com/rumpnet/rumpnet/pkg/api"
	"github.com/rumpnet/rumpnet/pkg/shmif"
	"gvisor.dev/gvisor/pkg/tcpip"
)

var _ FrameDevice = (*shmif.Port)(nil)

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
	port, err := shmif.Attach(path)
	if err != nil {
		return err
	}
	ifp.eth.SetDevice(port)
	ifp.busPath, ifp.linkstr = path, path
	return nil
}

// linkNoun names what the interface needs before it can go up.
func (ifp *Interface) linkNoun() string {
	if ifp.cloner == "shmif" {
		return "bus (set linkstr first)"
	}
	return "host tap"
}
