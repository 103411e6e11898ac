package hijack

// Byte layouts the supervisor reads from and writes to the program: struct
// sockaddr_in and sockaddr_in6, struct msghdr, struct iovec, and the address
// header of an unconnected datagram on a session pair (doc/sockets.md).
// Everything here is pure, so the fuzz targets can feed it anything.

import (
	"encoding/binary"
	"net/netip"
	"syscall"

	"golang.org/x/sys/unix"
)

// Sizes of the structures on x86_64.
const (
	sizeofSockaddrIn  = 16
	sizeofSockaddrIn6 = 28
	sizeofMsghdr      = 56
	sizeofMmsghdr     = 64
	sizeofIovec       = 16
	maxHeader         = 1 + 2 + 16 + 4 + 16
	sizeofCmsghdr     = 16
)

// headerInfoFlag, in an address header's family byte, says packet info
// follows the address: interface index (4 bytes, network order), then an
// address as long as the header's.
const headerInfoFlag = 0x80

// pktInfo is the packet info of an unconnected datagram: from the server,
// the interface it came in on and the address it was sent to; from the
// program, the interface and source address to send it with.
type pktInfo struct {
	ok      bool
	ifindex uint32
	addr    netip.Addr
}

// decodeSockaddr reads a sockaddr of family AF_INET or AF_INET6. A wrong
// length is EINVAL, another family EAFNOSUPPORT, as Linux answers.
func decodeSockaddr(b []byte) (netip.AddrPort, error) {
	if len(b) < 2 {
		return netip.AddrPort{}, syscall.EINVAL
	}
	fam := binary.LittleEndian.Uint16(b)
	switch fam {
	case unix.AF_INET:
		if len(b) < sizeofSockaddrIn {
			return netip.AddrPort{}, syscall.EINVAL
		}
		port := binary.BigEndian.Uint16(b[2:])
		return netip.AddrPortFrom(netip.AddrFrom4([4]byte(b[4:8])), port), nil
	case unix.AF_INET6:
		if len(b) < 24 { // sin6_scope_id may be left out (RFC 2133 size)
			return netip.AddrPort{}, syscall.EINVAL
		}
		port := binary.BigEndian.Uint16(b[2:])
		a := netip.AddrFrom16([16]byte(b[8:24]))
		return netip.AddrPortFrom(a, port), nil
	case unix.AF_UNSPEC:
		return netip.AddrPort{}, syscall.EAFNOSUPPORT
	}
	return netip.AddrPort{}, syscall.EAFNOSUPPORT
}

// encodeSockaddr writes ap as a sockaddr of family: an IPv4 address on an
// AF_INET6 socket becomes a v4-mapped one.
func encodeSockaddr(family int, ap netip.AddrPort) []byte {
	if family == unix.AF_INET {
		b := make([]byte, sizeofSockaddrIn)
		binary.LittleEndian.PutUint16(b, unix.AF_INET)
		binary.BigEndian.PutUint16(b[2:], ap.Port())
		a4 := ap.Addr().Unmap().As4()
		copy(b[4:], a4[:])
		return b
	}
	b := make([]byte, sizeofSockaddrIn6)
	binary.LittleEndian.PutUint16(b, unix.AF_INET6)
	binary.BigEndian.PutUint16(b[2:], ap.Port())
	a16 := ap.Addr().As16()
	copy(b[8:], a16[:])
	return b
}

// sessionAddr is the address as the session wants it for a socket of
// family: a v4-mapped address on an AF_INET6 socket stays IPv6 only when
// the socket is IPv6; the stack maps it itself.
func sessionAddr(family int, ap netip.AddrPort) netip.AddrPort {
	if family == unix.AF_INET {
		return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	}
	return ap
}

// encodeHeader returns the address header of an unconnected datagram.
func encodeHeader(ap netip.AddrPort) []byte {
	return encodeHeaderInfo(ap, pktInfo{})
}

// encodeHeaderInfo returns the address header of an unconnected datagram
// with its packet info, when info.ok. The info's address takes the
// header's family: IPv4 mapped when the destination is IPv6, the
// unspecified address when it is of the other family.
func encodeHeaderInfo(ap netip.AddrPort, info pktInfo) []byte {
	b := make([]byte, 0, maxHeader)
	a := ap.Addr().Unmap()
	if !a.Is4() {
		a = ap.Addr()
	}
	fam := byte(6)
	if a.Is4() {
		fam = 4
	}
	if info.ok {
		fam |= headerInfoFlag
	}
	b = append(b, fam)
	b = binary.BigEndian.AppendUint16(b, ap.Port())
	b = append(b, a.AsSlice()...)
	if !info.ok {
		return b
	}
	b = binary.BigEndian.AppendUint32(b, info.ifindex)
	src := info.addr.Unmap()
	switch {
	case a.Is4() && src.Is4():
		return append(b, src.AsSlice()...)
	case a.Is4():
		return append(b, 0, 0, 0, 0)
	case src.IsValid():
		s16 := src.As16()
		return append(b, s16[:]...)
	}
	return append(b, make([]byte, 16)...)
}

// decodeHeader splits a message from the pair into its source address and
// payload.
func decodeHeader(b []byte) (netip.AddrPort, []byte, error) {
	ap, _, payload, err := decodeHeaderInfo(b)
	return ap, payload, err
}

// decodeHeaderInfo splits a message from the pair into its source
// address, packet info and payload.
func decodeHeaderInfo(b []byte) (netip.AddrPort, pktInfo, []byte, error) {
	if len(b) < 3 {
		return netip.AddrPort{}, pktInfo{}, nil, syscall.EPROTO
	}
	port := binary.BigEndian.Uint16(b[1:])
	alen := 0
	switch b[0] &^ headerInfoFlag {
	case 4:
		alen = 4
	case 6:
		alen = 16
	default:
		return netip.AddrPort{}, pktInfo{}, nil, syscall.EPROTO
	}
	need := 3 + alen
	hasInfo := b[0]&headerInfoFlag != 0
	if hasInfo {
		need += 4 + alen
	}
	if len(b) < need {
		return netip.AddrPort{}, pktInfo{}, nil, syscall.EPROTO
	}
	a, _ := netip.AddrFromSlice(b[3 : 3+alen])
	var info pktInfo
	if hasInfo {
		info.ok = true
		info.ifindex = binary.BigEndian.Uint32(b[3+alen:])
		info.addr, _ = netip.AddrFromSlice(b[7+alen : need])
	}
	return netip.AddrPortFrom(a, port), info, b[need:], nil
}

// encodePktinfoCmsg is the control message Linux gives a recvmsg for a
// datagram's packet info on a socket of family: IP_PKTINFO (struct
// in_pktinfo, the destination as both ipi_spec_dst and ipi_addr) or
// IPV6_PKTINFO (struct in6_pktinfo), padded to its CMSG_SPACE.
func encodePktinfoCmsg(family int, info pktInfo) []byte {
	var data []byte
	level, typ := unix.IPPROTO_IPV6, unix.IPV6_PKTINFO
	if family == unix.AF_INET {
		level, typ = unix.IPPROTO_IP, unix.IP_PKTINFO
		a4 := info.addr.Unmap().As4()
		if !info.addr.Unmap().Is4() {
			a4 = [4]byte{}
		}
		data = binary.LittleEndian.AppendUint32(nil, info.ifindex)
		data = append(append(data, a4[:]...), a4[:]...)
	} else {
		var a16 [16]byte
		if info.addr.IsValid() {
			a16 = info.addr.As16()
		}
		data = binary.LittleEndian.AppendUint32(append([]byte(nil), a16[:]...), info.ifindex)
	}
	b := make([]byte, cmsgSpace(len(data)))
	binary.LittleEndian.PutUint64(b, uint64(sizeofCmsghdr+len(data)))
	binary.LittleEndian.PutUint32(b[8:], uint32(level))
	binary.LittleEndian.PutUint32(b[12:], uint32(typ))
	copy(b[sizeofCmsghdr:], data)
	return b
}

// cmsgSpace is CMSG_SPACE(n) on x86_64.
func cmsgSpace(n int) int { return sizeofCmsghdr + (n+7)&^7 }

// decodeSendPktinfo finds the packet info a sendmsg's control data asks
// to send with: IPV6_PKTINFO (source ipi6_addr, ipi6_ifindex) or
// IP_PKTINFO (source ipi_spec_dst, ipi_ifindex). Other messages are
// ignored; ok is false when there is none.
func decodeSendPktinfo(b []byte) pktInfo {
	le := binary.LittleEndian
	for len(b) >= sizeofCmsghdr {
		n := le.Uint64(b)
		if n < sizeofCmsghdr || n > uint64(len(b)) {
			break
		}
		level, typ, data := int(int32(le.Uint32(b[8:]))), int(int32(le.Uint32(b[12:]))), b[sizeofCmsghdr:n]
		switch {
		case level == unix.IPPROTO_IPV6 && typ == unix.IPV6_PKTINFO && len(data) >= 20:
			return pktInfo{ok: true, ifindex: le.Uint32(data[16:]), addr: netip.AddrFrom16([16]byte(data[:16]))}
		case level == unix.IPPROTO_IP && typ == unix.IP_PKTINFO && len(data) >= 12:
			return pktInfo{ok: true, ifindex: le.Uint32(data), addr: netip.AddrFrom4([4]byte(data[4:8]))}
		}
		next := (n + 7) &^ 7
		if next >= uint64(len(b)) {
			break
		}
		b = b[next:]
	}
	return pktInfo{}
}

// msghdr is struct msghdr as the program holds it.
type msghdr struct {
	Name       uint64
	NameLen    uint32
	Iov        uint64
	IovLen     uint64
	Control    uint64
	ControlLen uint64
	Flags      int32
}

func decodeMsghdr(b []byte) msghdr {
	le := binary.LittleEndian
	return msghdr{
		Name:       le.Uint64(b[0:]),
		NameLen:    le.Uint32(b[8:]),
		Iov:        le.Uint64(b[16:]),
		IovLen:     le.Uint64(b[24:]),
		Control:    le.Uint64(b[32:]),
		ControlLen: le.Uint64(b[40:]),
		Flags:      int32(le.Uint32(b[48:])),
	}
}

// iovec is one struct iovec.
type iovec struct {
	Base uint64
	Len  uint64
}

func decodeIovecs(b []byte) []iovec {
	v := make([]iovec, len(b)/sizeofIovec)
	for i := range v {
		v[i].Base = binary.LittleEndian.Uint64(b[i*sizeofIovec:])
		v[i].Len = binary.LittleEndian.Uint64(b[i*sizeofIovec+8:])
	}
	return v
}

// maxIov is Linux's UIO_MAXIOV.
const maxIov = 1024

// u32 and u64 encode little-endian integers for the program's memory.
func u32(v uint32) []byte { return binary.LittleEndian.AppendUint32(nil, v) }
func u64(v uint64) []byte { return binary.LittleEndian.AppendUint64(nil, v) }
