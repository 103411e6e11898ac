package rump

// Multicast socket options. Joining and leaving a group take Linux's
// structures as bytes (struct ip_mreq or ip_mreqn, struct ipv6_mreq);
// IP_MULTICAST_IF takes a struct in_addr, ip_mreq or ip_mreqn. The
// kernel picks the interface of a join as NetBSD does and counts every
// socket's memberships per interface and group (mcast.go), so that
// ifmcstat lists what programs joined. The integer options (TTL, hops,
// loop, IPV6_MULTICAST_IF) are lines of the option table.

import (
	"encoding/binary"
	"net/netip"
	"strconv"
	"syscall"

	"github.com/rumpnet/rumpnet/pkg/api"
	"golang.org/x/sys/unix"
	"gvisor.dev/gvisor/pkg/tcpip"
)

// Sizes of Linux's structures.
const (
	sizeofIPMreq   = 8  // struct ip_mreq
	sizeofIPMreqn  = 12 // struct ip_mreqn
	sizeofIPv6Mreq = 20 // struct ipv6_mreq
)

// mreq is a decoded membership request: the group, and the interface by
// address (IPv4 only; invalid for none) or by index (0 for none).
type mreq struct {
	group   netip.Addr
	ifaddr  netip.Addr
	ifindex int
}

// isMcastBytesOpt reports the multicast options whose value is a
// structure.
func isMcastBytesOpt(level, name int) bool {
	switch {
	case level == unix.IPPROTO_IP:
		return name == unix.IP_ADD_MEMBERSHIP || name == unix.IP_DROP_MEMBERSHIP || name == unix.IP_MULTICAST_IF
	case level == unix.IPPROTO_IPV6:
		return name == unix.IPV6_JOIN_GROUP || name == unix.IPV6_LEAVE_GROUP
	}
	return false
}

// parseMreq decodes the value of a membership option: struct ip_mreq or
// ip_mreqn at IPPROTO_IP (ip_mreqn when 12 bytes or more, as Linux reads
// it), struct ipv6_mreq at IPPROTO_IPV6. EINVAL when too short or when
// the group is not multicast.
func parseMreq(level int, b []byte) (mreq, error) {
	var m mreq
	if level == unix.IPPROTO_IPV6 {
		if len(b) < sizeofIPv6Mreq {
			return m, api.Errorf(syscall.EINVAL, "ipv6_mreq: too short")
		}
		m.group = netip.AddrFrom16([16]byte(b[:16]))
		m.ifindex = int(binary.NativeEndian.Uint32(b[16:20]))
	} else {
		if len(b) < sizeofIPMreq {
			return m, api.Errorf(syscall.EINVAL, "ip_mreq: too short")
		}
		m.group = netip.AddrFrom4([4]byte(b[:4]))
		m.ifaddr = netip.AddrFrom4([4]byte(b[4:8]))
		if len(b) >= sizeofIPMreqn {
			m.ifindex = int(int32(binary.NativeEndian.Uint32(b[8:12])))
		}
	}
	if !m.group.IsMulticast() || m.ifindex < 0 {
		return m, api.Errorf(syscall.EINVAL, "not a multicast group: "+m.group.String())
	}
	if m.ifaddr.IsValid() && m.ifaddr.IsUnspecified() {
		m.ifaddr = netip.Addr{}
	}
	return m, nil
}

// parseMulticastIf decodes IP_MULTICAST_IF's value: struct in_addr (4
// bytes), ip_mreq (8, its interface address) or ip_mreqn (12: index, or
// address). The zero address and index mean "the stack chooses".
func parseMulticastIf(b []byte) (addr netip.Addr, ifindex int, err error) {
	switch {
	case len(b) >= sizeofIPMreqn:
		addr, ifindex = netip.AddrFrom4([4]byte(b[4:8])), int(int32(binary.NativeEndian.Uint32(b[8:12])))
	case len(b) >= sizeofIPMreq:
		addr = netip.AddrFrom4([4]byte(b[4:8]))
	case len(b) >= 4:
		addr = netip.AddrFrom4([4]byte(b[:4]))
	default:
		return addr, 0, api.Errorf(syscall.EINVAL, "IP_MULTICAST_IF: too short")
	}
	if ifindex < 0 {
		return addr, 0, api.Errorf(syscall.EINVAL, "IP_MULTICAST_IF: bad index")
	}
	if addr.IsUnspecified() {
		addr = netip.Addr{}
	}
	return addr, ifindex, nil
}

// setMcastBytes sets a structure-valued multicast option of s.
func (s *socket) setMcastBytes(level, name int, b []byte) error {
	if s.typ == api.SockStream {
		return optError(level, name)
	}
	if level == unix.IPPROTO_IP && name == unix.IP_MULTICAST_IF {
		addr, idx, err := parseMulticastIf(b)
		if err != nil {
			return err
		}
		nic, err := s.set.k.multicastIfNIC(addr, idx)
		if err != nil {
			return err
		}
		o := tcpip.MulticastInterfaceOption{NIC: nic}
		if addr.IsValid() {
			o.InterfaceAddr = tcpip.AddrFrom4(addr.As4())
		}
		return sockOptErr("setsockopt", s.ep.SetSockOpt(&o))
	}
	m, err := parseMreq(level, b)
	if err != nil {
		return err
	}
	join := name == unix.IP_ADD_MEMBERSHIP || name == unix.IPV6_JOIN_GROUP
	return s.set.k.membership(s, m, join)
}

// getMcastBytes reads IP_MULTICAST_IF, as Linux: the struct in_addr of
// the interface address chosen, 0.0.0.0 for none.
func (s *socket) getMcastBytes(level, name int) ([]byte, error) {
	if s.typ == api.SockStream || level != unix.IPPROTO_IP || name != unix.IP_MULTICAST_IF {
		return nil, optError(level, name)
	}
	var o tcpip.MulticastInterfaceOption
	if terr := s.ep.GetSockOpt(&o); terr != nil {
		return nil, tcpipError("getsockopt", terr)
	}
	b := make([]byte, 4)
	if o.InterfaceAddr.Len() == 4 {
		a := o.InterfaceAddr.As4()
		copy(b, a[:])
	}
	return b, nil
}

// mcastHopsOpt is IP_MULTICAST_TTL or IPV6_MULTICAST_HOPS: 0 to 255, -1
// for the default of 1 (as Linux takes it; NetBSD's default too).
func mcastHopsOpt() optDef {
	return optDef{
		set: func(s *socket, v int) error {
			if v < -1 || v > 255 {
				return api.Errorf(syscall.EINVAL, "option value out of range")
			}
			if v == -1 {
				v = 1
			}
			return sockOptErr("setsockopt", s.ep.SetSockOptInt(tcpip.MulticastTTLOption, v))
		},
		get: func(s *socket) (int, error) {
			v, terr := s.ep.GetSockOptInt(tcpip.MulticastTTLOption)
			if terr != nil {
				return 0, tcpipError("getsockopt", terr)
			}
			return v, nil
		},
	}
}

// v6MulticastIfOpt is IPV6_MULTICAST_IF: an interface index, 0 for the
// stack's choice; ENXIO for an index no interface has, as NetBSD.
func v6MulticastIfOpt() optDef {
	return optDef{
		family: 6,
		set: func(s *socket, v int) error {
			if v < 0 {
				return api.Errorf(syscall.EINVAL, "option value out of range")
			}
			if v != 0 && !s.set.k.stack.CheckNIC(tcpip.NICID(v)) {
				return api.Errorf(syscall.ENXIO, "no interface of index "+strconv.Itoa(v))
			}
			return sockOptErr("setsockopt", s.ep.SetSockOptInt(tcpip.IPv6MulticastInterfaceOption, v))
		},
		get: func(s *socket) (int, error) {
			v, terr := s.ep.GetSockOptInt(tcpip.IPv6MulticastInterfaceOption)
			if terr != nil {
				return 0, tcpipError("getsockopt", terr)
			}
			return v, nil
		},
	}
}

// mcastOpts are the integer multicast options, merged into intOpts.
var mcastOpts = map[optKey]optDef{
	{unix.IPPROTO_IP, unix.IP_MULTICAST_TTL}:      mcastHopsOpt(),
	{unix.IPPROTO_IP, unix.IP_MULTICAST_LOOP}:     flagOpt((*sockOpts).GetMulticastLoop, (*sockOpts).SetMulticastLoop, false),
	{unix.IPPROTO_IPV6, unix.IPV6_MULTICAST_HOPS}: only(mcastHopsOpt(), 6, false),
	{unix.IPPROTO_IPV6, unix.IPV6_MULTICAST_LOOP}: only(flagOpt((*sockOpts).GetMulticastLoop, (*sockOpts).SetMulticastLoop, false), 6, false),
	{unix.IPPROTO_IPV6, unix.IPV6_MULTICAST_IF}:   v6MulticastIfOpt(),
}

func init() {
	for k, d := range mcastOpts {
		intOpts[k] = datagramOnly(d)
	}
}

// datagramOnly makes d ENOPROTOOPT on stream sockets.
func datagramOnly(d optDef) optDef {
	set, get := d.set, d.get
	d.set = func(s *socket, v int) error {
		if s.typ == api.SockStream {
			return api.Errorf(syscall.ENOPROTOOPT, "multicast option on a stream socket")
		}
		return set(s, v)
	}
	d.get = func(s *socket) (int, error) {
		if s.typ == api.SockStream {
			return 0, api.Errorf(syscall.ENOPROTOOPT, "multicast option on a stream socket")
		}
		return get(s)
	}
	return d
}
