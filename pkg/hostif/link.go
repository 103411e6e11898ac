package hostif

// Link-level settings: flags, MTU and the link-layer address, and the
// NetBSD settings Linux has no counterpart for.

import (
	"bytes"
	"fmt"
	"net"
	"syscall"

	"github.com/rumpnet/rumpnet/pkg/api"
	"github.com/vishvananda/netlink"
)

// unsettableFlags are NetBSD flags a user may ask for that the host backend
// cannot set, with the sentence rifconfig prints.
var unsettableFlags = []struct {
	bit int
	msg string
}{
	{api.IFF_DEBUG, "debug: the Linux host backend does not set the debug flag (Linux drivers ignore it)"},
	{api.IFF_LINK0, "link0: Linux interfaces have no link0 flag"},
	{api.IFF_LINK1, "link1: Linux interfaces have no link1 flag"},
	{api.IFF_LINK2, "link2: Linux interfaces have no link2 flag"},
}

// SetFlags changes the flags that differ between flags and the link's
// current ones: UP, NOARP, PROMISC and ALLMULTI. Bits only the kernel sets
// (RUNNING, BROADCAST, SIMPLEX, ...) are ignored; DEBUG and LINK0..2 are
// refused with EOPNOTSUPP.
func (h *Host) SetFlags(name string, flags int) error {
	l, err := linkByName(name)
	if err != nil {
		return err
	}
	changed := ifFlags(l.Attrs().RawFlags, l.Attrs().EncapType) ^ flags
	for _, u := range unsettableFlags {
		if changed&u.bit != 0 {
			return unsupported("%s", u.msg)
		}
	}
	type change struct {
		bit     int
		on, off func(netlink.Link) error
		what    string
	}
	// UP last, so that an interface comes up already configured.
	for _, c := range []change{
		{api.IFF_NOARP, netlink.LinkSetARPOff, netlink.LinkSetARPOn, "arp"},
		{api.IFF_PROMISC, netlink.SetPromiscOn, netlink.SetPromiscOff, "promisc"},
		{api.IFF_ALLMULTI, netlink.LinkSetAllmulticastOn, netlink.LinkSetAllmulticastOff, "allmulti"},
		{api.IFF_UP, netlink.LinkSetUp, netlink.LinkSetDown, "up/down"},
	} {
		if changed&c.bit == 0 {
			continue
		}
		set := c.off
		if flags&c.bit != 0 {
			set = c.on
		}
		if err := set(l); err != nil {
			return kernelError(err, fmt.Sprintf("set %s on %s", c.what, name))
		}
	}
	return nil
}

// SetMTU sets the link's MTU; the kernel's EINVAL for a value the device
// cannot take passes through.
func (h *Host) SetMTU(name string, mtu int) error {
	l, err := linkByName(name)
	if err != nil {
		return err
	}
	if err := netlink.LinkSetMTU(l, mtu); err != nil {
		return kernelError(err, fmt.Sprintf("set mtu %d on %s", mtu, name))
	}
	return nil
}

// SetMetric is refused: Linux interfaces have no metric.
func (h *Host) SetMetric(name string, metric int) error {
	if _, err := linkByName(name); err != nil {
		return err
	}
	return unsupported("metric: the Linux host has no interface metric (routes carry their own)")
}

// SetLinkstr is refused: host interfaces have no link string.
func (h *Host) SetLinkstr(name, linkstr string) error {
	if _, err := linkByName(name); err != nil {
		return err
	}
	return unsupported("linkstr: Linux host interfaces have no link string")
}

// SetMedia is refused: the host's media are ethtool's.
func (h *Host) SetMedia(name, media string) error {
	if _, err := linkByName(name); err != nil {
		return err
	}
	return unsupported("media: Linux host media are set with ethtool")
}

// ZeroStats is refused: Linux cannot reset a link's counters.
func (h *Host) ZeroStats(name string) error {
	if _, err := linkByName(name); err != nil {
		return err
	}
	return unsupported("-z: the Linux kernel cannot zero interface counters")
}

// SetCapabilities is refused: offloads are ethtool features, which this
// backend does not drive.
func (h *Host) SetCapabilities(name string, enabled int) error {
	if _, err := linkByName(name); err != nil {
		return err
	}
	return unsupported("capabilities: the Linux host backend cannot change offloads (they are ethtool features)")
}

// parseMAC reads a 6-byte link-layer address; EINVAL otherwise.
func parseMAC(mac string) (net.HardwareAddr, error) {
	hw, err := net.ParseMAC(mac)
	if err != nil || len(hw) != 6 {
		return nil, api.Errorf(syscall.EINVAL, fmt.Sprintf("link address %q", mac))
	}
	return hw, nil
}

// AddLinkAddr sets the link's MAC address. Linux keeps a single link
// address, so an inactive one is refused.
func (h *Host) AddLinkAddr(name, mac string, active bool) error {
	l, err := linkByName(name)
	if err != nil {
		return err
	}
	hw, err := parseMAC(mac)
	if err != nil {
		return err
	}
	if !active {
		return unsupported("link: a Linux interface has a single link address; use \"link %s active\" to replace it", mac)
	}
	if err := netlink.LinkSetHardwareAddr(l, hw); err != nil {
		return kernelError(err, fmt.Sprintf("set link address of %s", name))
	}
	return nil
}

// DelLinkAddr removes an inactive link address. A Linux interface has only
// its active one, which NetBSD refuses to delete (EBUSY); any other address
// is not there (EADDRNOTAVAIL).
func (h *Host) DelLinkAddr(name, mac string) error {
	l, err := linkByName(name)
	if err != nil {
		return err
	}
	hw, err := parseMAC(mac)
	if err != nil {
		return err
	}
	if bytes.Equal(hw, l.Attrs().HardwareAddr) {
		return api.Errorf(syscall.EBUSY, fmt.Sprintf("%s is the active link address of %s", mac, name))
	}
	return api.Errorf(syscall.EADDRNOTAVAIL, fmt.Sprintf("%s has no link address %s", name, mac))
}
