package bridge

import "sync/atomic"

// Counters are the bridge's own drop and spanning-tree counters; traffic
// counts belong to the member interfaces, which count in Send and Deliver.
type Counters struct {
	// Runts are frames shorter than an Ethernet header.
	Runts uint64
	// NotMember are frames handed in for a name that is not a member.
	NotMember uint64
	// Looped are frames received with one of the members' own source
	// addresses: frames the bridge or its members sent, come back.
	Looped uint64
	// Blocked are frames a port's state (STP, link down) kept from being
	// forwarded; some were still delivered to the member itself.
	Blocked uint64
	// Filtered are unicast frames for a station on the port they came
	// from, and frames between two protected ports.
	Filtered uint64
	// CacheFull counts source addresses not learned because the cache
	// held maxaddr entries.
	CacheFull uint64
	// BPDUsIn and BPDUsOut count spanning-tree BPDUs received and sent;
	// BadBPDUs are frames to the STP address that did not parse.
	BPDUsIn, BPDUsOut, BadBPDUs uint64
}

// counters is the atomic form of Counters.
type counters struct {
	runts, notMember, looped, blocked, filtered, cacheFull atomic.Uint64
	bpdusIn, bpdusOut, badBPDUs                            atomic.Uint64
}

// Counters returns a snapshot of the bridge's counters.
func (b *Bridge) Counters() Counters {
	c := &b.cnt
	return Counters{
		Runts:     c.runts.Load(),
		NotMember: c.notMember.Load(),
		Looped:    c.looped.Load(),
		Blocked:   c.blocked.Load(),
		Filtered:  c.filtered.Load(),
		CacheFull: c.cacheFull.Load(),
		BPDUsIn:   c.bpdusIn.Load(),
		BPDUsOut:  c.bpdusOut.Load(),
		BadBPDUs:  c.badBPDUs.Load(),
	}
}
