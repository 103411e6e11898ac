package rump

// What netstat(1) reads besides routes and interfaces: the stack's TCP and
// UDP endpoints and its protocol counters, translated into NetBSD's terms.
//
// The ICMP, TCP, UDP and ARP counters are the stack's own totals. gVisor
// keeps IP counters per interface and family only (its stack-wide IP
// counter mixes IPv4 and IPv6), so the ip and ip6 counters are the sums
// over the interfaces that exist: an interface's counts leave with it.
// gVisor counts no forwarded packets at all; the interfaces' transmit paths
// count them (counters.go), and gVisor's packets sent, which include them,
// less these are the packets sent from this host.

import (
	"cmp"
	"slices"

	"github.com/rumpnet/rumpnet/pkg/api"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv6"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
	"gvisor.dev/gvisor/pkg/tcpip/transport/tcp"
	"gvisor.dev/gvisor/pkg/tcpip/transport/udp"
)

// socketEndpoint is what a TCP or UDP endpoint of the stack offers besides
// stack.TransportEndpoint.
type socketEndpoint interface {
	Info() tcpip.EndpointInfo
	State() uint32
	GetSockOptInt(tcpip.SockOptInt) (int, tcpip.Error)
}

// Sockets lists the stack's TCP and UDP endpoints: TCP first, then UDP,
// IPv4 before IPv6, each by local then foreign address and port.
func (k *Kernel) Sockets() []api.Socket {
	seen := map[stack.TransportEndpoint]bool{}
	var out []api.Socket
	for _, te := range k.stack.RegisteredEndpoints() {
		ep, ok := te.(socketEndpoint)
		if !ok || seen[te] {
			continue
		}
		seen[te] = true
		info, ok := ep.Info().(*stack.TransportEndpointInfo)
		if !ok {
			continue
		}
		s := api.Socket{Family: 4, LocalPort: int(info.ID.LocalPort), ForeignPort: int(info.ID.RemotePort)}
		if info.NetProto == ipv6.ProtocolNumber {
			s.Family = 6
		}
		switch info.TransProto {
		case tcp.ProtocolNumber:
			s.Proto = "tcp"
			s.State = tcpStateName(tcp.EndpointState(ep.State()))
		case udp.ProtocolNumber:
			s.Proto = "udp"
		default:
			continue
		}
		s.LocalAddr = addrOrWildcard(info.ID.LocalAddress)
		s.ForeignAddr = addrOrWildcard(info.ID.RemoteAddress)
		if n, err := ep.GetSockOptInt(tcpip.ReceiveQueueSizeOption); err == nil {
			s.RecvQ = n
		}
		if n, err := ep.GetSockOptInt(tcpip.SendQueueSizeOption); err == nil {
			s.SendQ = n
		}
		out = append(out, s)
	}
	slices.SortFunc(out, func(a, b api.Socket) int {
		return cmp.Or(cmp.Compare(b.Proto, a.Proto), cmp.Compare(a.Family, b.Family),
			cmp.Compare(a.LocalAddr, b.LocalAddr), cmp.Compare(a.LocalPort, b.LocalPort),
			cmp.Compare(a.ForeignAddr, b.ForeignAddr), cmp.Compare(a.ForeignPort, b.ForeignPort))
	})
	return out
}

func addrOrWildcard(a tcpip.Address) string {
	if a.Len() == 0 || a.Unspecified() {
		return ""
	}
	return a.String()
}

// tcpStateName names a TCP state as NetBSD's tcpstates[] does.
func tcpStateName(s tcp.EndpointState) string {
	switch s {
	case tcp.StateListen:
		return "LISTEN"
	case tcp.StateSynSent, tcp.StateConnecting:
		return "SYN_SENT"
	case tcp.StateSynRecv:
		return "SYN_RCVD"
	case tcp.StateEstablished:
		return "ESTABLISHED"
	case tcp.StateCloseWait:
		return "CLOSE_WAIT"
	case tcp.StateFinWait1:
		return "FIN_WAIT_1"
	case tcp.StateClosing:
		return "CLOSING"
	case tcp.StateLastAck:
		return "LAST_ACK"
	case tcp.StateFinWait2:
		return "FIN_WAIT_2"
	case tcp.StateTimeWait:
		return "TIME_WAIT"
	}
	return "CLOSED"
}

// NetStats returns the kernel's protocol counters.
func (k *Kernel) NetStats() api.NetStats {
	s := k.stack.Stats()
	var out api.NetStats
	var fast4, fast6 uint64
	k.mu.Lock()
	for _, ifp := range k.ifaces {
		c := ifp.ep.counters()
		out.IP.Forwarded += c.fwd4.Load()
		out.IP6.Forwarded += c.fwd6.Load()
		fast4 += c.fast4.Load()
		fast6 += c.fast6.Load()
	}
	k.mu.Unlock()
	for _, info := range k.stack.NICInfo() {
		if st, ok := info.NetworkStats[ipv4.ProtocolNumber].(*ipv4.Stats); ok {
			addIPStats(&out.IP, &st.IP)
		}
		if st, ok := info.NetworkStats[ipv6.ProtocolNumber].(*ipv6.Stats); ok {
			addIPStats(&out.IP6, &st.IP)
		}
	}
	localOut(&out.IP)
	localOut(&out.IP6)
	// The fast path's packets never reach the stack: received and
	// forwarded, not sent from this host.
	out.IP.Total += fast4
	out.IP.Forwarded += fast4
	out.IP6.Total += fast6
	out.IP6.Forwarded += fast6
	out.ICMP = icmp4Stats(&s.ICMP.V4)
	out.ICMP6 = icmp6Stats(&s.ICMP.V6)
	t := &s.TCP
	out.TCP = api.TCPStats{
		SndTotal:    t.SegmentsSent.Value(),
		SndRexmit:   t.Retransmits.Value(),
		RcvTotal:    t.ValidSegmentsReceived.Value() + t.InvalidSegmentsReceived.Value(),
		RcvBadSum:   t.ChecksumErrors.Value(),
		ConnAttempt: t.ActiveConnectionOpenings.Value(),
		Accepts:     t.PassiveConnectionOpenings.Value(),
		Closed:      t.EstablishedClosed.Value(),
		Drops:       t.EstablishedResets.Value() + t.EstablishedTimedout.Value(),
		ConnDrops:   t.FailedConnectionAttempts.Value(),
		RexmtTimeo:  t.Timeouts.Value(),
		TimeoutDrop: t.EstablishedTimedout.Value(),
	}
	if opened := out.TCP.ConnAttempt + out.TCP.Accepts; opened > out.TCP.ConnDrops {
		out.TCP.Connects = opened - out.TCP.ConnDrops
	}
	u := &s.UDP
	out.UDP = api.UDPStats{
		IPackets: u.PacketsReceived.Value() + u.UnknownPortErrors.Value() +
			u.MalformedPacketsReceived.Value() + u.ChecksumErrors.Value(),
		HdrOps:   u.MalformedPacketsReceived.Value(),
		BadSum:   u.ChecksumErrors.Value(),
		NoPort:   u.UnknownPortErrors.Value(),
		FullSock: u.ReceiveBufferErrors.Value(),
		OPackets: u.PacketsSent.Value(),
	}
	a := &s.ARP
	out.ARP = api.ARPStats{
		SndTotal:   a.OutgoingRequestsSent.Value() + a.OutgoingRepliesSent.Value(),
		SndReply:   a.OutgoingRepliesSent.Value(),
		SndRequest: a.OutgoingRequestsSent.Value(),
		RcvTotal:   a.PacketsReceived.Value(),
		RcvReply:   a.RepliesReceived.Value(),
		RcvRequest: a.RequestsReceived.Value(),
		RcvBadLen:  a.MalformedPacketsReceived.Value(),
	}
	return out
}

func addIPStats(dst *api.IPStats, s *tcpip.IPStats) {
	dst.Total += s.PacketsReceived.Value()
	dst.BadFrags += s.MalformedFragmentsReceived.Value()
	dst.Delivered += s.PacketsDelivered.Value()
	dst.CantForward += s.Forwarding.Errors.Value()
	dst.LocalOut += s.PacketsSent.Value()
	dst.ODropped += s.OutgoingPacketErrors.Value()
	dst.NoRoute += s.Forwarding.Unrouteable.Value()
	dst.CantFrag += s.Forwarding.PacketTooBig.Value()
	dst.BadAddr += s.InvalidDestinationAddressesReceived.Value() + s.InvalidSourceAddressesReceived.Value()
	dst.BadScope += s.Forwarding.LinkLocalSource.Value() + s.Forwarding.LinkLocalDestination.Value()
}

// localOut takes the forwarded packets out of the packets sent, leaving
// those sent from this host. A forwarded packet is counted before gVisor
// counts it sent, so a reader may see it forwarded and not yet sent.
func localOut(st *api.IPStats) {
	st.LocalOut -= min(st.LocalOut, st.Forwarded)
}

// histogram maps message types to counters, leaving out those at zero.
func histogram(counters map[int]*tcpip.StatCounter) map[int]uint64 {
	h := map[int]uint64{}
	for typ, c := range counters {
		if v := c.Value(); v != 0 {
			h[typ] = v
		}
	}
	return h
}

func icmp4Types(p *tcpip.ICMPv4PacketStats) map[int]*tcpip.StatCounter {
	return map[int]*tcpip.StatCounter{
		0: p.EchoReply, 3: p.DstUnreachable, 4: p.SrcQuench, 5: p.Redirect, 8: p.EchoRequest,
		11: p.TimeExceeded, 12: p.ParamProblem, 13: p.Timestamp, 14: p.TimestampReply,
		15: p.InfoRequest, 16: p.InfoReply,
	}
}

func icmp4Stats(s *tcpip.ICMPv4Stats) api.ICMPStats {
	sent := &s.PacketsSent.ICMPv4PacketStats
	return api.ICMPStats{
		Error: sent.DstUnreachable.Value() + sent.SrcQuench.Value() + sent.Redirect.Value() +
			sent.TimeExceeded.Value() + sent.ParamProblem.Value() + s.PacketsSent.RateLimited.Value(),
		RateLimited: s.PacketsSent.RateLimited.Value(),
		OutHist:     histogram(icmp4Types(sent)),
		InHist:      histogram(icmp4Types(&s.PacketsReceived.ICMPv4PacketStats)),
		BadLen:      s.PacketsReceived.Invalid.Value(),
		Reflect:     sent.EchoReply.Value() + sent.TimestampReply.Value() + sent.InfoReply.Value(),
	}
}

func icmp6Types(p *tcpip.ICMPv6PacketStats) map[int]*tcpip.StatCounter {
	return map[int]*tcpip.StatCounter{
		1: p.DstUnreachable, 2: p.PacketTooBig, 3: p.TimeExceeded, 4: p.ParamProblem,
		128: p.EchoRequest, 129: p.EchoReply, 130: p.MulticastListenerQuery,
		131: p.MulticastListenerReport, 132: p.MulticastListenerDone, 133: p.RouterSolicit,
		134: p.RouterAdvert, 135: p.NeighborSolicit, 136: p.NeighborAdvert, 137: p.RedirectMsg,
		143: p.MulticastListenerReportV2,
	}
}

func icmp6Stats(s *tcpip.ICMPv6Stats) api.ICMPStats {
	sent := &s.PacketsSent.ICMPv6PacketStats
	return api.ICMPStats{
		Error: sent.DstUnreachable.Value() + sent.PacketTooBig.Value() + sent.TimeExceeded.Value() +
			sent.ParamProblem.Value() + s.PacketsSent.RateLimited.Value(),
		RateLimited: s.PacketsSent.RateLimited.Value(),
		OutHist:     histogram(icmp6Types(sent)),
		InHist:      histogram(icmp6Types(&s.PacketsReceived.ICMPv6PacketStats)),
		BadLen:      s.PacketsReceived.Invalid.Value(),
		Reflect:     sent.EchoReply.Value(),
	}
}
