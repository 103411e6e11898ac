package brconfig

// The rump kernel backend: bridge status and changes go to the control
// socket's bridge resource; the list of bridges and the bridge's UP flag
// are ordinary interface leaves.

import (
	"syscall"

	"github.com/rumpnet/rumpnet/pkg/api"
	"github.com/rumpnet/rumpnet/pkg/client"
)

// bridgeKind is the kind (cloner) of a rump kernel's bridges.
const bridgeKind = "bridge"

// rump is the Backend for a rump kernel, through c.
type rump struct{ c *client.Client }

var _ Backend = rump{}

func (r rump) Bridges() ([]string, error) {
	ifs, err := r.c.Interfaces()
	if err != nil {
		return nil, err
	}
	var names []string
	for _, ifc := range ifs {
		if ifc.Kind == bridgeKind {
			names = append(names, ifc.Name)
		}
	}
	return names, nil
}

func (r rump) Flags(name string) (int, error) {
	ifc, err := r.iface(name)
	return ifc.Flags, err
}

// iface finds one interface in the full list. (client.Interface would do
// with one request, but it reports an unreachable server as a missing
// interface.)
func (r rump) iface(name string) (api.Interface, error) {
	ifs, err := r.c.Interfaces()
	if err != nil {
		return api.Interface{}, err
	}
	for _, ifc := range ifs {
		if ifc.Name == name {
			return ifc, nil
		}
	}
	return api.Interface{}, api.Errorf(syscall.ENXIO, name)
}

func (r rump) Status(name string) (api.BridgeStatus, error) { return r.c.BridgeStatus(name) }

func (r rump) Do(name string, req api.BridgeRequest) error { return r.c.Bridge(name, req) }

func (r rump) SetUp(name string, up bool) error {
	ifc, err := r.iface(name)
	if err != nil {
		return err
	}
	flags := ifc.Flags &^ api.IFF_UP
	if up {
		flags |= api.IFF_UP
	}
	return r.c.SetFlags(name, flags)
}
