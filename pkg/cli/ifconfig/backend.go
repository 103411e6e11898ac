package ifconfig

import "github.com/rumpnet/rumpnet/pkg/api"

// Backend is what rifconfig needs from a kernel. client.Client is the rump
// implementation; errors must unwrap to a syscall.Errno.
type Backend interface {
	Interfaces() ([]api.Interface, error)
	Interface(name string) (api.Interface, error)
	Cloners() ([]string, error)
	CreateInterface(name string) error
	DestroyInterface(name string) error
	SetFlags(name string, flags int) error
	SetMTU(name string, mtu int) error
	SetMetric(name string, metric int) error
	SetLinkstr(name, linkstr string) error
	AddAddr(name string, a api.IfAddr) error
	DelAddr(name, addr string) error
	ZeroStats(name string) error
}
