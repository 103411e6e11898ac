package hosttap

import (
	"encoding/binary"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// linkKind looks the host network device name up with a netlink link dump
// and returns its kind ("tun", "veth", "bridge"; "" for a device without
// one, such as lo or a physical NIC) and, for a tun device, whether it is
// a tap. found is false if there is no such device. The few attributes
// needed are read here rather than through a netlink library, which would
// add to every rump_server's memory.
func linkKind(name string) (kind string, tap, found bool, err error) {
	rib, err := syscall.NetlinkRIB(unix.RTM_GETLINK, unix.AF_UNSPEC)
	if err != nil {
		return "", false, false, err
	}
	msgs, err := syscall.ParseNetlinkMessage(rib)
	if err != nil {
		return "", false, false, err
	}
	for i := range msgs {
		if msgs[i].Header.Type != unix.RTM_NEWLINK {
			continue
		}
		attrs, err := syscall.ParseNetlinkRouteAttr(&msgs[i])
		if err != nil {
			continue
		}
		var ifname string
		var info []byte
		for _, a := range attrs {
			switch a.Attr.Type {
			case unix.IFLA_IFNAME:
				ifname = strings.TrimRight(string(a.Value), "\x00")
			case unix.IFLA_LINKINFO:
				info = a.Value
			}
		}
		if ifname != name {
			continue
		}
		for t, v := range rtattrs(info) {
			switch t {
			case unix.IFLA_INFO_KIND:
				kind = strings.TrimRight(string(v), "\x00")
			case unix.IFLA_INFO_DATA:
				for dt, dv := range rtattrs(v) {
					if dt == unix.IFLA_TUN_TYPE && len(dv) > 0 {
						tap = dv[0] == unix.IFF_TAP
					}
				}
			}
		}
		return kind, tap && kind == "tun", true, nil
	}
	return "", false, false, nil
}

// rtattrs iterates over the netlink attributes (type, value) packed in b,
// stopping at the first malformed one.
func rtattrs(b []byte) func(yield func(uint16, []byte) bool) {
	return func(yield func(uint16, []byte) bool) {
		for len(b) >= unix.SizeofRtAttr {
			l := int(binary.NativeEndian.Uint16(b))
			t := binary.NativeEndian.Uint16(b[2:]) &^ unix.NLA_F_NESTED
			if l < unix.SizeofRtAttr || l > len(b) {
				return
			}
			if !yield(t, b[unix.SizeofRtAttr:l]) {
				return
			}
			b = b[min(len(b), (l+unix.RTA_ALIGNTO-1)&^(unix.RTA_ALIGNTO-1)):]
		}
	}
}
