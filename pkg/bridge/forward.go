package bridge

// The frame path: Input for frames from a member's wire, Output for frames
// a member's own stack sends. Both decide under the read lock, collecting
// target ports in arrays on the caller's stack (no allocation unless a
// frame fans out to more than fanoutInline members), and call their Send
// and Deliver functions after unlocking. The rules follow NetBSD's if_bridge.c; the doc comments
// of Input and Output spell them out and say where they differ.

import "github.com/rumpnet/rumpnet/pkg/api"

// fanoutInline is how many targets a frame can have before the target
// lists spill to the heap.
const fanoutInline = 8

// Input handles frame, received on the wire of the member called name.
//
// While the bridge is down the frame is delivered to that member's stack if
// it is addressed to the member or to a group, as if there were no bridge.
// While it is up:
//   - a BPDU (01:80:c2:00:00:00) on a port with STP goes to the spanning
//     tree; on a port without STP it is an ordinary multicast frame and is
//     forwarded, as NetBSD does;
//   - a frame with a member's own source address is dropped (it looped);
//   - on a port that is blocking, listening or disabled the frame is only
//     delivered to the member itself (if addressed to it or to a group),
//     never learned or forwarded;
//   - the source is learned if the port has LEARNING and the address is
//     unicast and not zero;
//   - unicast to a member's own MAC is delivered to that member's stack;
//   - on a port that is learning nothing is forwarded;
//   - known unicast goes out the port it was learned on, unless that is the
//     input port, the port cannot forward, or both ports are protected;
//   - unknown unicast is flooded to the other forwarding ports with
//     DISCOVER, skipping protected ports if the input port is protected;
//   - broadcast and multicast go out every other forwarding port (DISCOVER
//     does not matter, PROTECTED does) and are delivered to the stacks of
//     the input member and of every other forwarding member.
func (b *Bridge) Input(name string, frame []byte) { b.InputMeta(name, frame, nil) }

// InputMeta is Input for a frame that comes with meta, something the
// caller knows about it (offload state, say) and the bridge does not look
// at: targets with SendMeta or DeliverMeta get it with the frame, the
// others get the frame alone. A nil meta is plain Input.
func (b *Bridge) InputMeta(name string, frame []byte, meta any) {
	if len(frame) < etherHeaderLen {
		b.cnt.runts.Add(1)
		return
	}
	var dst, src mac
	copy(dst[:], frame[0:etherAddrLen])
	copy(src[:], frame[etherAddrLen:2*etherAddrLen])
	var sbuf, dbuf [fanoutInline]*port
	sends, delivers := sbuf[:0], dbuf[:0]
	var learnOn *port
	forward := false

	b.mu.RLock()
	p := b.ports[name]
	switch {
	case p == nil:
		b.cnt.notMember.Add(1)
	case !b.up:
		delivers = appendDeliverFor(delivers, p, dst)
	case dst == stpGroupAddr && p.flags&api.IFBIF_STP != 0:
		b.mu.RUnlock()
		b.stpInput(name, frame)
		return
	default:
		sends, delivers, learnOn, forward = b.inputLocked(p, dst, src, sends, delivers)
	}
	b.mu.RUnlock()

	if learnOn != nil {
		b.learn(learnOn, src)
	}
	if forward && b.fwd != nil {
		b.fwd(frame)
	}
	b.tapForwarded(frame, sends)
	callSend(sends, frame, meta)
	callDeliver(delivers, frame, meta)
}

// inputLocked decides Input's targets for a running bridge. It returns the
// port to learn src on if that needs the write lock, and whether the frame
// went into forwarding (Config.Forward).
func (b *Bridge) inputLocked(p *port, dst, src mac, sends, delivers []*port) (s, d []*port, learnOn *port, fwd bool) {
	if _, ours := b.ownMAC[src]; ours {
		b.cnt.looped.Add(1)
		return sends, delivers, nil, false
	}
	st := p.state()
	if st != stateLearning && st != stateForwarding {
		b.cnt.blocked.Add(1)
		return sends, appendDeliverFor(delivers, p, dst), nil, false
	}
	if p.flags&api.IFBIF_LEARNING != 0 && !src.isGroup() && src != (mac{}) {
		if !b.cache.refresh(src, p, b.nanos(b.now()), &b.cnt.cacheFull) {
			learnOn = p
		}
	}
	if !dst.isGroup() {
		if q := b.ownMAC[dst]; q != nil {
			return sends, appendDeliver(delivers, q), learnOn, false
		}
		if st != stateForwarding {
			b.cnt.blocked.Add(1)
			return sends, delivers, learnOn, true
		}
		if q := b.cache.lookup(dst); q != nil {
			switch {
			case q == p, p.protectedWith(q):
				b.cnt.filtered.Add(1)
			case !q.forwarding():
				b.cnt.blocked.Add(1)
			default:
				sends = append(sends, q)
			}
			return sends, delivers, learnOn, true
		}
		for _, q := range b.order {
			if q != p && q.flags&api.IFBIF_DISCOVER != 0 && q.forwarding() && !p.protectedWith(q) {
				sends = append(sends, q)
			}
		}
		return sends, delivers, learnOn, true
	}
	if st != stateForwarding {
		return sends, appendDeliver(delivers, p), learnOn, true
	}
	for _, q := range b.order {
		switch {
		case q == p:
			delivers = appendDeliver(delivers, p)
		case q.forwarding():
			if !p.protectedWith(q) {
				sends = append(sends, q)
			}
			delivers = appendDeliver(delivers, q)
		}
	}
	return sends, delivers, learnOn, true
}

// learn records src on p under the write lock, unless p has left meanwhile.
func (b *Bridge) learn(p *port, src mac) {
	b.mu.Lock()
	if b.up && b.ports[p.name] == p {
		b.cache.learn(src, p, b.nanos(b.now()), &b.cnt.cacheFull)
	}
	b.mu.Unlock()
}

// Output handles frame, sent by the stack of the member called name.
//
// While the bridge is down the frame goes out that member's wire only.
// While it is up (NetBSD's bridge_output):
//   - broadcast and multicast go out every forwarding member, the sending
//     one included, and are delivered to the stacks of the other forwarding
//     members;
//   - unicast to a member's own MAC is delivered to that member's stack;
//   - known unicast goes out the port it was learned on;
//   - unknown unicast goes out every forwarding member.
//
// Unlike NetBSD, a port that STP has not put in forwarding never transmits
// data frames, not even the sending member's own.
func (b *Bridge) Output(name string, frame []byte) {
	if len(frame) < etherHeaderLen {
		b.cnt.runts.Add(1)
		return
	}
	var dst mac
	copy(dst[:], frame[0:etherAddrLen])
	var sbuf, dbuf [fanoutInline]*port
	sends, delivers := sbuf[:0], dbuf[:0]

	b.mu.RLock()
	p := b.ports[name]
	switch {
	case p == nil:
		b.cnt.notMember.Add(1)
	case !b.up:
		if p.linkUp {
			sends = append(sends, p)
		}
	default:
		sends, delivers = b.outputLocked(p, dst, sends, delivers)
	}
	b.mu.RUnlock()

	callSend(sends, frame, nil)
	callDeliver(delivers, frame, nil)
}

// outputLocked decides Output's targets for a running bridge.
func (b *Bridge) outputLocked(p *port, dst mac, sends, delivers []*port) (s, d []*port) {
	if !dst.isGroup() {
		if q := b.ownMAC[dst]; q != nil {
			return sends, appendDeliver(delivers, q)
		}
		if q := b.cache.lookup(dst); q != nil {
			if q.forwarding() {
				sends = append(sends, q)
			} else {
				b.cnt.blocked.Add(1)
			}
			return sends, delivers
		}
	}
	for _, q := range b.order {
		if !q.forwarding() {
			continue
		}
		sends = append(sends, q)
		if q != p && dst.isGroup() {
			delivers = appendDeliver(delivers, q)
		}
	}
	return sends, delivers
}

// appendDeliverFor adds p to delivers if dst is p's address or a group.
func appendDeliverFor(delivers []*port, p *port, dst mac) []*port {
	if dst == p.mac || dst.isGroup() {
		return appendDeliver(delivers, p)
	}
	return delivers
}

// appendDeliver adds p to delivers if it has a Deliver.
func appendDeliver(delivers []*port, p *port) []*port {
	if p.deliver == nil {
		return delivers
	}
	return append(delivers, p)
}

// callSend sends frame out of each port, with meta to those that take it.
// (A port's functions never change after AddPort, so they may be read
// without the lock.)
func callSend(ps []*port, frame []byte, meta any) {
	for _, p := range ps {
		if meta != nil && p.sendMeta != nil {
			p.sendMeta(frame, meta)
		} else {
			p.send(frame)
		}
	}
}

// callDeliver delivers frame to each port's stack, with meta to those that
// take it.
func callDeliver(ps []*port, frame []byte, meta any) {
	for _, p := range ps {
		if meta != nil && p.deliverMeta != nil {
			p.deliverMeta(frame, meta)
		} else {
			p.deliver(frame)
		}
	}
}
