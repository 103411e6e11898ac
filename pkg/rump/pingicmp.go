package rump

// ICMP messages other than echo replies, for ping: gVisor's ping endpoint
// drops the errors that quote its requests (Time To Live exceeded,
// Destination Unreachable, ...), so a run also opens a raw ICMP endpoint
// of the family, which sees every ICMP message the kernel receives, as
// NetBSD's ping's raw socket does, and reports those that quote one of
// the run's requests or, when asked, all of them.

import (
	"bytes"
	"context"
	"encoding/binary"
	"time"

	"github.com/rumpnet/rumpnet/pkg/api"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/header"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv6"
	"gvisor.dev/gvisor/pkg/tcpip/transport/icmp"
	"gvisor.dev/gvisor/pkg/tcpip/transport/raw"
	"gvisor.dev/gvisor/pkg/waiter"
)

// openErrors opens the run's raw endpoint and returns the channel that
// says it is readable; nil (a run without error reports) if the stack
// refuses the endpoint.
func (p *pingRun) openErrors() <-chan struct{} {
	transport := icmp.ProtocolNumber4
	if p.t.proto == ipv6.ProtocolNumber {
		transport = icmp.ProtocolNumber6
	}
	ep, terr := raw.NewEndpoint(p.k.stack, p.t.proto, transport, &p.rawWQ)
	if terr != nil {
		return nil
	}
	if p.withOptions() {
		ep.SocketOptions().SetHeaderIncluded(true)
	}
	if (p.withOptions() || p.t.req.NodeInfo) && p.t.nic != 0 {
		ep.SocketOptions().SetBindToDevice(int32(p.t.nic))
	}
	var ch chan struct{}
	p.rawWE, ch = waiter.NewChannelEntry(waiter.ReadableEvents)
	p.rawWQ.EventRegister(&p.rawWE)
	p.raw = ep
	return ch
}

func (p *pingRun) closeErrors() {
	p.rawWQ.EventUnregister(&p.rawWE)
	p.raw.Close()
}

// receiveICMP reads every queued message of the raw endpoint and reports
// those the run wants.
func (p *pingRun) receiveICMP() {
	var buf bytes.Buffer
	for {
		buf.Reset()
		res, terr := p.raw.Read(&buf, tcpip.ReadOptions{NeedRemoteAddr: true})
		if terr != nil {
			return
		}
		msg, ttl := buf.Bytes(), 0
		var opts []byte
		if p.t.proto != ipv6.ProtocolNumber {
			// Raw IPv4 endpoints read the IP header too.
			ip := header.IPv4(msg)
			if !ip.IsValid(len(msg)) {
				continue
			}
			ttl, opts, msg = int(ip.TTL()), bytes.Clone(ip.Options()), msg[ip.HeaderLength():]
			if p.withOptions() && len(msg) >= header.ICMPv4MinimumSize &&
				header.ICMPv4(msg).Type() == header.ICMPv4EchoReply && header.ICMPv4(msg).Ident() == p.ident {
				from := p.k.addrString(res.RemoteAddr.Addr, res.RemoteAddr.NIC)
				p.reply(msg, from, ttl, res.ControlMessages.Timestamp, opts)
				continue
			}
		}
		if p.nodeInfoReply(msg, res) {
			continue
		}
		seq, mine, ok := p.classify(msg)
		if !ok {
			continue
		}
		p.emit(api.PingEvent{
			Type:  api.PingICMP,
			From:  p.k.addrString(res.RemoteAddr.Addr, res.RemoteAddr.NIC),
			Bytes: len(msg),
			TTL:   ttl,
			ICMP:  bytes.Clone(msg),
			Mine:  mine,
			Seq:   seq,
		})
	}
}

// classify decides whether a message is reported: never an echo reply
// (the ping endpoint reads the run's own), always an error quoting one of
// the run's requests, anything else only with AllICMP. It also returns the
// quoted request's sequence number.
func (p *pingRun) classify(msg []byte) (seq int, mine, ok bool) {
	if len(msg) < header.ICMPv4MinimumSize {
		return 0, false, false
	}
	typ := msg[0]
	if p.t.proto == ipv6.ProtocolNumber {
		if header.ICMPv6Type(typ) == header.ICMPv6EchoReply {
			return 0, false, false
		}
		if p.t.req.NodeInfo && typ == niReply {
			return 0, false, false // p.nodeInfoReply's
		}
		seq, mine = p.quoted6(msg)
		return seq, mine, p.t.req.AllICMP || mine
	}
	if header.ICMPv4Type(typ) == header.ICMPv4EchoReply {
		return 0, false, false
	}
	seq, mine = p.quoted4(msg)
	return seq, mine, p.t.req.AllICMP || mine
}

// icmpErrors4 are the IPv4 error types, whose data quotes the datagram
// they are about.
var icmpErrors4 = map[header.ICMPv4Type]bool{
	header.ICMPv4DstUnreachable: true, header.ICMPv4SrcQuench: true, header.ICMPv4Redirect: true,
	header.ICMPv4TimeExceeded: true, header.ICMPv4ParamProblem: true,
}

// quoted4 finds the run's echo request in an IPv4 error message.
func (p *pingRun) quoted4(msg []byte) (int, bool) {
	if !icmpErrors4[header.ICMPv4Type(msg[0])] || len(msg) < header.ICMPv4MinimumSize+header.IPv4MinimumSize {
		return 0, false
	}
	ip := header.IPv4(msg[header.ICMPv4MinimumSize:])
	hl := int(ip.HeaderLength())
	inner := msg[header.ICMPv4MinimumSize+min(hl, len(ip)):]
	if ip.Protocol() != uint8(header.ICMPv4ProtocolNumber) || hl < header.IPv4MinimumSize || len(inner) < 8 {
		return 0, false
	}
	if header.ICMPv4Type(inner[0]) != header.ICMPv4Echo || binary.BigEndian.Uint16(inner[4:]) != p.ident {
		return 0, false
	}
	return int(binary.BigEndian.Uint16(inner[6:])), true
}

// quoted6 finds the run's echo request in an ICMPv6 error message (one
// whose quoted packet has no extension headers).
func (p *pingRun) quoted6(msg []byte) (int, bool) {
	if msg[0] >= 128 || len(msg) < header.ICMPv6MinimumSize+header.IPv6MinimumSize+8 {
		return 0, false
	}
	ip := header.IPv6(msg[header.ICMPv6MinimumSize:])
	inner := msg[header.ICMPv6MinimumSize+header.IPv6MinimumSize:]
	if ip.NextHeader() != uint8(header.ICMPv6ProtocolNumber) || header.ICMPv6Type(inner[0]) != header.ICMPv6EchoRequest {
		return 0, false
	}
	if binary.BigEndian.Uint16(inner[4:]) != p.ident {
		return 0, false
	}
	return int(binary.BigEndian.Uint16(inner[6:])), true
}

// sourcePoll is how often a run with a deadline looks again for a source
// address while one of the family is still tentative.
const sourcePoll = 20 * time.Millisecond

// awaitSource waits, until the deadline, for the kernel to have a route
// and a usable source address for the run while duplicate address
// detection still holds an address of the family back: a run started just
// after an interface came up keeps trying, as its deadline allows, instead
// of failing at once.
func (k *Kernel) awaitSource(ctx context.Context, t pingTarget, until time.Time) {
	tick := time.NewTicker(sourcePoll)
	defer tick.Stop()
	for {
		r, terr := k.stack.FindRoute(t.nic, t.src, t.dst, t.proto, false)
		if terr == nil {
			r.Release()
			return
		}
		if !k.hasTentative(t.proto == ipv6.ProtocolNumber, t.nic) || !time.Now().Before(until) {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// hasTentative reports whether an address of the family (on interface
// nic, if not 0) is still undergoing duplicate address detection.
func (k *Kernel) hasTentative(inet6 bool, nic tcpip.NICID) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	for _, ifp := range k.ifaces {
		if nic != 0 && ifp.nic != nic {
			continue
		}
		for _, a := range ifp.addrs {
			if a.is4() != inet6 && a.dad.Load()&dadTentative != 0 {
				return true
			}
		}
	}
	return false
}
