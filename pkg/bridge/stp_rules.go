package bridge

// The 802.1D-1998 procedures (clause 8.6 and 8.7): how a bridge compares
// the configuration it hears with what it holds, elects the root and its
// root port, picks designated ports, moves ports through listening and
// learning to forwarding, and reports topology changes toward the root.
// Every function runs under Bridge.mu (write).

// rootBridgeLocked reports whether this bridge believes it is the root.
func (b *Bridge) rootBridgeLocked() bool { return b.stp.root == b.stp.id }

// designatedLocked reports whether p is the designated port of its segment.
func (b *Bridge) designatedLocked(p *port) bool {
	return p.stp.d.bridge == b.stp.id && p.stp.d.port == p.stp.id
}

// designatedForSomePortLocked reports whether this bridge is designated on
// any of its STP ports.
func (b *Bridge) designatedForSomePortLocked() bool {
	for _, p := range b.order {
		if hasSTP(p) && p.stp.d.bridge == b.stp.id {
			return true
		}
	}
	return false
}

// becomeDesignatedLocked makes p claim its segment with this bridge's
// view of the tree.
func (b *Bridge) becomeDesignatedLocked(p *port) {
	s := &b.stp
	p.stp.d = vector{root: s.root, cost: s.rootCost, bridge: s.id, port: p.stp.id}
}

// becameRootLocked is what a bridge does when it finds itself the root:
// use its own times, announce a topology change and start sending BPDUs.
func (b *Bridge) becameRootLocked() {
	s := &b.stp
	s.useOwnTimes()
	b.topologyChangeDetectionLocked()
	s.tcn.stop()
	b.configBPDUGenerationLocked()
	s.hello.start(0)
}

// receivedConfigLocked handles a configuration BPDU received on p.
func (b *Bridge) receivedConfigLocked(p *port, m *bpdu) {
	s := &b.stp
	if !b.supersedesLocked(p, m) {
		if b.designatedLocked(p) {
			b.transmitConfigLocked(p) // answer inferior information
		}
		return
	}
	wasRoot := b.rootBridgeLocked()
	p.stp.d = vector{root: m.root, cost: m.cost, bridge: m.bridge, port: m.port}
	p.stp.messageAge.start(m.messageAge)
	b.configurationUpdateLocked()
	b.portStateSelectionLocked()
	if wasRoot && !b.rootBridgeLocked() {
		s.hello.stop()
		if s.tcDetected {
			s.tcTimer.stop()
			b.transmitTCNLocked()
			s.tcn.start(0)
		}
	}
	if p == s.rootPort {
		s.maxAge = max(m.maxAge, minProtocolTime)
		s.helloTime = max(m.helloTime, minProtocolTime)
		s.fwdDelay = max(m.fwdDelay, minProtocolTime)
		s.tc = m.tc
		b.configBPDUGenerationLocked()
		if m.tca {
			s.tcDetected = false
			s.tcn.stop()
		}
	}
}

// receivedTCNLocked handles a topology change notification received on p.
func (b *Bridge) receivedTCNLocked(p *port) {
	if b.designatedLocked(p) {
		b.topologyChangeDetectionLocked()
		p.stp.tcAck = true
		b.transmitConfigLocked(p)
	}
}

// supersedesLocked reports whether m is better information than p holds,
// or is the same information refreshed by the designated bridge.
func (b *Bridge) supersedesLocked(p *port, m *bpdu) bool {
	d := &p.stp.d
	switch {
	case m.root != d.root:
		return m.root < d.root
	case m.cost != d.cost:
		return m.cost < d.cost
	case m.bridge != d.bridge:
		return m.bridge < d.bridge
	}
	return m.bridge != b.stp.id || m.port <= d.port
}

// transmitConfigLocked sends a configuration BPDU on p, or marks one
// pending if p's hold timer is running.
func (b *Bridge) transmitConfigLocked(p *port) {
	if p.stp.hold.active {
		p.stp.configPending = true
		return
	}
	s := &b.stp
	m := bpdu{
		root:      s.root,
		cost:      s.rootCost,
		bridge:    s.id,
		port:      p.stp.id,
		maxAge:    s.maxAge,
		helloTime: s.helloTime,
		fwdDelay:  s.fwdDelay,
		tc:        s.tc,
		tca:       p.stp.tcAck,
	}
	if s.rootPort != nil {
		m.messageAge = s.rootPort.stp.messageAge.value + messageAgeIncrement
		if m.messageAge >= s.maxAge {
			return // the root's information is too old to pass on
		}
	}
	b.sendBPDULocked(p, &m)
	p.stp.tcAck, p.stp.configPending = false, false
	p.stp.hold.start(0)
}

// transmitTCNLocked sends a topology change notification toward the root.
func (b *Bridge) transmitTCNLocked() {
	if rp := b.stp.rootPort; rp != nil {
		b.sendBPDULocked(rp, &bpdu{tcn: true})
	}
}

// configBPDUGenerationLocked sends a configuration BPDU on every enabled
// designated port.
func (b *Bridge) configBPDUGenerationLocked() {
	for _, p := range b.order {
		if hasSTP(p) && p.stp.state != stateDisabled && b.designatedLocked(p) {
			b.transmitConfigLocked(p)
		}
	}
}

// configurationUpdateLocked recomputes the root and the designated ports.
func (b *Bridge) configurationUpdateLocked() {
	b.rootSelectionLocked()
	b.designatedPortSelectionLocked()
}

// rootSelectionLocked picks the root port: the enabled, non-designated
// port that heard of a root better than this bridge at the lowest cost,
// ties broken by designated bridge, designated port and port identifier.
func (b *Bridge) rootSelectionLocked() {
	s := &b.stp
	var best *port
	for _, p := range b.order {
		if !hasSTP(p) || p.stp.state == stateDisabled || b.designatedLocked(p) || p.stp.d.root >= s.id {
			continue
		}
		if best == nil || betterRootPort(p, best) {
			best = p
		}
	}
	if best == nil {
		s.root, s.rootCost, s.rootPort = s.id, 0, nil
		return
	}
	s.rootPort = best
	s.root = best.stp.d.root
	s.rootCost = best.stp.d.cost + uint32(best.pathCost)
}

// betterRootPort reports whether p is a better root port than q.
func betterRootPort(p, q *port) bool {
	pd, qd := &p.stp.d, &q.stp.d
	pc, qc := pd.cost+uint32(p.pathCost), qd.cost+uint32(q.pathCost)
	switch {
	case pd.root != qd.root:
		return pd.root < qd.root
	case pc != qc:
		return pc < qc
	case pd.bridge != qd.bridge:
		return pd.bridge < qd.bridge
	case pd.port != qd.port:
		return pd.port < qd.port
	}
	return p.stp.id < q.stp.id
}

// designatedPortSelectionLocked makes this bridge designated on every
// segment where it offers a better path to the root than what was heard.
func (b *Bridge) designatedPortSelectionLocked() {
	s := &b.stp
	for _, p := range b.order {
		if !hasSTP(p) {
			continue
		}
		d := &p.stp.d
		if b.designatedLocked(p) || d.root != s.root || s.rootCost < d.cost ||
			(s.rootCost == d.cost && (s.id < d.bridge || (s.id == d.bridge && p.stp.id <= d.port))) {
			b.becomeDesignatedLocked(p)
		}
	}
}

// portStateSelectionLocked moves the root port and designated ports
// toward forwarding and every other port to blocking.
func (b *Bridge) portStateSelectionLocked() {
	for _, p := range b.order {
		if !hasSTP(p) {
			continue
		}
		switch {
		case p == b.stp.rootPort:
			p.stp.configPending, p.stp.tcAck = false, false
			b.makeForwardingLocked(p)
		case b.designatedLocked(p):
			p.stp.messageAge.stop()
			b.makeForwardingLocked(p)
		default:
			p.stp.configPending, p.stp.tcAck = false, false
			b.makeBlockingLocked(p)
		}
	}
}

// makeForwardingLocked starts a blocking port on its way to forwarding.
func (b *Bridge) makeForwardingLocked(p *port) {
	if p.stp.state == stateBlocking {
		b.setStateLocked(p, stateListening)
		p.stp.fwdDelay.start(0)
	}
}

// makeBlockingLocked blocks a port; a port that was learning or
// forwarding signals a topology change.
func (b *Bridge) makeBlockingLocked(p *port) {
	switch p.stp.state {
	case stateDisabled, stateBlocking:
		return
	case stateLearning, stateForwarding:
		b.topologyChangeDetectionLocked()
	}
	b.setStateLocked(p, stateBlocking)
	p.stp.fwdDelay.stop()
}

// topologyChangeDetectionLocked reacts to a change in the active topology:
// the root flags it in its BPDUs for a while; another bridge notifies the
// root until acknowledged.
func (b *Bridge) topologyChangeDetectionLocked() {
	s := &b.stp
	if b.rootBridgeLocked() {
		s.tc = true
		s.tcTimer.start(0)
	} else if !s.tcDetected {
		b.transmitTCNLocked()
		s.tcn.start(0)
	}
	s.tcDetected = true
}

// messageAgeExpiredLocked forgets the information p held once the
// designated bridge has been silent for max age.
func (b *Bridge) messageAgeExpiredLocked(p *port) {
	wasRoot := b.rootBridgeLocked()
	b.becomeDesignatedLocked(p)
	b.configurationUpdateLocked()
	b.portStateSelectionLocked()
	if b.rootBridgeLocked() && !wasRoot {
		b.becameRootLocked()
	}
}

// fwdDelayExpiredLocked moves p from listening to learning, or from
// learning to forwarding.
func (b *Bridge) fwdDelayExpiredLocked(p *port) {
	switch p.stp.state {
	case stateListening:
		b.setStateLocked(p, stateLearning)
		p.stp.fwdDelay.start(0)
	case stateLearning:
		b.setStateLocked(p, stateForwarding)
		if b.designatedForSomePortLocked() {
			b.topologyChangeDetectionLocked()
		}
	}
}
