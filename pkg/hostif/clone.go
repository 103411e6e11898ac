package hostif

// Creating and destroying host interfaces. Only the two kinds rumpnet needs
// on the host are made here: persistent taps (tapN), which rump servers'
// virt interfaces attach to, and Linux bridges (bridgeN), which join taps
// and hardware interfaces. Only links of those kinds are ever destroyed, so
// a mistyped command cannot remove eth0 or lo.

import (
	"errors"
	"fmt"
	"os/user"
	"strconv"
	"strings"
	"syscall"

	"github.com/rumpnet/rumpnet/pkg/api"
	"github.com/rumpnet/rumpnet/pkg/hosttap"
	"github.com/vishvananda/netlink"
)

// cloner splits an interface name into its cloner and unit: "tap3" is
// ("tap", true). It accepts only the host cloners with a decimal unit.
func cloner(name string) (string, bool) {
	if len(name) > hosttap.MaxNameLen {
		return "", false
	}
	for _, c := range []string{"bridge", "tap"} {
		unit, ok := strings.CutPrefix(name, c)
		if !ok || unit == "" {
			continue
		}
		if unit[0] == '0' && len(unit) > 1 {
			continue // "tap01": units have no leading zeros, as in the rump kernel
		}
		if _, err := strconv.ParseUint(unit, 10, 32); err == nil {
			return c, true
		}
	}
	return "", false
}

// CreateInterface makes tapN, a persistent tap without an owner, or
// bridgeN, a Linux bridge. EINVAL for any other name, EEXIST if the host
// already has a link of that name. As with "ip tuntap add", Linux lets
// anyone who can open /dev/net/tun attach to a tap without an owner;
// CreateOwned restricts a tap to one user.
func (h *Host) CreateInterface(name string) error {
	return create(name, -1)
}

// CreateOwned makes a persistent tap that the user named by owner (a user
// name or a numeric uid) may attach to without privilege, as
// "ip tuntap add tapN mode tap user U" does. Bridges have no owner.
func (h *Host) CreateOwned(name, owner string) error {
	c, ok := cloner(name)
	if !ok {
		return api.Errorf(syscall.EINVAL, name+": the host cloners are bridge and tap")
	}
	if c != "tap" {
		return unsupported("user: only taps have an owner on the Linux host; %s is a bridge", name)
	}
	uid, err := lookupUID(owner)
	if err != nil {
		return err
	}
	return create(name, uid)
}

// lookupUID resolves a user name or numeric uid.
func lookupUID(owner string) (int, error) {
	if n, err := strconv.ParseUint(owner, 10, 32); err == nil && n != 0xffffffff {
		return int(n), nil
	}
	u, err := user.Lookup(owner)
	if err != nil {
		var unknown user.UnknownUserError
		if errors.As(err, &unknown) {
			return 0, api.Explainf(syscall.EINVAL, "user %s: no such user", owner)
		}
		return 0, api.Explainf(syscall.EINVAL, "user %s: %v", owner, err)
	}
	uid, err := strconv.Atoi(u.Uid)
	if err != nil {
		return 0, api.Errorf(syscall.EINVAL, fmt.Sprintf("user %s: uid %q is not a number", owner, u.Uid))
	}
	return uid, nil
}

// create makes name, a tap owned by uid (-1: no owner) or a bridge.
func create(name string, uid int) error {
	c, ok := cloner(name)
	if !ok {
		return api.Errorf(syscall.EINVAL, name+": the host cloners are bridge and tap")
	}
	// TUNSETIFF would quietly attach to an existing tap: look first.
	if _, err := netlink.LinkByName(name); err == nil {
		return api.Errorf(syscall.EEXIST, name)
	} else if !errors.As(err, new(netlink.LinkNotFoundError)) {
		return kernelError(err, name)
	}
	switch c {
	case "tap":
		if err := hosttap.CreatePersistent(name, uid); err != nil {
			return kernelError(err, "create tap "+name)
		}
	case "bridge":
		la := netlink.NewLinkAttrs()
		la.Name = name
		if err := netlink.LinkAdd(&netlink.Bridge{LinkAttrs: la}); err != nil {
			return kernelError(err, "create bridge "+name)
		}
	}
	return nil
}

// DestroyInterface removes a tap or a bridge; any other kind of link is
// refused, so the host's own devices are never deleted. ENXIO if there is
// no such link.
func (h *Host) DestroyInterface(name string) error {
	l, err := linkByName(name)
	if err != nil {
		return err
	}
	switch l.Type() {
	case "tuntap", "bridge":
	default:
		return unsupported("destroy: %s is %s, not a tap or a bridge; on the Linux host rifconfig destroys only those", name, describeKind(l))
	}
	if err := netlink.LinkDel(l); err != nil {
		return kernelError(err, "destroy "+name)
	}
	return nil
}

// describeKind names a link's kind for messages: "a veth link".
func describeKind(l netlink.Link) string {
	if l.Attrs().RawFlags&syscall.IFF_LOOPBACK != 0 {
		return "the loopback interface"
	}
	if l.Type() == "device" {
		return "a network device"
	}
	return "a " + l.Type() + " link"
}
