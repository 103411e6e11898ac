package rump

// Packet info of unconnected datagrams (IP_PKTINFO, IPV6_RECVPKTINFO and
// IPV6_PKTINFO): the interface a datagram came in on and the address it
// was sent to, after the source in the address header; and, from the
// program, the interface and source address to send one with. And the
// kernel's interface names and indexes, which the indexes mean.

import (
	"fmt"
	"strconv"
	"syscall"

	"github.com/rumpnet/rumpnet/pkg/api"
	"gvisor.dev/gvisor/pkg/tcpip"
)

// dgramInfoFlag, in an address header's family byte, says packet info
// follows the address: interface index (4 bytes, network order), then
// an address as long as the header's.
const dgramInfoFlag = 0x80

// recvPacketInfo is the packet info the endpoint gave with a datagram: the
// interface and the datagram's destination address; ok is false when the
// socket did not ask for it.
func recvPacketInfo(cm *tcpip.ReceivableControlMessages) (nic tcpip.NICID, local tcpip.Address, ok bool) {
	switch {
	case cm.HasIPv6PacketInfo:
		return cm.IPv6PacketInfo.NIC, cm.IPv6PacketInfo.Addr, true
	case cm.HasIPPacketInfo:
		return cm.PacketInfo.NIC, cm.PacketInfo.DestinationAddr, true
	}
	return 0, tcpip.Address{}, false
}

// sendPacketInfo is the control message that sends a datagram from src
// (unspecified: the stack's choice) through interface nic (0: the route's).
// Only IPv6 sockets can choose: the stack has no IPv4 counterpart, so
// IP_PKTINFO's choice is ignored, and so is an IPv4 source on an IPv6
// socket.
func sendPacketInfo(nic uint32, src tcpip.Address, family int) tcpip.SendableControlMessages {
	var cm tcpip.SendableControlMessages
	if family != 6 || src.Len() != 16 {
		return cm
	}
	if src.Unspecified() {
		src = tcpip.Address{}
	}
	if nic == 0 && src.BitLen() == 0 {
		return cm
	}
	cm.HasIPv6PacketInfo = true
	cm.IPv6PacketInfo = tcpip.IPv6PacketInfo{NIC: tcpip.NICID(nic), Addr: src}
	return cm
}

// stackAddr is a header's address as the endpoint takes it: an IPv4
// address on an IPv6 socket mapped.
func stackAddr(a []byte, family int) tcpip.Address {
	if len(a) == 4 {
		if family != 6 {
			return tcpip.AddrFrom4([4]byte(a))
		}
		var m [16]byte
		m[10], m[11] = 0xff, 0xff
		copy(m[12:], a)
		return tcpip.AddrFrom16(m)
	}
	return tcpip.AddrFrom16([16]byte(a))
}

// IfName is the name of the kernel's interface of index (ENODEV for none),
// for a program's SIOCGIFNAME on a session socket.
func (ss *SocketSet) IfName(index int) (string, error) {
	for _, ifp := range ss.k.Interfaces() {
		if ifp.Index == index {
			return ifp.Name, nil
		}
	}
	return "", api.Errorf(syscall.ENODEV, fmt.Sprintf("no interface of index %d", index))
}

// IfIndex is the index of the kernel's interface name (ENODEV for none),
// for a program's SIOCGIFINDEX on a session socket.
func (ss *SocketSet) IfIndex(name string) (int, error) {
	for _, ifp := range ss.k.Interfaces() {
		if ifp.Name == name {
			return ifp.Index, nil
		}
	}
	return 0, api.Errorf(syscall.ENODEV, "no interface "+strconv.Quote(name))
}
