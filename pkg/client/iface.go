package client

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"syscall"

	"github.com/rumpnet/rumpnet/pkg/api"
)

// Interfaces returns every interface in index order, each assembled from its
// net.link leaves.
func (c *Client) Interfaces() ([]api.Interface, error) {
	nodes, err := c.List(strings.TrimSuffix(api.LinkPrefix, "."))
	if err != nil {
		return nil, err
	}
	return assemble(nodes)
}

// Interface returns one interface; ENXIO if there is none. A kernel that
// cannot be reached is an *InitError, whatever its errno.
func (c *Client) Interface(name string) (api.Interface, error) {
	nodes, err := c.List(api.LinkPrefix + name)
	if err != nil {
		var ie *InitError
		if errors.Is(err, syscall.ENOENT) && !errors.As(err, &ie) {
			return api.Interface{}, api.Errorf(syscall.ENXIO, name)
		}
		return api.Interface{}, err
	}
	ifs, err := assemble(nodes)
	if err != nil {
		return api.Interface{}, err
	}
	if len(ifs) != 1 {
		return api.Interface{}, api.Errorf(syscall.ENXIO, name)
	}
	return ifs[0], nil
}

// assemble groups net.link.<if>.<leaf> nodes into interfaces, keeping the
// server's order.
func assemble(nodes []api.Node) ([]api.Interface, error) {
	var out []api.Interface
	idx := map[string]int{}
	for _, n := range nodes {
		rest, ok := strings.CutPrefix(n.Name, api.LinkPrefix)
		if !ok {
			continue
		}
		ifname, leaf, ok := strings.Cut(rest, ".")
		if !ok {
			continue
		}
		i, seen := idx[ifname]
		if !seen {
			i = len(out)
			idx[ifname] = i
			out = append(out, api.Interface{Name: ifname})
		}
		if err := setLeaf(&out[i], leaf, n.Value); err != nil {
			return nil, api.Errorf(syscall.EPROTO, n.Name+": "+err.Error())
		}
	}
	return out, nil
}

// setLeaf decodes one leaf's value into its field of ifp (api.Leaves).
func setLeaf(ifp *api.Interface, leaf string, v json.RawMessage) error {
	l, ok := api.FindLeaf(leaf)
	if !ok {
		return nil // a leaf from a newer server
	}
	return json.Unmarshal(v, l.Field(ifp))
}

// CreateInterface makes an interface ("virt0").
func (c *Client) CreateInterface(name string) error {
	if err := cloneName(name); err != nil {
		return err
	}
	return c.Create(api.LinkPrefix+name, nil)
}

// CreateLinked makes a virt interface bound to the host tap linkstr
// instead of tapN ("rifconfig virt0 create linkstr tap7").
func (c *Client) CreateLinked(name, linkstr string) error {
	if err := cloneName(name); err != nil {
		return err
	}
	return c.Create(api.LinkPrefix+name, api.IfCreate{Linkstr: linkstr})
}

// DestroyInterface removes an interface.
func (c *Client) DestroyInterface(name string) error {
	if err := cloneName(name); err != nil {
		return err
	}
	return c.Destroy(api.LinkPrefix+name, nil)
}

// cloneName refuses, with the kernel's EINVAL, a name that cannot be an
// interface node at all: an empty one, or one with a dot, which separates
// nodes ("virt0.inet" would address a leaf). NetBSD's cloner lookup finds no
// cloner for such names and answers EINVAL too.
func cloneName(name string) error {
	if name == "" || strings.Contains(name, ".") {
		return api.Errorf(syscall.EINVAL, fmt.Sprintf("interface name %q", name))
	}
	return nil
}

// SetFlags writes an interface's flags.
func (c *Client) SetFlags(name string, flags int) error {
	_, err := c.Set(api.LinkPrefix+name+"."+api.LeafFlags, flags)
	return err
}

// SetMTU writes an interface's MTU.
func (c *Client) SetMTU(name string, mtu int) error {
	_, err := c.Set(api.LinkPrefix+name+"."+api.LeafMTU, mtu)
	return err
}

// SetLinkstr binds an interface to a backend ("" to detach).
func (c *Client) SetLinkstr(name, linkstr string) error {
	_, err := c.Set(api.LinkPrefix+name+"."+api.LeafLinkstr, linkstr)
	return err
}

// SetVlan configures a vlan interface with 802.1Q identifier tag on
// parent, or unconfigures it if parent is "" (SIOCSETVLAN).
func (c *Client) SetVlan(name string, tag int, parent string) error {
	_, err := c.Set(api.LinkPrefix+name+"."+api.LeafVlan, api.Vlan{Tag: tag, Parent: parent})
	return err
}

// L2tp applies one change to an l2tp interface: its tunnel, session or
// cookies (SIOCSLIFPHYADDR, SIOCSL2TPSESSION, SIOCSL2TPCOOKIE and their
// deletions).
func (c *Client) L2tp(name string, ch api.L2tpChange) error {
	_, err := c.Set(api.LinkPrefix+name+"."+api.LeafL2tp, ch)
	return err
}

// SetTunnel sets a gif or gre interface's outer addresses, or deletes
// them when t.Src and t.Dst are "" (SIOCSLIFPHYADDR, SIOCDIFPHYADDR).
func (c *Client) SetTunnel(name string, t api.Tunnel) error {
	_, err := c.Set(api.LinkPrefix+name+"."+api.LeafTunnel, t)
	return err
}

// SetMedia selects an interface's media subtype (api.MediaAuto or
// api.MediaNone).
func (c *Client) SetMedia(name, media string) error {
	_, err := c.Set(api.LinkPrefix+name+"."+api.LeafMedia, media)
	return err
}

// AddAddr adds (or with a.Replace, replaces) an address.
func (c *Client) AddAddr(name string, a api.IfAddr) error {
	return c.Create(api.LinkPrefix+name+"."+familyLeaf(a.Addr), a)
}

// DelAddr removes an address.
func (c *Client) DelAddr(name, addr string) error {
	return c.Destroy(api.LinkPrefix+name+"."+familyLeaf(addr), api.IfAddr{Addr: addr})
}

func familyLeaf(addr string) string {
	if strings.Contains(addr, ":") {
		return api.LeafInet6
	}
	return api.LeafInet
}

// Cloners lists the interface cloners the server offers.
func (c *Client) Cloners() ([]string, error) {
	info, err := c.Info()
	return info.Cloners, err
}

// SetMetric writes an interface's metric.
func (c *Client) SetMetric(name string, metric int) error {
	_, err := c.Set(api.LinkPrefix+name+"."+api.LeafMetric, metric)
	return err
}

// ZeroStats clears an interface's counters.
func (c *Client) ZeroStats(name string) error {
	_, err := c.Set(api.LinkPrefix+name+"."+api.LeafStats, 0)
	return err
}

// CreateOwned is refused: a rump kernel's interfaces have no owner.
func (c *Client) CreateOwned(name, owner string) error {
	return api.Explainf(syscall.EOPNOTSUPP, "user: rump kernel interfaces have no owner")
}

// AddLinkAddr adds a link-layer address, active or not.
func (c *Client) AddLinkAddr(name, mac string, active bool) error {
	return c.Create(api.LinkPrefix+name+"."+api.LeafLink, api.LinkAddr{Addr: mac, Active: active})
}

// DelLinkAddr removes an inactive link-layer address.
func (c *Client) DelLinkAddr(name, mac string) error {
	return c.Destroy(api.LinkPrefix+name+"."+api.LeafLink, api.LinkAddr{Addr: mac})
}

// SetCapabilities writes the enabled capability bits.
func (c *Client) SetCapabilities(name string, enabled int) error {
	_, err := c.Set(api.LinkPrefix+name+"."+api.LeafCapEnable, enabled)
	return err
}
