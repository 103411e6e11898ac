package hostbr

// Bridge-wide attributes (IFLA_BR_*), read and written with raw rtnetlink
// requests built with the netlink library's nl package: the library's
// Bridge type carries only the ageing and hello times, not the spanning
// tree settings, the priority or the forwarding database flush.
//
// Linux gives times in clock ticks of USER_HZ (centiseconds); NetBSD's
// commands take seconds.

import (
	"github.com/vishvananda/netlink/nl"
	"golang.org/x/sys/unix"
)

// attrTypeMask strips the nested and byte-order bits from an attribute's
// type.
const attrTypeMask = 0x3fff

// ticksPerSecond is USER_HZ, the unit of the bridge's times on the wire.
const ticksPerSecond = 100

// bridgeAttrs are the IFLA_BR_* attributes of one bridge, by type.
type bridgeAttrs map[uint16][]byte

func (a bridgeAttrs) u16(t uint16) int {
	if v := a[t]; len(v) >= 2 {
		return int(nl.NativeEndian().Uint16(v))
	}
	return 0
}

func (a bridgeAttrs) u32(t uint16) int {
	if v := a[t]; len(v) >= 4 {
		return int(nl.NativeEndian().Uint32(v))
	}
	return 0
}

// seconds reads a time attribute in whole seconds.
func (a bridgeAttrs) seconds(t uint16) int { return a.u32(t) / ticksPerSecond }

// readBridgeAttrs asks the kernel for the link with index idx and returns
// its bridge attributes (IFLA_LINKINFO / IFLA_INFO_DATA).
func readBridgeAttrs(idx int) (bridgeAttrs, error) {
	req := nl.NewNetlinkRequest(unix.RTM_GETLINK, unix.NLM_F_ACK)
	msg := nl.NewIfInfomsg(unix.AF_UNSPEC)
	msg.Index = int32(idx)
	req.AddData(msg)
	msgs, err := req.Execute(unix.NETLINK_ROUTE, unix.RTM_NEWLINK)
	if err != nil {
		return nil, err
	}
	out := bridgeAttrs{}
	for _, m := range msgs {
		ifi := nl.DeserializeIfInfomsg(m)
		attrs, err := nl.ParseRouteAttr(m[ifi.Len():])
		if err != nil {
			return nil, err
		}
		for _, a := range attrs {
			if a.Attr.Type&attrTypeMask != unix.IFLA_LINKINFO {
				continue
			}
			infos, err := nl.ParseRouteAttr(a.Value)
			if err != nil {
				return nil, err
			}
			for _, info := range infos {
				if info.Attr.Type&attrTypeMask != nl.IFLA_INFO_DATA {
					continue
				}
				data, err := nl.ParseRouteAttr(info.Value)
				if err != nil {
					return nil, err
				}
				for _, d := range data {
					out[d.Attr.Type&attrTypeMask] = d.Value
				}
			}
		}
	}
	return out, nil
}

// writeBridgeAttr changes one attribute of the bridge with index idx
// (RTM_NEWLINK on an existing link: the bridge's changelink).
func writeBridgeAttr(idx int, attr int, value []byte) error {
	req := nl.NewNetlinkRequest(unix.RTM_NEWLINK, unix.NLM_F_ACK)
	msg := nl.NewIfInfomsg(unix.AF_UNSPEC)
	msg.Index = int32(idx)
	req.AddData(msg)
	info := nl.NewRtAttr(unix.IFLA_LINKINFO, nil)
	info.AddRtAttr(nl.IFLA_INFO_KIND, nl.NonZeroTerminated("bridge"))
	data := info.AddRtAttr(nl.IFLA_INFO_DATA, nil)
	data.AddRtAttr(attr, value)
	req.AddData(info)
	_, err := req.Execute(unix.NETLINK_ROUTE, 0)
	return err
}
