package ifconfig

import "github.com/rumpnet/rumpnet/pkg/api"

// Backend is what rifconfig needs from a kernel: client.Client for a rump
// kernel, hostif for the Linux host. Errors must unwrap to a syscall.Errno;
// a backend that cannot do something at all returns an error that says so
// (see UnsupportedError).
type Backend interface {
	Interfaces() ([]api.Interface, error)
	Interface(name string) (api.Interface, error)
	Cloners() ([]string, error)
	CreateInterface(name string) error
	// CreateOwned creates an interface that the user named by owner may
	// use (host taps); rump kernels refuse it.
	CreateOwned(name, owner string) error
	DestroyInterface(name string) error
	SetFlags(name string, flags int) error
	SetMTU(name string, mtu int) error
	SetMetric(name string, metric int) error
	SetLinkstr(name, linkstr string) error
	// SetMedia selects the media subtype of an interface with media.
	SetMedia(name, media string) error
	AddAddr(name string, a api.IfAddr) error
	DelAddr(name, addr string) error
	ZeroStats(name string) error
	// AddLinkAddr adds a link-layer address; active makes it the one the
	// interface sends from.
	AddLinkAddr(name, mac string, active bool) error
	// DelLinkAddr removes an inactive link-layer address.
	DelLinkAddr(name, mac string) error
	// SetCapabilities switches capabilities (IFCAP_* bits) on or off.
	SetCapabilities(name string, enabled int) error
}
