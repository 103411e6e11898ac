package bridge

// Spanning tree, IEEE 802.1D-1998 (the protocol NetBSD's bridgestp.c
// speaks): the bridge's and ports' state, what starts and stops it, BPDU
// reception and the timers. The election and state rules themselves are in
// stp_rules.go.
//
// Only members with the STP flag take part; the others always forward. The
// tree runs while the bridge is up; SetUp(true), adding or deleting a
// member, switching a member's STP flag, and changing the bridge priority,
// a timer, a port priority or a path cost re-run the initialisation, as
// NetBSD does, so every STP port starts over in listening (or blocking).
// A link going down disables just that port and recomputes the tree; a link
// coming back enables it. Everything here runs under Bridge.mu (write);
// BPDUs are queued in Bridge.outbox and sent after the lock is released.
//
// Besides 802.1D's rules: a port that leaves learning or forwarding loses
// its dynamic cache entries (so traffic floods and relearns along the new
// tree), and while a topology change is in effect dynamic entries age after
// the forward delay instead of the cache timeout.

import (
	"time"

	"github.com/rumpnet/rumpnet/pkg/api"
)

// stpState is a port's spanning-tree state.
type stpState uint8

const (
	stateDisabled stpState = iota
	stateListening
	stateLearning
	stateForwarding
	stateBlocking
)

// String returns the state as brconfig prints it.
func (s stpState) String() string {
	switch s {
	case stateListening:
		return api.STPListening
	case stateLearning:
		return api.STPLearning
	case stateForwarding:
		return api.STPForwarding
	case stateBlocking:
		return api.STPBlocking
	}
	return api.STPDisabled
}

const (
	holdTime            = time.Second // shortest gap between two BPDUs on a port
	messageAgeIncrement = time.Second // added to the root port's message age
	minProtocolTime     = time.Second // floor for times learned from BPDUs
)

// stpTimer is one 802.1D timer: it counts up from its start value while
// active and fires when it reaches its limit.
type stpTimer struct {
	active bool
	value  time.Duration
}

func (t *stpTimer) start(v time.Duration) { t.active, t.value = true, v }
func (t *stpTimer) stop()                 { t.active = false }

// advance adds d to an active timer.
func (t *stpTimer) advance(d time.Duration) {
	if t.active {
		t.value += d
	}
}

// fire stops the timer and reports true if it is active and has reached
// limit.
func (t *stpTimer) fire(limit time.Duration) bool {
	if t.active && t.value >= limit {
		t.active = false
		return true
	}
	return false
}

// vector is the priority vector a port holds: the best configuration it
// has heard or sent on its segment.
type vector struct {
	root   uint64 // designated root
	cost   uint32 // designated cost
	bridge uint64 // designated bridge
	port   uint16 // designated port
}

// stpPort is a port's spanning-tree state.
type stpPort struct {
	state         stpState
	id            uint16 // port identifier: priority, port number
	d             vector
	tcAck         bool // acknowledge a topology change in the next BPDU
	configPending bool // a BPDU is due once the hold timer expires
	messageAge    stpTimer
	fwdDelay      stpTimer
	hold          stpTimer
}

// stpBridge is the bridge's spanning-tree state and configuration.
type stpBridge struct {
	// configuration, from Do
	priority     int
	helloSecs    int
	fwdDelaySecs int
	maxAgeSecs   int

	id        uint64 // bridge identifier: priority, MAC
	root      uint64 // designated root
	rootCost  uint32 // root path cost
	rootPort  *port  // nil on the root bridge
	maxAge    time.Duration
	helloTime time.Duration
	fwdDelay  time.Duration

	tcDetected bool // a topology change is being reported toward the root
	tc         bool // a topology change is in effect (root's flag)
	hello      stpTimer
	tcn        stpTimer
	tcTimer    stpTimer
}

func newSTPBridge() stpBridge {
	s := stpBridge{
		priority:     api.BridgeDefaultPriority,
		helloSecs:    api.BridgeDefaultHelloTime,
		fwdDelaySecs: api.BridgeDefaultFwdDelay,
		maxAgeSecs:   api.BridgeDefaultMaxAge,
	}
	s.useOwnTimes()
	return s
}

// useOwnTimes makes the configured times the ones in use, as on the root.
func (s *stpBridge) useOwnTimes() {
	s.maxAge = seconds(s.maxAgeSecs)
	s.helloTime = seconds(s.helloSecs)
	s.fwdDelay = seconds(s.fwdDelaySecs)
}

func seconds(n int) time.Duration { return time.Duration(n) * time.Second }

// bridgeIDLocked computes the bridge identifier from the priority and
// Config.MAC or the lowest member address.
func (b *Bridge) bridgeIDLocked() uint64 {
	addr := b.cfgMAC
	if addr == (mac{}) {
		for i, p := range b.order {
			if i == 0 || p.mac.less(addr) {
				addr = p.mac
			}
		}
	}
	var id uint64
	for _, c := range addr {
		id = id<<8 | uint64(c)
	}
	return uint64(b.stp.priority)<<48 | id
}

// portID computes a port identifier.
func portID(p *port) uint16 { return uint16(p.priority)<<8 | uint16(p.index&0xff) }

// hasSTP reports whether p takes part in the spanning tree.
func hasSTP(p *port) bool { return p.flags&api.IFBIF_STP != 0 }

// stpInitLocked (re)starts the spanning tree from scratch: this bridge
// believes it is the root, every enabled STP port is designated and starts
// in blocking, then moves to listening. A bridge that is down is stopped.
func (b *Bridge) stpInitLocked() {
	if !b.up {
		b.stpStopLocked()
		return
	}
	s := &b.stp
	s.id = b.bridgeIDLocked()
	s.root, s.rootCost, s.rootPort = s.id, 0, nil
	s.useOwnTimes()
	s.tcDetected, s.tc = false, false
	s.tcn.stop()
	s.tcTimer.stop()
	for _, p := range b.order {
		if !hasSTP(p) {
			p.stp = stpPort{}
			continue
		}
		p.stp.id = portID(p)
		if p.linkUp {
			b.initPortLocked(p)
		} else {
			b.becomeDesignatedLocked(p)
			b.setStateLocked(p, stateDisabled)
			p.stp.stopTimers()
		}
	}
	b.portStateSelectionLocked()
	b.configBPDUGenerationLocked()
	s.hello.start(0)
}

// stpStopLocked disables every STP port and stops the bridge's timers.
func (b *Bridge) stpStopLocked() {
	s := &b.stp
	for _, p := range b.order {
		if hasSTP(p) {
			b.setStateLocked(p, stateDisabled)
		}
		p.stp.stopTimers()
	}
	s.rootPort = nil
	s.tcDetected, s.tc = false, false
	s.hello.stop()
	s.tcn.stop()
	s.tcTimer.stop()
}

func (ps *stpPort) stopTimers() {
	ps.messageAge.stop()
	ps.fwdDelay.stop()
	ps.hold.stop()
}

// initPortLocked puts p in its initial state: designated, blocking.
func (b *Bridge) initPortLocked(p *port) {
	b.becomeDesignatedLocked(p)
	b.setStateLocked(p, stateBlocking)
	p.stp.tcAck, p.stp.configPending = false, false
	p.stp.stopTimers()
}

// stpEnablePortLocked brings p into the tree when its link comes up.
func (b *Bridge) stpEnablePortLocked(p *port) {
	b.initPortLocked(p)
	b.portStateSelectionLocked()
}

// stpDisablePortLocked takes p out of the tree when its link goes down.
func (b *Bridge) stpDisablePortLocked(p *port) {
	wasRoot := b.rootBridgeLocked()
	b.becomeDesignatedLocked(p)
	b.setStateLocked(p, stateDisabled)
	p.stp.tcAck, p.stp.configPending = false, false
	p.stp.stopTimers()
	b.configurationUpdateLocked()
	b.portStateSelectionLocked()
	if b.rootBridgeLocked() && !wasRoot {
		b.becameRootLocked()
	}
}

// setStateLocked changes p's state; a port that stops learning or
// forwarding loses its dynamic cache entries.
func (b *Bridge) setStateLocked(p *port, st stpState) {
	old := p.stp.state
	if (old == stateLearning || old == stateForwarding) &&
		(st == stateBlocking || st == stateDisabled) {
		b.cache.deletePort(p, false)
	}
	p.stp.state = st
}

// stpInput handles a BPDU received on the member called name.
func (b *Bridge) stpInput(name string, frame []byte) {
	m, ok := parseBPDU(frame)
	if !ok {
		b.cnt.badBPDUs.Add(1)
		return
	}
	b.cnt.bpdusIn.Add(1)
	b.mu.Lock()
	p := b.ports[name]
	if b.up && p != nil && hasSTP(p) && p.stp.state != stateDisabled {
		if m.tcn {
			b.receivedTCNLocked(p)
		} else {
			b.receivedConfigLocked(p, &m)
		}
	}
	b.flushLocked()
}

// stpTickLocked advances every spanning-tree timer by elapsed and then
// runs the handlers of those that fired. Advancing first means a timer a
// handler starts is not advanced in the same tick, and one a handler stops
// does not fire.
func (b *Bridge) stpTickLocked(elapsed time.Duration) {
	s := &b.stp
	s.hello.advance(elapsed)
	s.tcn.advance(elapsed)
	s.tcTimer.advance(elapsed)
	for _, p := range b.order {
		if hasSTP(p) {
			p.stp.messageAge.advance(elapsed)
			p.stp.fwdDelay.advance(elapsed)
			p.stp.hold.advance(elapsed)
		}
	}
	if s.hello.fire(seconds(s.helloSecs)) {
		b.configBPDUGenerationLocked()
		s.hello.start(0)
	}
	if s.tcn.fire(seconds(s.helloSecs)) {
		b.transmitTCNLocked()
		s.tcn.start(0)
	}
	if s.tcTimer.fire(seconds(s.maxAgeSecs + s.fwdDelaySecs)) {
		s.tcDetected, s.tc = false, false
	}
	for _, p := range b.order {
		if !hasSTP(p) {
			continue
		}
		if p.stp.messageAge.fire(s.maxAge) {
			b.messageAgeExpiredLocked(p)
		}
		if p.stp.fwdDelay.fire(s.fwdDelay) {
			b.fwdDelayExpiredLocked(p)
		}
		if p.stp.hold.fire(holdTime) && p.stp.configPending {
			b.transmitConfigLocked(p)
		}
	}
}

// sendBPDULocked queues m for transmission on p.
func (b *Bridge) sendBPDULocked(p *port, m *bpdu) {
	b.outbox = append(b.outbox, outFrame{send: p.send, frame: m.encode(p.mac)})
	b.cnt.bpdusOut.Add(1)
}
