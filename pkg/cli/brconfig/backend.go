package brconfig

import "github.com/rumpnet/rumpnet/pkg/api"

// Backend is what rbrconfig needs from a kernel: a rump kernel through its
// control socket (see rump.go), the Linux host (pkg/hostbr), or a fake in
// tests. Errors unwrap to a syscall.Errno, which rbrconfig prints the err(3)
// way; something a backend cannot do at all is an *api.Explained, printed
// as it is.
type Backend interface {
	// Bridges lists the kernel's bridges in interface index order.
	Bridges() ([]string, error)
	// Flags returns a bridge's interface flags (IFF_*); ENXIO if there is
	// no such interface.
	Flags(name string) (int, error)
	// Status returns everything `rbrconfig bridgeN` prints.
	Status(name string) (api.BridgeStatus, error)
	// Do applies one change to a bridge.
	Do(name string, req api.BridgeRequest) error
	// SetUp starts (up) or stops forwarding by setting or clearing the
	// bridge's IFF_UP.
	SetUp(name string, up bool) error
}
