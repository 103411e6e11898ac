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
	maxHeader         = 1 + 2 + 16
)

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
	a := ap.Addr().Unmap()
	if a.Is4() {
		b := make([]byte, 0, 7)
		b = append(b, 4)
		b = binary.BigEndian.AppendUint16(b, ap.Port())
		return append(b, a.AsSlice()...)
	}
	b := make([]byte, 0, 19)
	b = append(b, 6)
	b = binary.BigEndian.AppendUint16(b, ap.Port())
	return append(b, ap.Addr().AsSlice()...)
}

// decodeHeader splits a message from the pair into its source address and
// payload.
func decodeHeader(b []byte) (netip.AddrPort, []byte, error) {
	if len(b) < 3 {
		return netip.AddrPort{}, nil, syscall.EPROTO
	}
	port := binary.BigEndian.Uint16(b[1:])
	switch b[0] {
	case 4:
		if len(b) < 7 {
			return netip.AddrPort{}, nil, syscall.EPROTO
		}
		return netip.AddrPortFrom(netip.AddrFrom4([4]byte(b[3:7])), port), b[7:], nil
	case 6:
		if len(b) < 19 {
			return netip.AddrPort{}, nil, syscall.EPROTO
		}
		return netip.AddrPortFrom(netip.AddrFrom16([16]byte(b[3:19])), port), b[19:], nil
	}
	return netip.AddrPort{}, nil, syscall.EPROTO
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
