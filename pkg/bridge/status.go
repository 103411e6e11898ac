package bridge

import (
	"time"

	"github.com/rumpnet/rumpnet/pkg/api"
)

// Status returns the bridge's configuration, its members and its address
// cache, both newest first, as brconfig lists them. Name and Flags are left
// for the caller, which owns the bridge interface. A member's State is its
// spanning-tree state with STP; without STP it is forwarding, or disabled
// while the bridge is down or the member's link is. A dynamic entry's
// Expire is the whole seconds it has left, 0 if it never expires.
func (b *Bridge) Status() api.BridgeStatus {
	b.mu.RLock()
	defer b.mu.RUnlock()
	s := api.BridgeStatus{
		Priority:  b.stp.priority,
		HelloTime: b.stp.helloSecs,
		FwdDelay:  b.stp.fwdDelaySecs,
		MaxAge:    b.stp.maxAgeSecs,
		IPFilter:  b.ipfilter,
		MaxAddr:   b.cache.max,
		Timeout:   int(b.cache.timeout / time.Second),
		Members:   make([]api.BridgeMember, 0, len(b.order)),
		Cache:     make([]api.BridgeAddr, 0, len(b.cache.m)),
	}
	for i := len(b.order) - 1; i >= 0; i-- {
		p := b.order[i]
		st := stateDisabled
		if b.up {
			st = p.state()
		}
		s.Members = append(s.Members, api.BridgeMember{
			Name:     p.name,
			Flags:    p.flags,
			Port:     p.index,
			Priority: p.priority,
			PathCost: p.pathCost,
			State:    st.String(),
		})
	}
	now := b.nanos(b.now())
	limits := b.agingLimitsLocked()
	for _, e := range b.cache.newestFirst() {
		a := api.BridgeAddr{MAC: e.addr.String(), Member: e.port.name}
		if e.static {
			a.Flags = api.IFBAF_STATIC
		} else if left, ok := limits.left(e.seen.Load(), now); ok && left > 0 {
			a.Expire = int(left / time.Second)
		}
		s.Cache = append(s.Cache, a)
	}
	return s
}
