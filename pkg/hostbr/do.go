package hostbr

import (
	"syscall"

	"github.com/rumpnet/rumpnet/pkg/api"
	"github.com/vishvananda/netlink/nl"
)

// Do applies one rbrconfig change to the bridge called name.
func (h *Host) Do(name string, req api.BridgeRequest) error {
	br, err := bridgeLink(name)
	if err != nil {
		return err
	}
	switch req.Op {
	case api.BridgeAdd:
		return addMember(br, req.Member)
	case api.BridgeDelete:
		return deleteMember(br, req.Member)
	case api.BridgeMemberFlag:
		return setMemberFlag(br, req.Member, req.Value, req.On)
	case api.BridgeIfPriority:
		return setPortValue(br, req.Member, "ifpriority", nl.IFLA_BRPORT_PRIORITY, nl.Uint16Attr(uint16(req.Value)))
	case api.BridgeIfPathCost:
		return setPortValue(br, req.Member, "ifpathcost", nl.IFLA_BRPORT_COST, nl.Uint32Attr(uint32(req.Value)))
	case api.BridgeStatic:
		m, err := memberLink(br, req.Member)
		if err != nil {
			return err
		}
		return addStatic(br, m, req.MAC)
	case api.BridgeDelAddr:
		return delAddr(br, req.MAC)
	case api.BridgeFlush:
		return flush(br, false)
	case api.BridgeFlushAll:
		return flush(br, true)
	case api.BridgeTimeout:
		return setTimeout(br, req.Value)
	case api.BridgePriority:
		return setPriority(br, req.Value)
	case api.BridgeHelloTime:
		return setTime(br, "hellotime", nl.IFLA_BR_HELLO_TIME, req.Value)
	case api.BridgeFwdDelay:
		return setTime(br, "fwddelay", nl.IFLA_BR_FORWARD_DELAY, req.Value)
	case api.BridgeMaxAge:
		return setTime(br, "maxage", nl.IFLA_BR_MAX_AGE, req.Value)
	case api.BridgeMaxAddr:
		return unsupported("maxaddr: the Linux host backend does not limit the size of a bridge's address cache")
	case api.BridgeIPF:
		if req.On {
			return unsupported("ipf: Linux bridges have no ipf(4) hook; the host backend cannot turn on packet filtering")
		}
		return nil // already off
	}
	return api.Errorf(syscall.EINVAL, "unknown bridge operation "+req.Op)
}
