package hostif

// Pure mappings between Linux's interface and address flags and NetBSD's.

import (
	"github.com/rumpnet/rumpnet/pkg/api"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// flagPair is one Linux interface flag and the NetBSD bit it shows as.
type flagPair struct {
	linux  uint32
	netbsd int
}

// ifFlagPairs are the interface flags Linux and NetBSD share.
var ifFlagPairs = []flagPair{
	{unix.IFF_UP, api.IFF_UP},
	{unix.IFF_BROADCAST, api.IFF_BROADCAST},
	{unix.IFF_DEBUG, api.IFF_DEBUG},
	{unix.IFF_LOOPBACK, api.IFF_LOOPBACK},
	{unix.IFF_POINTOPOINT, api.IFF_POINTOPOINT},
	{unix.IFF_RUNNING, api.IFF_RUNNING},
	{unix.IFF_NOARP, api.IFF_NOARP},
	{unix.IFF_PROMISC, api.IFF_PROMISC},
	{unix.IFF_ALLMULTI, api.IFF_ALLMULTI},
	{unix.IFF_MULTICAST, api.IFF_MULTICAST},
}

// ifFlags maps a link's raw Linux flags (ifi_flags) and encapsulation
// ("ether", "loopback", "none", ...) onto NetBSD's interface flags.
// Non-loopback Ethernet links are SIMPLEX, as NetBSD's Ethernet drivers.
func ifFlags(raw uint32, encap string) int {
	f := 0
	for _, p := range ifFlagPairs {
		if raw&p.linux != 0 {
			f |= p.netbsd
		}
	}
	if encap == "ether" && raw&unix.IFF_LOOPBACK == 0 {
		f |= api.IFF_SIMPLEX
	}
	return f
}

// linkState reports the carrier the way ifconfig's status line shows it:
// up when the operational state is up, or unknown on an UP link whose lower
// layer is up (lo and other links without carrier detection); down when the
// link is down; unknown otherwise.
func linkState(oper netlink.LinkOperState, raw uint32) string {
	switch oper {
	case netlink.OperUp:
		return api.LinkStateUp
	case netlink.OperUnknown:
		if raw&unix.IFF_UP != 0 && raw&unix.IFF_LOWER_UP != 0 {
			return api.LinkStateUp
		}
		return api.LinkStateUnknown
	case netlink.OperDown, netlink.OperLowerLayerDown, netlink.OperNotPresent, netlink.OperDormant:
		return api.LinkStateDown
	}
	return api.LinkStateUnknown
}

// addrFlagPair is one IFA_F_* flag and the NetBSD address flag it shows as.
type addrFlagPair struct {
	linux  int
	netbsd int
}

var inetFlagPairs = []addrFlagPair{
	{unix.IFA_F_TENTATIVE, api.IN_IFF_TENTATIVE},
	{unix.IFA_F_DADFAILED, api.IN_IFF_DUPLICATED},
}

var inet6FlagPairs = []addrFlagPair{
	{unix.IFA_F_TENTATIVE, api.IN6_IFF_TENTATIVE},
	{unix.IFA_F_DADFAILED, api.IN6_IFF_DUPLICATED},
	{unix.IFA_F_DEPRECATED, api.IN6_IFF_DEPRECATED},
	{unix.IFA_F_NODAD, api.IN6_IFF_NODAD},
	{unix.IFA_F_TEMPORARY, api.IN6_IFF_TEMPORARY},
}

func mapAddrFlags(ifa int, pairs []addrFlagPair) int {
	f := 0
	for _, p := range pairs {
		if ifa&p.linux != 0 {
			f |= p.netbsd
		}
	}
	return f
}

// inetFlags maps an inet address's IFA_F_* flags onto IN_IFF_* flags.
// IFA_F_SECONDARY shares its bit with IFA_F_TEMPORARY and has no NetBSD
// counterpart, so it is not shown.
func inetFlags(ifa int) int { return mapAddrFlags(ifa, inetFlagPairs) }

// inet6Flags maps an inet6 address's IFA_F_* flags onto IN6_IFF_* flags.
// Linux keeps an address tentative while its link is down or has no
// carrier, and starts DAD when the link comes up; NetBSD marks such an
// address DETACHED instead (in6_if_link_down), so it is shown that way.
func inet6Flags(ifa int, linkRunning bool) int {
	f := mapAddrFlags(ifa, inet6FlagPairs)
	if !linkRunning && f&(api.IN6_IFF_TENTATIVE|api.IN6_IFF_DUPLICATED) == api.IN6_IFF_TENTATIVE {
		f = f&^api.IN6_IFF_TENTATIVE | api.IN6_IFF_DETACHED
	}
	return f
}
