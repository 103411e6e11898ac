package rump

// The fast forwarding path: a unicast IPv4 or IPv6 packet that arrives on
// a tap and leaves by another tap, needing nothing but a routing lookup,
// a known neighbour and a TTL (hop limit) decrement, is sent on by the
// receive goroutine itself, in the buffer it was read into and with the
// virtio-net header it came with. A TCP super-frame so leaves as one
// super-frame, which the host cuts into segments of the size the sender
// chose (as a Linux router forwards GSO packets); a partial checksum stays
// partial (forwarding changes nothing it covers).
//
// Everything else takes the stack's forwarding path (after normalise):
// IP options or extension headers, ICMPv6 (neighbour discovery, redirects
// and ping are the stack's), TTL or hop limit 1 (time exceeded), a packet
// (or segment) too big for the outgoing interface (fragmentation, or
// "too big"), a route back out of the receiving interface (redirects), an
// unresolved neighbour (the stack resolves it and queues the packet),
// group, broadcast, link-local or loopback addresses, an outgoing
// interface that is no tap or is a bridge member. The stack's path copies
// every packet and, for IPv4, reads its TTL from a chunk it has released;
// this one does neither.
//
// The route, the local-address check and the neighbour's MAC come from
// the kernel's lookup cache (lookupcache.go): while nothing changes, a
// packet costs the stack no lookup.
//
// This file must not queue, copy or hold a frame: it either writes it
// before returning or leaves it to the caller.

import (
	"sync"

	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/header"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
)

// fastPath is a kernel's fast forwarding path: the endpoints packets may
// leave by, by NIC.
type fastPath struct {
	k     *Kernel
	out   sync.Map    // tcpip.NICID -> *ethEndpoint: virt interfaces
	cache lookupCache // routes, local addresses and neighbours (lookupcache.go)
}

// addOut makes the virt interface's endpoint one packets may leave by.
func (f *fastPath) addOut(nic tcpip.NICID, e *ethEndpoint) {
	f.out.Store(nic, e)
	f.cache.invalidate()
}

// removeOut forgets an interface being destroyed.
func (f *fastPath) removeOut(nic tcpip.NICID) {
	f.out.Delete(nic)
	f.cache.invalidate()
}

// neighProbe takes a neighbour's link address from the stack's neighbour
// cache when it is known; a resolution the lookup started reports later,
// from another goroutine, and is ignored.
type neighProbe struct {
	call sync.Mutex // one lookup at a time (the receive loop and its pipe)
	mu   sync.Mutex
	want bool
	mac  tcpip.LinkAddress
	fn   func(stack.LinkResolutionResult)
}

func (p *neighProbe) got(r stack.LinkResolutionResult) {
	p.mu.Lock()
	if p.want && r.Err == nil {
		p.mac = r.LinkAddress
	}
	p.mu.Unlock()
}

// lookup returns addr's link address on nic if the neighbour cache has
// it (the entry's reachability confirmation goes on as for any packet).
func (p *neighProbe) lookup(s *stack.Stack, nic tcpip.NICID, addr tcpip.Address, proto tcpip.NetworkProtocolNumber) (tcpip.LinkAddress, bool) {
	p.call.Lock()
	defer p.call.Unlock()
	if p.fn == nil {
		p.fn = p.got
	}
	p.mu.Lock()
	p.want, p.mac = true, ""
	p.mu.Unlock()
	err := s.GetLinkAddress(nic, addr, tcpip.Address{}, proto, p.fn)
	p.mu.Lock()
	mac := p.mac
	p.want = false
	p.mu.Unlock()
	return mac, err == nil && mac != ""
}

// fwdPacket is what the fast path reads from a frame's IP header.
type fwdPacket struct {
	proto  tcpip.NetworkProtocolNumber
	dst    tcpip.Address
	ipLen  int // IP header
	end    int // where the packet ends in the frame
	segHdr int // IP and TCP headers of a super-frame's segments
}

// parseForward reads frame's IP header and reports whether the packet in
// it is one the fast path may forward as far as the packet alone tells.
func parseForward(frame []byte, h vnetHdr) (fwdPacket, bool) {
	const eth = header.EthernetMinimumSize
	var p fwdPacket
	if len(frame) < eth {
		return p, false
	}
	switch header.Ethernet(frame).Type() {
	case header.IPv4ProtocolNumber:
		ip := header.IPv4(frame[eth:])
		if len(ip) < header.IPv4MinimumSize || ip.HeaderLength() != header.IPv4MinimumSize ||
			!ip.IsValid(len(ip)) || ip.TTL() <= 1 || !ip.IsChecksumValid() {
			return p, false
		}
		src, dst := ip.SourceAddress(), ip.DestinationAddress()
		if !routable4(src) || !routable4(dst) {
			return p, false
		}
		p = fwdPacket{proto: header.IPv4ProtocolNumber, dst: dst, ipLen: header.IPv4MinimumSize, end: eth + int(ip.TotalLength())}
	case header.IPv6ProtocolNumber:
		if len(frame) < eth+header.IPv6MinimumSize {
			return p, false
		}
		ip := header.IPv6(frame[eth:])
		next := ip.NextHeader()
		if next != uint8(header.TCPProtocolNumber) && next != uint8(header.UDPProtocolNumber) || ip.HopLimit() <= 1 {
			return p, false
		}
		src, dst := ip.SourceAddress(), ip.DestinationAddress()
		if !routable6(src) || !routable6(dst) {
			return p, false
		}
		p = fwdPacket{proto: header.IPv6ProtocolNumber, dst: dst, ipLen: header.IPv6MinimumSize, end: eth + header.IPv6MinimumSize + int(ip.PayloadLength())}
		if p.end > len(frame) {
			return p, false
		}
	default:
		return p, false
	}
	if h.gsoType&^vnetGSOECN != vnetGSONone {
		ipLen, tcpLen, _, _, _, ok := tcpHeaders(frame[:p.end])
		if !ok || ipLen != p.ipLen || h.gsoSize == 0 {
			return p, false
		}
		p.segHdr = ipLen + tcpLen
	}
	return p, true
}

// routable4 reports whether a is a unicast address a router may forward
// to or from: not unspecified, loopback, multicast, class E or link-local.
func routable4(a tcpip.Address) bool {
	b := a.As4()
	return b[0] != 0 && b[0] != 127 && b[0] < 224 && !(b[0] == 169 && b[1] == 254)
}

// routable6 is routable4 for IPv6: not multicast, link-local, unspecified
// or loopback.
func routable6(a tcpip.Address) bool {
	b := a.As16()
	return b[0] != 0xff && !(b[0] == 0xfe && b[1]&0xc0 == 0x80) && !a.Unspecified() && a != header.IPv6Loopback
}

// wireSize is the largest IP packet that goes on the wire for p: the
// packet itself, or one of a super-frame's segments.
func (p fwdPacket) wireSize(h vnetHdr) int {
	if p.segHdr != 0 {
		return p.segHdr + int(h.gsoSize)
	}
	return p.end - header.EthernetMinimumSize
}

// segments is how many packets p is on the wire.
func (p fwdPacket) segments(h vnetHdr) uint64 {
	if p.segHdr == 0 {
		return 1
	}
	data := p.end - header.EthernetMinimumSize - p.segHdr
	return uint64(max(1, (data+int(h.gsoSize)-1)/int(h.gsoSize)))
}

// forward sends on the frame in that in received with virtio-net header h
// if the fast path may, and reports whether it did; the frame is then
// dealt with (sent or counted as an output error). The frame is changed
// in place (addresses, TTL) only if it is sent.
func (f *fastPath) forward(in *ethEndpoint, nicIn tcpip.NICID, h vnetHdr, frame []byte) bool {
	p, ok := parseForward(frame, h)
	if !ok || !in.running.Load() {
		return false
	}
	in.mu.RLock()
	mine := header.Ethernet(frame).DestinationAddress() == in.mac
	in.mu.RUnlock()
	if !mine {
		return false
	}
	c := f.cache.lookup(f.k.stack, &in.fwdNeigh, nicIn, p.dst, p.proto, true)
	if c.local || !c.route || c.nic == nicIn || c.bcast || c.mac == "" {
		return false
	}
	v, ok := f.out.Load(c.nic)
	if !ok {
		return false
	}
	out := v.(*ethEndpoint)
	dev := out.liveDevice()
	vd, vnet := asVnet(dev)
	if !vnet || !out.running.Load() || out.noMedia.Load() || out.bridge.Load() != nil || p.wireSize(h) > int(out.MTU()) {
		return false
	}
	frame = frame[:p.end] // no Ethernet padding: the host takes the frame's length
	in.taps.in(frame, nil)
	in.stats.countIn(len(frame), false)
	f.rewrite(frame, p, out, c.mac)
	out.taps.out(frame)
	h.flags &^= vnetFlagDataValid // the host verifies what it did not make
	// Counted forwarded before the write, and taken back if it fails, so
	// that whoever sees the frame on the far wire also sees it counted.
	n := p.segments(h)
	fwd := &out.stats.fast4
	if p.proto != header.IPv4ProtocolNumber {
		fwd = &out.stats.fast6
	}
	fwd.Add(n)
	out.stats.countOut(len(frame), false)
	w := wireVecs.Get().(*wireVec)
	h.put(w.hdr[:])
	w.iov[0], w.iov[1] = w.hdr[:], frame
	_, err := vd.Writev(w.iov[:])
	w.iov[1] = nil
	wireVecs.Put(w)
	if err != nil {
		fwd.Add(-n) // two's complement: takes n back
		out.stats.uncountOut(len(frame))
		out.stats.oerrors.Add(1)
		out.ioFailed()
		return true
	}
	out.ioWorked()
	return true
}

// rewrite makes frame leave out for mac: its Ethernet addresses, and the
// TTL (hop limit) one less.
func (f *fastPath) rewrite(frame []byte, p fwdPacket, out *ethEndpoint, mac tcpip.LinkAddress) {
	const eth = header.EthernetMinimumSize
	out.mu.RLock()
	src := out.mac
	out.mu.RUnlock()
	copy(frame[0:6], mac)
	copy(frame[6:12], src)
	if p.proto == header.IPv4ProtocolNumber {
		ip := header.IPv4(frame[eth:])
		ip.SetTTL(ip.TTL() - 1)
		ip.SetChecksum(0)
		ip.SetChecksum(^ip.CalculateChecksum())
		return
	}
	ip := header.IPv6(frame[eth:])
	ip.SetHopLimit(ip.HopLimit() - 1)
}
