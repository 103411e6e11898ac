package rump

// Link-layer addresses and capabilities. A virt interface has one active
// MAC (the one it sends from and filters on) and may keep inactive ones, as
// NetBSD's if_dl list does; activating one sends a gratuitous ARP for every
// inet address so neighbours update their caches at once.

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
		k.announceLocked(ifp)
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

// announceLocked sends a gratuitous ARP request for each inet address of the
// interface from its current link address.
func (k *Kernel) announceLocked(ifp *Interface) {
	if ifp.eth.noarp.Load() {
		return
	}
	mac := ifp.eth.LinkAddress()
	for _, a := range ifp.addrs {
		if !a.is4() {
			continue
		}
		ip := a.prefix.Addr().As4()
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
		ifp.eth.writeFrame(frame)
	}
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
