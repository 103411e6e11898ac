package hostbr

// The address cache: the bridge's forwarding database (FDB), read and
// changed as AF_BRIDGE neighbour entries. Entries of a bridge carry its
// index as their master; the members' own addresses are permanent local
// entries and are not shown, nor are entries on the bridge device itself.

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"sort"
	"syscall"

	"github.com/rumpnet/rumpnet/internal/nldump"
	"github.com/rumpnet/rumpnet/pkg/api"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// fdbEntries lists the cache of the bridge with index bridgeIdx, most
// recently updated first.
func fdbEntries(bridgeIdx int) ([]netlink.Neigh, error) {
	var all []netlink.Neigh
	err := nldump.Retry(func() (err error) {
		all, err = netlink.NeighList(0, unix.AF_BRIDGE)
		return err
	})
	if err != nil && !errors.Is(err, netlink.ErrDumpInterrupted) {
		return nil, kernelError(err, "list the forwarding database")
	}
	var out []netlink.Neigh
	for _, n := range all {
		if n.MasterIndex != bridgeIdx || n.LinkIndex == bridgeIdx || n.State&unix.NUD_PERMANENT != 0 {
			continue
		}
		if len(n.HardwareAddr) != 6 {
			continue
		}
		out = append(out, n)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Updated < out[j].Updated })
	return out, nil
}

// isStatic reports whether an entry was added as static (NUD_NOARP).
func isStatic(n netlink.Neigh) bool { return n.State&unix.NUD_NOARP != 0 }

// cacheEntry turns a forwarding database entry into a cache line; names
// maps port indexes to member names, ageing is the bridge's ageing time in
// ticks.
func cacheEntry(n netlink.Neigh, names map[int]string, ageing int) api.BridgeAddr {
	a := api.BridgeAddr{MAC: n.HardwareAddr.String(), Member: names[n.LinkIndex]}
	if a.Member == "" {
		a.Member = fmt.Sprintf("#%d", n.LinkIndex)
	}
	if isStatic(n) {
		a.Flags = api.IFBAF_STATIC
		return a
	}
	if left := ageing - int(n.Updated); left > 0 {
		a.Expire = left / ticksPerSecond
	}
	return a
}

// addStatic adds a static entry for mac on member m, replacing any entry
// for mac.
func addStatic(br *netlink.Bridge, m netlink.Link, mac string) error {
	hw, err := net.ParseMAC(mac)
	if err != nil || len(hw) != 6 {
		return api.Errorf(syscall.EINVAL, fmt.Sprintf("address %q", mac))
	}
	n := &netlink.Neigh{
		Family:       unix.AF_BRIDGE,
		LinkIndex:    m.Attrs().Index,
		State:        unix.NUD_NOARP,
		Flags:        netlink.NTF_MASTER,
		HardwareAddr: hw,
	}
	if err := netlink.NeighSet(n); err != nil {
		return kernelError(err, fmt.Sprintf("add static entry %s on %s", mac, m.Attrs().Name))
	}
	return nil
}

// delAddr removes the entries for mac (one per VLAN); ENOENT if there is
// none.
func delAddr(br *netlink.Bridge, mac string) error {
	hw, err := net.ParseMAC(mac)
	if err != nil || len(hw) != 6 {
		return api.Errorf(syscall.EINVAL, fmt.Sprintf("address %q", mac))
	}
	entries, err := fdbEntries(br.Attrs().Index)
	if err != nil {
		return err
	}
	found := false
	for _, n := range entries {
		if !bytes.Equal(n.HardwareAddr, hw) {
			continue
		}
		found = true
		if err := delEntry(n); err != nil {
			return err
		}
	}
	if !found {
		return api.Errorf(syscall.ENOENT, fmt.Sprintf("%s: no entry for %s", br.Attrs().Name, mac))
	}
	return nil
}

// delEntry removes one entry; one that went away meanwhile is no error.
func delEntry(n netlink.Neigh) error {
	err := netlink.NeighDel(&netlink.Neigh{
		Family:       unix.AF_BRIDGE,
		LinkIndex:    n.LinkIndex,
		Flags:        netlink.NTF_MASTER,
		HardwareAddr: n.HardwareAddr,
		Vlan:         n.Vlan,
	})
	if err != nil && !errors.Is(err, syscall.ENOENT) {
		return kernelError(err, "delete entry "+n.HardwareAddr.String())
	}
	return nil
}

// flush removes the learned entries (the kernel's own flush, which keeps
// static and local ones); with all, the static entries too.
func flush(br *netlink.Bridge, all bool) error {
	if err := writeBridgeAttr(br.Attrs().Index, unix.IFLA_BR_FDB_FLUSH, nil); err != nil {
		return kernelError(err, "flush "+br.Attrs().Name)
	}
	if !all {
		return nil
	}
	entries, err := fdbEntries(br.Attrs().Index)
	if err != nil {
		return err
	}
	for _, n := range entries {
		if err := delEntry(n); err != nil {
			return err
		}
	}
	return nil
}
