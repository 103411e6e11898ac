package rump

// The echo fast path: an ICMP echo request for one of the interface's own
// IPv4 addresses is answered by the receive path itself, before the stack
// sees it. The reply is the request turned round in its own buffer:
// addresses swapped (Ethernet and IP), type echo reply, TTL the kernel's
// default, checksums updated; it goes back out of the same interface to the
// MAC the request came from, seen by captures and counted as the stack would
// count it (rnetstat -s: ip "packets for this host" and "packets sent from
// this host", icmp's echo input and output histograms).
//
// It must not change what the kernel answers, only how fast, so anything
// unusual goes to the stack as before: IP options, fragments, bad
// checksums, a broadcast, multicast or foreign destination, a source that
// is not unicast, a route back to the source that is not direct through
// the same interface (another interface, a gateway, reject or blackhole),
// a request too large for the interface's MTU, and any frame the receive
// path holds only the head of. Echo replies are not rate limited (NetBSD
// limits only ICMP errors, net.inet.icmp.errppslimit), so none is skipped
// here; broadcast and multicast echo, which net.inet.icmp.bmcastecho would
// govern, never take this path. The reply goes to the request's source
// MAC only when the kernel's ARP entry for the source, through the route
// back, already names that MAC; with no entry, an incomplete one or another
// MAC the stack answers, and resolves the address as NetBSD would.
//
// It must not allocate per packet, nor keep anything of the frame.

import (
	"sync/atomic"

	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/checksum"
	"gvisor.dev/gvisor/pkg/tcpip/header"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
)

// fastEcho switches the fast path on for interfaces created from now on
// (tests compare it with the stack's own answer).
var fastEcho = true

// echoAnswered counts the requests the fast path has answered, in all
// kernels of the process (for tests).
var echoAnswered atomic.Uint64

// echoPath answers echo requests received by one interface.
type echoPath struct {
	k   *Kernel
	nic tcpip.NICID
	e   *ethEndpoint
	st4 atomic.Pointer[ipv4.Stats] // the interface's IPv4 counters, once looked up

	// resolved receives the route's resolved fields; made once, so that
	// asking for them allocates nothing. It stores the link address in
	// mac (48 bits, macValid set); a late call, after a resolution the
	// stack started, may store another address's MAC, which can only make
	// the comparison fail and leave the request to the stack.
	resolved func(stack.ResolvedFieldsResult)
	mac      atomic.Uint64
}

// macValid marks a packed MAC as set.
const macValid = 1 << 63

// packMAC packs a 6-byte link address into 48 bits, with macValid set, or
// returns 0 for anything else.
func packMAC(b []byte) uint64 {
	if len(b) != 6 {
		return 0
	}
	var v uint64
	for _, c := range b {
		v = v<<8 | uint64(c)
	}
	return v | macValid
}

// newEchoPath returns the fast path's hook for interface ifp, whose
// Ethernet endpoint is e, or nil if the fast path is off.
func (k *Kernel) newEchoPath(ifp *Interface, e *ethEndpoint) func([]byte) bool {
	if !fastEcho {
		return nil
	}
	p := &echoPath{k: k, nic: ifp.nic, e: e}
	p.resolved = func(res stack.ResolvedFieldsResult) {
		if res.Err == nil {
			p.mac.Store(packMAC([]byte(res.RouteInfo.RemoteLinkAddress)))
		}
	}
	return p.answer
}

// answer answers frame, an Ethernet frame addressed to the interface's
// MAC, if it is an echo request the fast path takes, and reports whether
// it did; if not, the frame is untouched and goes on to the stack.
func (p *echoPath) answer(frame []byte) bool {
	if len(frame) < header.EthernetMinimumSize+header.IPv4MinimumSize+header.ICMPv4MinimumSize ||
		header.Ethernet(frame).Type() != header.IPv4ProtocolNumber || p.e.bridge.Load() != nil {
		return false
	}
	ip, ok := echoRequest4(frame[header.EthernetMinimumSize:])
	if !ok || len(ip) > int(p.e.MTU()) {
		return false
	}
	src, dst := ip.SourceAddress(), ip.DestinationAddress()
	if !unicast4(src) || !p.ownAddress4(dst) || !p.directBack4(src, frame[6:12]) {
		return false
	}
	ttl := p.k.defaultTTL(ipv4.ProtocolNumber)
	if ttl <= 0 {
		return false
	}
	st := p.stats4()
	if st == nil {
		return false
	}
	reply := frame[:header.EthernetMinimumSize+len(ip)]
	turnEcho4(reply, uint8(ttl))
	gs := p.k.stack.Stats()
	for _, c := range []*tcpip.StatCounter{
		st.IP.PacketsReceived, gs.IP.PacketsReceived,
		st.IP.ValidPacketsReceived, gs.IP.ValidPacketsReceived,
		st.IP.PacketsDelivered, gs.IP.PacketsDelivered,
		st.ICMP.PacketsReceived.EchoRequest, gs.ICMP.V4.PacketsReceived.EchoRequest,
	} {
		c.Increment()
	}
	if err := p.e.writeFrame(reply); err != nil {
		st.ICMP.PacketsSent.Dropped.Increment()
		gs.ICMP.V4.PacketsSent.Dropped.Increment()
		return true
	}
	for _, c := range []*tcpip.StatCounter{
		st.IP.PacketsSent, gs.IP.PacketsSent,
		st.ICMP.PacketsSent.EchoReply, gs.ICMP.V4.PacketsSent.EchoReply,
	} {
		c.Increment()
	}
	echoAnswered.Add(1)
	return true
}

// echoRequest4 returns the IPv4 packet in b (without link padding) if it
// is an ICMP echo request the fast path takes: no options, not a
// fragment, valid header and ICMP checksums.
func echoRequest4(b []byte) (header.IPv4, bool) {
	ip := header.IPv4(b)
	if b[0] != 0x45 { // version 4, no options
		return nil, false
	}
	n := int(ip.TotalLength())
	if n < header.IPv4MinimumSize+header.ICMPv4MinimumSize || n > len(b) {
		return nil, false
	}
	ip = ip[:n]
	if ip.Protocol() != uint8(header.ICMPv4ProtocolNumber) || ip.More() || ip.FragmentOffset() != 0 ||
		ip.CalculateChecksum() != 0xffff {
		return nil, false
	}
	icmp := header.ICMPv4(ip[header.IPv4MinimumSize:])
	if icmp.Type() != header.ICMPv4Echo || icmp.Code() != 0 || checksum.Checksum(icmp, 0) != 0xffff {
		return nil, false
	}
	return ip, true
}

// unicast4 reports whether a is a unicast address a request may come
// from: not unspecified, loopback, multicast, broadcast or class E.
func unicast4(a tcpip.Address) bool {
	b := a.As4()
	return b[0] != 0 && b[0] != 127 && b[0] < 224
}

// ownAddress4 reports whether a is one of the interface's own assigned
// IPv4 addresses (not a subnet broadcast, nor one still tentative).
func (p *echoPath) ownAddress4(a tcpip.Address) bool {
	ep, terr := p.k.stack.GetNetworkEndpoint(p.nic, ipv4.ProtocolNumber)
	if terr != nil {
		return false
	}
	ae, ok := ep.(stack.AddressableEndpoint)
	if !ok {
		return false
	}
	as := ae.AcquireAssignedAddress(a, false, stack.NeverPrimaryEndpoint, true)
	return as != nil && as.AddressWithPrefix().Address == a && as.GetKind() == stack.Permanent
}

// directBack4 reports whether the kernel's route to remote is a direct
// one through the interface itself, and its neighbour entry for remote is
// complete and names srcMAC, the MAC the request came from.
func (p *echoPath) directBack4(remote tcpip.Address, srcMAC []byte) bool {
	r, terr := p.k.stack.FindRoute(0, tcpip.Address{}, remote, ipv4.ProtocolNumber, false)
	if terr != nil {
		return false
	}
	defer r.Release()
	if r.NICID() != p.nic || r.NextHop().Len() != 0 {
		return false
	}
	p.mac.Store(0)
	if r.ResolvedFields(p.resolved) != nil {
		return false
	}
	return p.mac.Load() == packMAC(srcMAC)
}

// stats4 returns the interface's IPv4 counters, which the stack keeps
// per interface besides its own totals.
func (p *echoPath) stats4() *ipv4.Stats {
	if st := p.st4.Load(); st != nil {
		return st
	}
	ep, terr := p.k.stack.GetNetworkEndpoint(p.nic, ipv4.ProtocolNumber)
	if terr != nil {
		return nil
	}
	st, ok := ep.Stats().(*ipv4.Stats)
	if !ok {
		return nil
	}
	p.st4.Store(st)
	return st
}

// turnEcho4 makes the echo request in frame (Ethernet and IPv4, exactly
// as long as the packet) its reply, in place.
func turnEcho4(frame []byte, ttl uint8) {
	var a [6]byte
	copy(a[:], frame[0:6])
	copy(frame[0:6], frame[6:12])
	copy(frame[6:12], a[:])
	ip := header.IPv4(frame[header.EthernetMinimumSize:])
	src, dst := ip.SourceAddress(), ip.DestinationAddress()
	ip.SetSourceAddress(dst)
	ip.SetDestinationAddress(src)
	ip.SetTTL(ttl)
	ip.SetChecksum(0)
	ip.SetChecksum(^ip.CalculateChecksum())
	icmp := header.ICMPv4(ip[header.IPv4MinimumSize:])
	icmp.SetType(header.ICMPv4EchoReply)
	icmp.SetChecksum(0)
	icmp.SetChecksum(^checksum.Checksum(icmp, 0))
}
