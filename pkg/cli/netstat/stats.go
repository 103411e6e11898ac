package netstat

// Protocol statistics (-s, -p): NetBSD's lines, in NetBSD's order, for the
// counters the rump kernel keeps. A single -s prints every line, zeros
// included; -ss leaves out the zeros.

import (
	"fmt"
	"io"
	"slices"

	"github.com/rumpnet/rumpnet/internal/xo"
	"github.com/rumpnet/rumpnet/pkg/api"
)

// proto is one protocol netstat -s can show.
type proto struct {
	name   string
	family int
	print  func(p printer, st api.NetStats)
}

// protos are in netstat's order: the inet protocols as /etc/protocols
// lists them, then arp, then the inet6 ones.
var protos = []proto{
	{"ip", 4, func(p printer, st api.NetStats) { printIP(p, st.IP, false) }},
	{"icmp", 4, func(p printer, st api.NetStats) { printICMP(p, st.ICMP, icmpNames, false) }},
	{"tcp", 4, func(p printer, st api.NetStats) { printTCP(p, st.TCP) }},
	{"udp", 4, func(p printer, st api.NetStats) { printUDP(p, st.UDP) }},
	{"arp", 4, func(p printer, st api.NetStats) { printARP(p, st.ARP) }},
	{"ip6", 6, func(p printer, st api.NetStats) { printIP(p, st.IP6, true) }},
	{"icmp6", 6, func(p printer, st api.NetStats) { printICMP(p, st.ICMP6, icmp6Names, true) }},
}

func findProto(name string) *proto {
	for i := range protos {
		if protos[i].name == name {
			return &protos[i]
		}
	}
	return nil
}

// protoStats prints -s (every protocol of the -f families) or -p.
func (o options) protoStats(w io.Writer, b Backend) error {
	st, err := b.NetStats()
	if err != nil {
		return err
	}
	if o.xo.Style != xo.Text {
		return o.emitProtoStats(w, st)
	}
	p := printer{w: w, all: o.stats <= 1}
	for _, pr := range protos {
		if o.proto != "" && pr.name != o.proto || o.proto == "" && !slices.Contains(o.families(), pr.family) {
			continue
		}
		fmt.Fprintf(w, "%s:\n", pr.name)
		pr.print(p, st)
	}
	return nil
}

// printer prints counter lines, leaving out zeros unless all is set.
type printer struct {
	w   io.Writer
	all bool
}

// p prints format with n and the plural "s" of n.
func (p printer) p(n uint64, format string) {
	if n != 0 || p.all {
		fmt.Fprintf(p.w, format, n, plural(n))
	}
}

// ps prints format with n alone.
func (p printer) ps(n uint64, format string) {
	if n != 0 || p.all {
		fmt.Fprintf(p.w, format, n)
	}
}

// p2 prints format with two counters, each with its plural.
func (p printer) p2(n1, n2 uint64, format string) {
	if n1 != 0 || n2 != 0 || p.all {
		fmt.Fprintf(p.w, format, n1, plural(n1), n2, plural(n2))
	}
}

func printIP(p printer, s api.IPStats, v6 bool) {
	p.p(s.Total, "\t%d total packet%s received\n")
	if !v6 {
		p.p(s.BadFrags, "\t%d malformed fragment%s dropped\n")
	}
	p.p(s.Delivered, "\t%d packet%s for this host\n")
	p.p(s.Forwarded, "\t%d packet%s forwarded\n")
	p.p(s.CantForward, "\t%d packet%s not forwardable\n")
	p.p(s.LocalOut, "\t%d packet%s sent from this host\n")
	p.p(s.ODropped, "\t%d output packet%s dropped due to no bufs, etc.\n")
	p.p(s.NoRoute, "\t%d output packet%s discarded due to no route\n")
	p.p(s.CantFrag, "\t%d datagram%s that can't be fragmented\n")
	if v6 {
		p.p(s.BadScope, "\t%d packet%s that violated scope rules\n")
	} else {
		p.p(s.BadAddr, "\t%d datagram%s with bad address in header\n")
	}
}

// icmpNames and icmp6Names name ICMP message types as netstat does.
var icmpNames = map[int]string{
	0: "echo reply", 3: "destination unreachable", 4: "source quench", 5: "routing redirect",
	6: "alternate host address", 8: "echo", 9: "router advertisement", 10: "router solicitation",
	11: "time exceeded", 12: "parameter problem", 13: "time stamp", 14: "time stamp reply",
	15: "information request", 16: "information request reply", 17: "address mask request",
	18: "address mask reply",
}

var icmp6Names = map[int]string{
	1: "unreach", 2: "packet too big", 3: "time exceed", 4: "parameter problem", 128: "echo",
	129: "echo reply", 130: "multicast listener query", 131: "multicast listener report",
	132: "multicast listener done", 133: "router solicitation", 134: "router advertisement",
	135: "neighbor solicitation", 136: "neighbor advertisement", 137: "redirect",
	138: "router renumbering", 139: "node information request", 140: "node information reply",
}

func typeName(names map[int]string, typ int) string {
	if n, ok := names[typ]; ok {
		return n
	}
	return fmt.Sprintf("#%d", typ)
}

func printHistogram(p printer, title string, h map[int]uint64, names map[int]string) {
	types := make([]int, 0, len(h))
	for t, n := range h {
		if n != 0 {
			types = append(types, t)
		}
	}
	if len(types) == 0 {
		return
	}
	slices.Sort(types)
	fmt.Fprintf(p.w, "\t%s:\n", title)
	for _, t := range types {
		fmt.Fprintf(p.w, "\t\t%s: %d\n", typeName(names, t), h[t])
	}
}

func printICMP(p printer, s api.ICMPStats, names map[int]string, v6 bool) {
	histogram := "histogram"
	if v6 {
		histogram = "packet histogram"
		p.p(s.Error, "\t%d call%s to icmp6_error\n")
		p.p(s.RateLimited, "\t%d error%s not generated because of rate limitation\n")
	} else {
		p.p(s.Error, "\t%d call%s to icmp_error\n")
	}
	printHistogram(p, "Output "+histogram, s.OutHist, names)
	p.p(s.BadLen, "\t%d message%s with bad length\n")
	printHistogram(p, "Input "+histogram, s.InHist, names)
	p.p(s.Reflect, "\t%d message response%s generated\n")
}

func printTCP(p printer, s api.TCPStats) {
	p.p(s.SndTotal, "\t%d packet%s sent\n")
	p.p(s.SndRexmit, "\t\t%d data packet%s retransmitted\n")
	p.p(s.RcvTotal, "\t%d packet%s received\n")
	p.p(s.RcvBadSum, "\t\t%d discarded for bad checksum%s\n")
	p.p(s.ConnAttempt, "\t%d connection request%s\n")
	p.p(s.Accepts, "\t%d connection accept%s\n")
	p.p(s.Connects, "\t%d connection%s established (including accepts)\n")
	p.p2(s.Closed, s.Drops, "\t%d connection%s closed (including %d drop%s)\n")
	p.p(s.ConnDrops, "\t%d embryonic connection%s dropped\n")
	p.p(s.RexmtTimeo, "\t%d retransmit timeout%s\n")
	p.p(s.TimeoutDrop, "\t\t%d connection%s dropped by rexmit timeout\n")
}

func printUDP(p printer, s api.UDPStats) {
	p.p(s.IPackets, "\t%d datagram%s received\n")
	p.ps(s.HdrOps, "\t%d with incomplete header\n")
	p.ps(s.BadSum, "\t%d with bad checksum\n")
	p.ps(s.NoPort, "\t%d dropped due to no socket\n")
	p.ps(s.FullSock, "\t%d dropped due to full socket buffers\n")
	var delivered uint64
	if dropped := s.HdrOps + s.BadSum + s.NoPort + s.FullSock; s.IPackets > dropped {
		delivered = s.IPackets - dropped
	}
	p.ps(delivered, "\t%d delivered\n")
	p.p(s.OPackets, "\t%d datagram%s output\n")
}

func printARP(p printer, s api.ARPStats) {
	p.p(s.SndTotal, "\t%d packet%s sent\n")
	p.p(s.SndReply, "\t\t%d reply packet%s\n")
	p.p(s.SndRequest, "\t\t%d request packet%s\n")
	p.p(s.RcvTotal, "\t%d packet%s received\n")
	p.p(s.RcvReply, "\t\t%d reply packet%s\n")
	p.p(s.RcvRequest, "\t\t%d valid request packet%s\n")
	p.p(s.RcvBadLen, "\t\t%d packet%s with bad (short) length\n")
}
