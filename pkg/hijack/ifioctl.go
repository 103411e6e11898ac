package hijack

// SIOCGIFNAME and SIOCGIFINDEX on a rump socket. The program's view of
// interfaces is the host's (its netlink and its other sockets are the
// host's), so the host answers first; but the interface indexes a rump
// socket reports (IP_PKTINFO, IPV6_PKTINFO) are the kernel's, so an index
// or name the host does not have is the kernel's to answer. dnsmasq
// names the host's interfaces with these ioctls at start, and the
// interface of every query after.

import (
	"bytes"
	"encoding/binary"
	"net"
	"syscall"

	"golang.org/x/sys/unix"
)

// ifreq offsets: the name, then the union (ifr_ifindex).
const (
	ifNameSize  = unix.IFNAMSIZ
	ifreqIndex  = ifNameSize
	sizeofIfreq = 40
)

func (s *Supervisor) ifIoctl(c *call, k *sock) reply {
	req, at := uint32(c.arg(1)), c.arg(2)
	switch req {
	case unix.SIOCGIFNAME:
		b, err := c.p.read(at, sizeofIfreq)
		if err != nil {
			return fail(syscall.EFAULT)
		}
		if !s.valid(c.n.ID) {
			return fail(syscall.EINTR)
		}
		idx := int(int32(binary.LittleEndian.Uint32(b[ifreqIndex:])))
		var name string
		if ifi, err := net.InterfaceByIndex(idx); err == nil {
			name = ifi.Name
		} else if name, err = s.backend.IfName(idx); err != nil {
			return failErr(err)
		}
		if c.p.write(at, ifName(name)) != nil {
			return fail(syscall.EFAULT)
		}
		return ret(0)
	case unix.SIOCGIFINDEX:
		b, err := c.p.read(at, sizeofIfreq)
		if err != nil {
			return fail(syscall.EFAULT)
		}
		if !s.valid(c.n.ID) {
			return fail(syscall.EINTR)
		}
		name := b[:ifNameSize]
		if i := bytes.IndexByte(name, 0); i >= 0 {
			name = name[:i]
		}
		var idx int
		if ifi, err := net.InterfaceByName(string(name)); err == nil {
			idx = ifi.Index
		} else if idx, err = s.backend.IfIndex(string(name)); err != nil {
			return failErr(err)
		}
		if c.p.write(at+ifreqIndex, u32(uint32(idx))) != nil {
			return fail(syscall.EFAULT)
		}
		return ret(0)
	}
	return cont()
}

// ifName is an interface name as ifr_name holds it: NUL-terminated in
// IFNAMSIZ bytes.
func ifName(name string) []byte {
	b := make([]byte, ifNameSize)
	copy(b[:ifNameSize-1], name)
	return b
}
