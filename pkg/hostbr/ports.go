package hostbr

// Bridge ports: their settings come from one AF_BRIDGE link dump, in
// which the kernel describes every bridge port with its master's index and
// its IFLA_BRPORT_* attributes. Priority and cost are written with
// AF_BRIDGE RTM_SETLINK requests, which the library has no call for.

import (
	"errors"
	"strings"

	"github.com/rumpnet/rumpnet/internal/nldump"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netlink/nl"
	"golang.org/x/sys/unix"
)

// port is one member of a bridge as the kernel describes it.
type port struct {
	name     string
	index    int
	no       int // the bridge's own port number
	state    int // BR_STATE_*: the same numbers as NetBSD's STP states
	priority int
	cost     int
	learning bool
	flood    bool
	isolated bool
}

// ports lists the members of the bridge with index bridgeIdx.
func ports(bridgeIdx int) ([]port, error) {
	var msgs [][]byte
	err := nldump.Retry(func() (err error) {
		req := nl.NewNetlinkRequest(unix.RTM_GETLINK, unix.NLM_F_DUMP)
		req.AddData(nl.NewIfInfomsg(unix.AF_BRIDGE))
		msgs, err = req.Execute(unix.NETLINK_ROUTE, unix.RTM_NEWLINK)
		return err
	})
	if err != nil && !errors.Is(err, netlink.ErrDumpInterrupted) {
		return nil, err
	}
	var out []port
	for _, m := range msgs {
		p, master, err := parsePort(m)
		if err != nil {
			return nil, err
		}
		if master == bridgeIdx && p.index != bridgeIdx {
			out = append(out, p)
		}
	}
	return out, nil
}

// parsePort reads one message of the AF_BRIDGE dump: the port and the
// index of its master (0 if none).
func parsePort(m []byte) (port, int, error) {
	ifi := nl.DeserializeIfInfomsg(m)
	p := port{index: int(ifi.Index)}
	master := 0
	attrs, err := nl.ParseRouteAttr(m[ifi.Len():])
	if err != nil {
		return p, 0, err
	}
	ne := nl.NativeEndian()
	for _, a := range attrs {
		switch a.Attr.Type & attrTypeMask {
		case unix.IFLA_IFNAME:
			p.name = strings.TrimRight(string(a.Value), "\x00")
		case unix.IFLA_MASTER:
			if len(a.Value) >= 4 {
				master = int(ne.Uint32(a.Value))
			}
		case unix.IFLA_PROTINFO:
			infos, err := nl.ParseRouteAttr(a.Value)
			if err != nil {
				return p, 0, err
			}
			for _, i := range infos {
				v := i.Value
				switch i.Attr.Type & attrTypeMask {
				case nl.IFLA_BRPORT_STATE:
					p.state = int(byteAt(v))
				case nl.IFLA_BRPORT_PRIORITY:
					if len(v) >= 2 {
						p.priority = int(ne.Uint16(v))
					}
				case nl.IFLA_BRPORT_COST:
					if len(v) >= 4 {
						p.cost = int(ne.Uint32(v))
					}
				case nl.IFLA_BRPORT_NO:
					if len(v) >= 2 {
						p.no = int(ne.Uint16(v))
					}
				case nl.IFLA_BRPORT_LEARNING:
					p.learning = byteAt(v) != 0
				case nl.IFLA_BRPORT_UNICAST_FLOOD:
					p.flood = byteAt(v) != 0
				case nl.IFLA_BRPORT_ISOLATED:
					p.isolated = byteAt(v) != 0
				}
			}
		}
	}
	return p, master, nil
}

func byteAt(v []byte) byte {
	if len(v) == 0 {
		return 0
	}
	return v[0]
}

// writePortAttr sets one IFLA_BRPORT_* attribute of the port with index
// idx.
func writePortAttr(idx int, attr int, value []byte) error {
	req := nl.NewNetlinkRequest(unix.RTM_SETLINK, unix.NLM_F_ACK)
	msg := nl.NewIfInfomsg(unix.AF_BRIDGE)
	msg.Index = int32(idx)
	req.AddData(msg)
	info := nl.NewRtAttr(unix.IFLA_PROTINFO|unix.NLA_F_NESTED, nil)
	info.AddRtAttr(attr, value)
	req.AddData(info)
	_, err := req.Execute(unix.NETLINK_ROUTE, 0)
	return err
}
