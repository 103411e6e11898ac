package rump

// tap(4) inside the kernel: an Ethernet interface with no wire of its
// own. NetBSD's tap passes frames to a process that opens /dev/tap; a
// rump kernel has no such process, so what its stack sends goes nowhere
// (counted as output) and nothing arrives, unless the interface is a
// bridge member: then the bridge carries its frames, and the interface
// is the kernel's own address on the bridge. Its device is a noWire.

import (
	"crypto/rand"
	"net"
	"sync"

	"github.com/rumpnet/rumpnet/pkg/api"
	"gvisor.dev/gvisor/pkg/tcpip"
)

func init() {
	registerKind(&ifKind{
		cloner:   "tap",
		attach:   tapAttach,
		mtuRange: func(*Interface) (int, int, error) { return etherMin, etherMaxJumbo, nil },
	})
}

// etherMaxJumbo is the largest MTU of an Ethernet interface that takes
// jumbo frames (NetBSD's ETHERMTU_JUMBO); tap does.
const etherMaxJumbo = 9000

func tapAttach(k *Kernel, ifp *Interface) error {
	e := k.newEthLocked(ifp, tapMAC(), 1500)
	e.SetDevice(newNoWire())
	ifp.flags = api.IFF_BROADCAST | api.IFF_SIMPLEX | api.IFF_MULTICAST
	return nil
}

// tapMAC returns an address as NetBSD's tap makes one: f2:0b:a4 and
// three random bytes.
func tapMAC() tcpip.LinkAddress {
	mac := []byte{0xf2, 0x0b, 0xa4, 0, 0, 0}
	rand.Read(mac[3:])
	return tcpip.LinkAddress(mac)
}

// noWire is the FrameDevice of an interface without a wire: writes
// succeed and go nowhere, reads wait until it is closed.
type noWire struct {
	done chan struct{}
	once sync.Once
}

func newNoWire() *noWire { return &noWire{done: make(chan struct{})} }

// Read implements FrameDevice.
func (w *noWire) Read([]byte) (int, error) {
	<-w.done
	return 0, net.ErrClosed
}

// Write implements FrameDevice.
func (w *noWire) Write(b []byte) (int, error) { return len(b), nil }

// Close implements FrameDevice.
func (w *noWire) Close() error {
	w.once.Do(func() { close(w.done) })
	return nil
}
