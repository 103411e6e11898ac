package hostbr

// Adding and removing members, and their per-port settings.

import (
	"errors"
	"fmt"
	"syscall"

	"github.com/rumpnet/rumpnet/pkg/api"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netlink/nl"
)

// addMember enslaves the link called name to br. Linux would quietly move
// a link from another master, so that case is refused first, as NetBSD
// refuses a member of another bridge.
func addMember(br *netlink.Bridge, name string) error {
	l, err := netlink.LinkByName(name)
	if err != nil {
		if errors.As(err, new(netlink.LinkNotFoundError)) {
			return api.Errorf(syscall.ENOENT, name+": no such interface")
		}
		return kernelError(err, name)
	}
	switch master := l.Attrs().MasterIndex; {
	case master == br.Attrs().Index:
		return api.Errorf(syscall.EEXIST, name+" is already a member of "+br.Attrs().Name)
	case master != 0:
		return api.Errorf(syscall.EBUSY, fmt.Sprintf("%s already has a master (index %d)", name, master))
	}
	if err := netlink.LinkSetMaster(l, br); err != nil {
		if errors.Is(err, syscall.ELOOP) {
			// Linux's answer for a bridge as a member; NetBSD's is EINVAL.
			return api.Errorf(syscall.EINVAL, name+" is a bridge")
		}
		return kernelError(err, fmt.Sprintf("add %s to %s", name, br.Attrs().Name))
	}
	return nil
}

// deleteMember releases a member of br.
func deleteMember(br *netlink.Bridge, name string) error {
	l, err := memberLink(br, name)
	if err != nil {
		return err
	}
	if err := netlink.LinkSetNoMaster(l); err != nil {
		return kernelError(err, fmt.Sprintf("delete %s from %s", name, br.Attrs().Name))
	}
	return nil
}

// setMemberFlag sets or clears one IFBIF_* flag of a member. STP is the
// bridge's: Linux runs spanning tree on every port or on none.
func setMemberFlag(br *netlink.Bridge, name string, bit int, on bool) error {
	l, err := memberLink(br, name)
	if err != nil {
		return err
	}
	var set func(netlink.Link, bool) error
	switch bit {
	case api.IFBIF_LEARNING:
		set = netlink.LinkSetLearning
	case api.IFBIF_DISCOVER:
		set = netlink.LinkSetFlood
	case api.IFBIF_PROTECTED:
		set = netlink.LinkSetIsolated
	case api.IFBIF_STP:
		state := uint32(0)
		if on {
			state = 1
		}
		if err := writeBridgeAttr(br.Attrs().Index, nl.IFLA_BR_STP_STATE, nl.Uint32Attr(state)); err != nil {
			return kernelError(err, "set spanning tree on "+br.Attrs().Name)
		}
		return nil
	default:
		return api.Errorf(syscall.EINVAL, fmt.Sprintf("member flag %#x", bit))
	}
	if err := set(l, on); err != nil {
		return kernelError(err, fmt.Sprintf("set flag %#x on %s", bit, name))
	}
	return nil
}

// setPortValue writes one port attribute of a member (its priority or
// cost, for the command cmd); a value outside Linux's range is refused with
// a sentence giving it.
func setPortValue(br *netlink.Bridge, name, cmd string, attr int, value []byte) error {
	l, err := memberLink(br, name)
	if err != nil {
		return err
	}
	err = writePortAttr(l.Attrs().Index, attr, value)
	if errors.Is(err, syscall.ERANGE) {
		return rangeError(cmd)
	}
	if err != nil {
		return kernelError(err, fmt.Sprintf("%s %s", cmd, name))
	}
	return nil
}
