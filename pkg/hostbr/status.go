package hostbr

import (
	"sort"

	"github.com/rumpnet/rumpnet/pkg/api"
	"github.com/vishvananda/netlink/nl"
)

// stpStates are the names of the kernel's port states (BR_STATE_*), which
// number them as NetBSD does.
var stpStates = []string{api.STPDisabled, api.STPListening, api.STPLearning, api.STPForwarding, api.STPBlocking}

// Status assembles what rbrconfig shows about the bridge called name.
func (h *Host) Status(name string) (api.BridgeStatus, error) {
	flags, err := h.Flags(name)
	if err != nil {
		return api.BridgeStatus{}, err
	}
	br, err := bridgeLink(name)
	if err != nil {
		return api.BridgeStatus{}, err
	}
	idx := br.Attrs().Index
	attrs, err := readBridgeAttrs(idx)
	if err != nil {
		return api.BridgeStatus{}, kernelError(err, "read the settings of "+name)
	}
	st := api.BridgeStatus{
		Name:      name,
		Flags:     flags,
		Priority:  attrs.u16(nl.IFLA_BR_PRIORITY),
		HelloTime: attrs.seconds(nl.IFLA_BR_HELLO_TIME),
		FwdDelay:  attrs.seconds(nl.IFLA_BR_FORWARD_DELAY),
		MaxAge:    attrs.seconds(nl.IFLA_BR_MAX_AGE),
		Timeout:   attrs.seconds(nl.IFLA_BR_AGEING_TIME),
		Members:   []api.BridgeMember{},
		Cache:     []api.BridgeAddr{},
	}
	stp := attrs.u32(nl.IFLA_BR_STP_STATE) != 0
	ps, err := ports(idx)
	if err != nil {
		return api.BridgeStatus{}, kernelError(err, "list the ports of "+name)
	}
	sort.SliceStable(ps, func(i, j int) bool { return ps[i].no > ps[j].no })
	names := map[int]string{}
	for _, p := range ps {
		names[p.index] = p.name
		st.Members = append(st.Members, member(p, stp))
	}
	entries, err := fdbEntries(idx)
	if err != nil {
		return api.BridgeStatus{}, err
	}
	ageing := attrs.u32(nl.IFLA_BR_AGEING_TIME)
	for _, n := range entries {
		st.Cache = append(st.Cache, cacheEntry(n, names, ageing))
	}
	return st, nil
}

// member maps a port onto NetBSD's member description.
func member(p port, stp bool) api.BridgeMember {
	m := api.BridgeMember{Name: p.name, Port: p.index, Priority: p.priority, PathCost: p.cost}
	if p.learning {
		m.Flags |= api.IFBIF_LEARNING
	}
	if p.flood {
		m.Flags |= api.IFBIF_DISCOVER
	}
	if stp {
		m.Flags |= api.IFBIF_STP
	}
	if p.isolated {
		m.Flags |= api.IFBIF_PROTECTED
	}
	if p.state >= 0 && p.state < len(stpStates) {
		m.State = stpStates[p.state]
	}
	return m
}
