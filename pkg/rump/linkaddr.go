package rump

// Link-layer addresses and capabilities. A virt interface has one active
// MAC (the one it sends from and filters on) and may keep inactive ones, as
// NetBSD's if_dl list does; activating one announces every address (a
// gratuitous ARP for each inet address, an unsolicited neighbour
// advertisement for each inet6 one) so neighbours update at once.

import (
	"fmt"
	"net"
	"syscall"

	"github.com/rumpnet/rumpnet/pkg/api"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/header"
)

// ParseMAC parses a 6-byte Ethernet address ("b2:0a:00:0b:0e:01").
func ParseMAC(s string) (tcpip.LinkAddress, error) {
	hw, err := net.ParseMAC(s)
	if err != nil || len(hw) != 6 {
		return "", api.Errorf(syscall.EINVAL, fmt.Sprintf("link address %q", s))
	}
	return tcpip.LinkAddress(hw), nil
}

func (ifp *Interface) findLinkAddr(mac tcpip.LinkAddress) int {
	for i, m := range ifp.linkAddrs {
		if m == mac {
			return i
		}
	}
	return -1
}

// AddLinkAddr adds a link-layer address to a virt interface (SIOCALIFADDR).
// With active it becomes the address the interface uses and the previous
// one is kept as inactive. Group addresses are refused (EINVAL).
func (k *Kernel) AddLinkAddr(name, mac string, active bool) error {
	m, err := ParseMAC(mac)
	if err != nil {
		return err
	}
	if m[0]&1 != 0 {
		return api.Errorf(syscall.EINVAL, mac+" is a group address")
	}
	return k.withInterface(name, func(ifp *Interface) error {
		if ifp.eth == nil {
			return api.Errorf(syscall.EOPNOTSUPP, ifp.name+" has no link-layer address")
		}
		cur := ifp.eth.LinkAddress()
		if m == cur {
			return nil
		}
		i := ifp.findLinkAddr(m)
		if !active {
			if i < 0 {
				ifp.linkAddrs = append(ifp.linkAddrs, m)
			}
			return nil
		}
		if i >= 0 {
			ifp.linkAddrs = append(ifp.linkAddrs[:i], ifp.linkAddrs[i+1:]...)
		}
		ifp.linkAddrs = append(ifp.linkAddrs, cur)
		k.stack.SetNICAddress(ifp.nic, m)
		k.announceAllLocked(ifp)
		return nil
	})
}

// DelLinkAddr removes an inactive link-layer address (SIOCDLIFADDR). The
// active one cannot be removed (EBUSY); an unknown one is EADDRNOTAVAIL.
func (k *Kernel) DelLinkAddr(name, mac string) error {
	m, err := ParseMAC(mac)
	if err != nil {
		return err
	}
	return k.withInterface(name, func(ifp *Interface) error {
		if ifp.eth != nil && ifp.eth.LinkAddress() == m {
			return api.Errorf(syscall.EBUSY, mac+" is the active link address")
		}
		i := ifp.findLinkAddr(m)
		if i < 0 {
			return api.Errorf(syscall.EADDRNOTAVAIL, mac+" on "+name)
		}
		ifp.linkAddrs = append(ifp.linkAddrs[:i], ifp.linkAddrs[i+1:]...)
		return nil
	})
}

// announceLocked sends a gratuitous ARP request for an inet address from
// the interface's current link address (NetBSD's arpannounce): sender and
// target are both the address.
func (k *Kernel) announceLocked(ifp *Interface, a *ifaddr) {
	if ifp.eth == nil || ifp.eth.noarp.Load() || !a.is4() || !a.inStack {
		return
	}
	ifp.eth.writeFrame(garpFrame(ifp.eth.LinkAddress(), a.prefix.Addr().As4()))
}

// announceAllLocked announces every usable address of the interface: a
// gratuitous ARP for each inet address and an unsolicited neighbour
// advertisement (override set, to all nodes) for each inet6 one, as
// NetBSD does when a new link address becomes active.
func (k *Kernel) announceAllLocked(ifp *Interface) {
	mac := ifp.eth.LinkAddress()
	for _, a := range ifp.addrs {
		if a.is4() {
			k.announceLocked(ifp, a)
			continue
		}
		if a.inStack && a.dad.Load() == 0 && a.static&api.IN6_IFF_ANYCAST == 0 {
			ifp.eth.writeFrame(unsolicitedNA(mac, a.prefix.Addr().As16()))
		}
	}
}

// garpFrame builds a broadcast ARP request from mac asking for ip on
// behalf of ip.
func garpFrame(mac tcpip.LinkAddress, ip [4]byte) []byte {
	frame := make([]byte, header.EthernetMinimumSize+header.ARPSize)
	header.Ethernet(frame).Encode(&header.EthernetFields{
		SrcAddr: mac,
		DstAddr: header.EthernetBroadcastAddress,
		Type:    header.ARPProtocolNumber,
	})
	arp := header.ARP(frame[header.EthernetMinimumSize:])
	arp.SetIPv4OverEthernet()
	arp.SetOp(header.ARPRequest)
	copy(arp.HardwareAddressSender(), mac)
	copy(arp.ProtocolAddressSender(), ip[:])
	copy(arp.ProtocolAddressTarget(), ip[:])
	return frame
}

// unsolicitedNA builds a neighbour advertisement for ip with mac as its
// target link-layer address, from ip to the all-nodes group, override
// flag set (RFC 4861 7.2.6).
func unsolicitedNA(mac tcpip.LinkAddress, ip [16]byte) []byte {
	const optLen = 8 // target link-layer address option
	icmpLen := header.ICMPv6NeighborAdvertMinimumSize + optLen
	frame := make([]byte, header.EthernetMinimumSize+header.IPv6MinimumSize+icmpLen)
	src := tcpip.AddrFrom16(ip)
	dst := header.IPv6AllNodesMulticastAddress
	header.Ethernet(frame).Encode(&header.EthernetFields{
		SrcAddr: mac,
		DstAddr: header.EthernetAddressFromMulticastIPv6Address(dst),
		Type:    header.IPv6ProtocolNumber,
	})
	ip6 := header.IPv6(frame[header.EthernetMinimumSize:])
	ip6.Encode(&header.IPv6Fields{
		PayloadLength:     uint16(icmpLen),
		TransportProtocol: header.ICMPv6ProtocolNumber,
		HopLimit:          header.NDPHopLimit,
		SrcAddr:           src,
		DstAddr:           dst,
	})
	icmp := header.ICMPv6(ip6.Payload())
	icmp.SetType(header.ICMPv6NeighborAdvert)
	na := header.NDPNeighborAdvert(icmp.MessageBody())
	na.SetOverrideFlag(true)
	na.SetTargetAddress(src)
	na.Options().Serialize(header.NDPOptionsSerializer{header.NDPTargetLinkLayerAddressOption(mac)})
	icmp.SetChecksum(header.ICMPv6Checksum(header.ICMPv6ChecksumParams{Header: icmp, Src: src, Dst: dst}))
	return frame
}

// capabilities are the IFCAP_* bits the interface supports: none. A virt
// interface does use the host tap's offloads (checksums and segmentation,
// virt(4)), but it decides them frame by frame from each frame's
// virtio-net header rather than by a switch the user turns, so there is
// nothing for SIOCSIFCAP to turn on or off.
func (ifp *Interface) capabilities() int { return 0 }

// SetCapabilities switches capabilities on or off (SIOCSIFCAP); asking for
// one the interface lacks is EINVAL, as in NetBSD.
func (k *Kernel) SetCapabilities(name string, enabled int) error {
	return k.withInterface(name, func(ifp *Interface) error {
		if enabled&^ifp.capabilities() != 0 {
			return api.Errorf(syscall.EINVAL, fmt.Sprintf("%s lacks capabilities %#x", name, enabled&^ifp.capabilities()))
		}
		ifp.capenable = enabled
		return nil
	})
}
