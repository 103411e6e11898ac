package bridge

// Configuration changes: one api.BridgeRequest at a time, with brconfig's
// ranges and NetBSD's errnos, so that the control server can pass requests
// through unchanged. Range checks come before member lookups, as brconfig
// checks values before the kernel looks the member up.

import (
	"fmt"
	"strconv"
	"strings"
	"syscall"

	"github.com/rumpnet/rumpnet/pkg/api"
)

// Do applies one request. Every op of pkg/api's bridge requests is handled
// except "add", which needs the member's Port (use AddPort) and fails with
// EINVAL. Errors carry NetBSD's errno: EINVAL for an unknown op, a value out
// of range or a bad MAC address; ENOENT for a member that is not one or a
// cache entry that does not exist; ENOSPC for a static entry that would
// exceed maxaddr.
//
// Ranges: maxaddr and timeout 0..2^32-1 (timeout 0: never age), priority
// 0..65535, hellotime, fwddelay and maxage 1..255 seconds, ifpriority and
// ifpathcost 0..255. "memberflag" takes exactly one IFBIF_* bit in Value.
// "ipf" is recorded and shown but the bridge has no packet filter hook.
func (b *Bridge) Do(req api.BridgeRequest) error {
	switch req.Op {
	case api.BridgeAdd:
		return api.Errorf(syscall.EINVAL, "add "+req.Member+": needs the member's port")
	case api.BridgeDelete:
		return b.DeletePort(req.Member)
	case api.BridgeStatic:
		return b.doStatic(req)
	case api.BridgeDelAddr:
		return b.doDelAddr(req)
	case api.BridgeFlush, api.BridgeFlushAll:
		return b.changeBridge(func() (bool, error) {
			b.cache.flush(req.Op == api.BridgeFlushAll)
			return false, nil
		})
	case api.BridgeMaxAddr:
		return b.doMaxAddr(req)
	case api.BridgeTimeout:
		if err := checkRange(req, 0, maxUint32); err != nil {
			return err
		}
		return b.changeBridge(func() (bool, error) {
			b.cache.timeout = seconds(req.Value)
			return false, nil
		})
	case api.BridgeMemberFlag:
		return b.doMemberFlag(req)
	case api.BridgeIPF:
		return b.changeBridge(func() (bool, error) {
			b.ipfilter = req.On
			return false, nil
		})
	case api.BridgePriority, api.BridgeHelloTime, api.BridgeFwdDelay, api.BridgeMaxAge:
		return b.doSTPParam(req)
	case api.BridgeIfPriority, api.BridgeIfPathCost:
		return b.doPortParam(req)
	}
	return api.Errorf(syscall.EINVAL, fmt.Sprintf("unknown bridge operation %q", req.Op))
}

// maxUint32 bounds maxaddr and timeout, which NetBSD keeps in 32 bits.
const maxUint32 = 1<<32 - 1

// checkRange fails with EINVAL unless lo <= req.Value <= hi.
func checkRange(req api.BridgeRequest, lo, hi int64) error {
	if v := int64(req.Value); v < lo || v > hi {
		return api.Errorf(syscall.EINVAL, fmt.Sprintf("%s %d: not in %d..%d", req.Op, req.Value, lo, hi))
	}
	return nil
}

// changeBridge runs change under the write lock and re-runs the spanning
// tree initialisation if it says so.
func (b *Bridge) changeBridge(change func() (reinit bool, err error)) error {
	b.mu.Lock()
	reinit, err := change()
	if reinit {
		b.stpInitLocked()
	}
	b.flushLocked()
	return err
}

// changeMember is changeBridge for the member called name: ENOENT if it is
// not one.
func (b *Bridge) changeMember(op, name string, change func(p *port) (reinit bool, err error)) error {
	return b.changeBridge(func() (bool, error) {
		p, ok := b.ports[name]
		if !ok {
			return false, api.Errorf(syscall.ENOENT, op+" "+name)
		}
		return change(p)
	})
}

func (b *Bridge) doStatic(req api.BridgeRequest) error {
	addr, err := parseMAC(req.MAC)
	if err != nil || addr.isGroup() || addr == (mac{}) {
		return api.Errorf(syscall.EINVAL, "static "+req.MAC+": invalid address")
	}
	return b.changeMember(req.Op, req.Member, func(p *port) (bool, error) {
		if !b.cache.setStatic(addr, p) {
			return false, api.Errorf(syscall.ENOSPC, "static "+req.MAC+": cache full")
		}
		return false, nil
	})
}

func (b *Bridge) doDelAddr(req api.BridgeRequest) error {
	addr, err := parseMAC(req.MAC)
	if err != nil {
		return api.Errorf(syscall.EINVAL, "deladdr "+req.MAC+": invalid address")
	}
	return b.changeBridge(func() (bool, error) {
		if !b.cache.remove(addr) {
			return false, api.Errorf(syscall.ENOENT, "deladdr "+req.MAC)
		}
		return false, nil
	})
}

func (b *Bridge) doMaxAddr(req api.BridgeRequest) error {
	if err := checkRange(req, 0, maxUint32); err != nil {
		return err
	}
	return b.changeBridge(func() (bool, error) {
		b.cache.max = req.Value
		b.cache.trim(b.nanos(b.now()), b.agingLimitsLocked())
		return false, nil
	})
}

// memberFlags are the bits "memberflag" may switch.
const memberFlags = api.IFBIF_LEARNING | api.IFBIF_DISCOVER | api.IFBIF_STP | api.IFBIF_PROTECTED

func (b *Bridge) doMemberFlag(req api.BridgeRequest) error {
	f := req.Value
	if f&memberFlags != f || f == 0 || f&(f-1) != 0 {
		return api.Errorf(syscall.EINVAL, fmt.Sprintf("memberflag %#x: not one member flag", f))
	}
	return b.changeMember(req.Op, req.Member, func(p *port) (bool, error) {
		old := p.flags
		if req.On {
			p.flags |= f
		} else {
			p.flags &^= f
		}
		return p.flags != old && f == api.IFBIF_STP, nil
	})
}

func (b *Bridge) doSTPParam(req api.BridgeRequest) error {
	var field *int
	lo, hi := int64(1), int64(255)
	switch req.Op {
	case api.BridgePriority:
		field, lo, hi = &b.stp.priority, 0, 65535
	case api.BridgeHelloTime:
		field = &b.stp.helloSecs
	case api.BridgeFwdDelay:
		field = &b.stp.fwdDelaySecs
	default:
		field = &b.stp.maxAgeSecs
	}
	if err := checkRange(req, lo, hi); err != nil {
		return err
	}
	return b.changeBridge(func() (bool, error) {
		*field = req.Value
		return true, nil
	})
}

func (b *Bridge) doPortParam(req api.BridgeRequest) error {
	if err := checkRange(req, 0, 255); err != nil {
		return err
	}
	return b.changeMember(req.Op, req.Member, func(p *port) (bool, error) {
		if req.Op == api.BridgeIfPriority {
			p.priority = req.Value
		} else {
			p.pathCost = req.Value
		}
		return true, nil
	})
}

// parseMAC parses an Ethernet address as ether_aton(3) does: six groups
// of one or two hex digits separated by colons (or dashes).
func parseMAC(s string) (mac, error) {
	var m mac
	groups := strings.FieldsFunc(s, func(r rune) bool { return r == ':' || r == '-' })
	if len(groups) != etherAddrLen || strings.Count(s, ":")+strings.Count(s, "-") != etherAddrLen-1 {
		return m, fmt.Errorf("parse address %q: want six groups", s)
	}
	for i, g := range groups {
		if len(g) > 2 {
			return m, fmt.Errorf("parse address %q: group %q too long", s, g)
		}
		v, err := strconv.ParseUint(g, 16, 8)
		if err != nil {
			return m, fmt.Errorf("parse address %q: %w", s, err)
		}
		m[i] = byte(v)
	}
	return m, nil
}
