package client

// ListenMulticastUDP, the kernel's net.ListenMulticastUDP: a UDP socket
// bound to the group's port on any address and joined to the group
// (IP_ADD_MEMBERSHIP or IPV6_JOIN_GROUP, doc/sockets.md). Closing it
// leaves the group.

import (
	"context"
	"encoding/binary"
	"net"
	"net/netip"
	"strconv"
	"syscall"

	"github.com/rumpnet/rumpnet/pkg/api"
	"golang.org/x/sys/unix"
)

// ListenMulticastUDP opens a UDP socket on the group's port (network
// udp, udp4 or udp6) and joins the group on ifi, an interface of the
// kernel (its Index is the kernel's), or with ifi nil on the interface
// the kernel picks: the route's to the group, else its first multicast
// interface. rifmcstat shows the membership until the socket is closed.
func (c *Client) ListenMulticastUDP(network string, ifi *net.Interface, gaddr *net.UDPAddr) (net.PacketConn, error) {
	var group netip.Addr
	if gaddr != nil {
		group = gaddr.AddrPort().Addr().Unmap()
	}
	if !group.IsMulticast() {
		return nil, opError("listen", network, gaddr, api.Errorf(syscall.EINVAL, "not a multicast group"))
	}
	if network == "udp" {
		network = "udp6"
		if group.Is4() {
			network = "udp4"
		}
	}
	family, typ, ap, err := netFamily(network, net.JoinHostPort("", strconv.Itoa(gaddr.Port)), true)
	if err == nil && (typ != api.SockDgram || (family == 4) != group.Is4()) {
		err = api.Errorf(syscall.EAFNOSUPPORT, group.String()+" on "+network)
	}
	if err != nil {
		return nil, opError("listen", network, gaddr, err)
	}
	s, err := c.sockets(context.Background())
	if err != nil {
		return nil, opError("listen", network, gaddr, err)
	}
	id, f, bound, err := bindNew(s, family, typ, ap)
	if err != nil {
		return nil, opError("listen", network, gaddr, err)
	}
	index := 0
	if ifi != nil {
		index = ifi.Index
	}
	level, name, mreq := joinRequest(group, index)
	if err := s.SetOptBytes(id, level, name, mreq); err != nil {
		f.Close()
		s.CloseSocket(id)
		return nil, opError("listen", network, gaddr, err)
	}
	nc, err := net.FileConn(f)
	f.Close()
	if err != nil {
		s.CloseSocket(id)
		return nil, err
	}
	return &packetConn{UnixConn: nc.(*net.UnixConn), laddr: netAddr(typ, bound), family: family}, nil
}

// joinRequest is the option that joins group on the interface of index
// (0 for the kernel's choice): struct ip_mreqn or struct ipv6_mreq.
func joinRequest(group netip.Addr, index int) (level, name int, b []byte) {
	if group.Is4() {
		b = append(group.AsSlice(), 0, 0, 0, 0)
		return unix.IPPROTO_IP, unix.IP_ADD_MEMBERSHIP, binary.NativeEndian.AppendUint32(b, uint32(index))
	}
	return unix.IPPROTO_IPV6, unix.IPV6_JOIN_GROUP, binary.NativeEndian.AppendUint32(group.AsSlice(), uint32(index))
}
