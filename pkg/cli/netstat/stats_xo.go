package netstat

import (
	"io"
	"slices"

	"github.com/rumpnet/rumpnet/internal/xo"
	"github.com/rumpnet/rumpnet/pkg/api"
)

// counter is one named counter of a protocol's container.
type counter struct {
	key string
	n   uint64
}

// xoCounters are each protocol's counters under FreeBSD netstat -s's keys
// (inet.c, if_arp's), as far as ours map onto them. Counters FreeBSD has no
// key for carry our own name: ip's delivered-packets and
// dropped-bad-fragments, ip6's discard-bad-scope, icmp's rate-limited.
func xoCounters(name string, st api.NetStats) []counter {
	switch name {
	case "ip", "ip6":
		s := st.IP
		if name == "ip6" {
			s = st.IP6
		}
		c := []counter{{"received-packets", s.Total}, {"dropped-bad-fragments", s.BadFrags},
			{"delivered-packets", s.Delivered}, {"forwarded-packets", s.Forwarded},
			{"packets-cannot-forward", s.CantForward},
			{"sent-packets", s.LocalOut}, {"discard-no-mbufs", s.ODropped}, {"discard-no-route", s.NoRoute},
			{"discard-cannot-fragment", s.CantFrag}}
		if name == "ip6" {
			return append(c, counter{"discard-bad-scope", s.BadScope})
		}
		return append(c, counter{"discard-bad-address", s.BadAddr})
	case "icmp", "icmp6":
		s := st.ICMP
		if name == "icmp6" {
			s = st.ICMP6
		}
		return []counter{{"icmp-calls", s.Error}, {"rate-limited", s.RateLimited},
			{"dropped-bad-length", s.BadLen}, {"sent-packets", s.Reflect}}
	case "tcp":
		s := st.TCP
		return []counter{{"sent-packets", s.SndTotal}, {"sent-retransmitted-packets", s.SndRexmit},
			{"received-packets", s.RcvTotal}, {"discard-bad-checksum", s.RcvBadSum},
			{"connection-requests", s.ConnAttempt}, {"connections-accepts", s.Accepts},
			{"connections-established", s.Connects}, {"connections-closed", s.Closed},
			{"connection-drops", s.Drops}, {"embryonic-connections-dropped", s.ConnDrops},
			{"retransmit-timeouts", s.RexmtTimeo}, {"connections-dropped-by-retransmit-timeout", s.TimeoutDrop}}
	case "udp":
		s := st.UDP
		var delivered uint64
		if dropped := s.HdrOps + s.BadSum + s.NoPort + s.FullSock; s.IPackets > dropped {
			delivered = s.IPackets - dropped
		}
		return []counter{{"received-datagrams", s.IPackets}, {"dropped-incomplete-headers", s.HdrOps},
			{"dropped-bad-checksum", s.BadSum}, {"dropped-no-socket", s.NoPort},
			{"dropped-full-socket-buffer", s.FullSock}, {"delivered-packets", delivered},
			{"output-packets", s.OPackets}}
	case "arp":
		s := st.ARP
		return []counter{{"sent-requests", s.SndRequest}, {"sent-replies", s.SndReply},
			{"received-requests", s.RcvRequest}, {"received-replies", s.RcvReply},
			{"received-packets", s.RcvTotal}, {"dropped-bad-length", s.RcvBadLen}}
	}
	return nil
}

// emitProtoStats writes -s or -p as FreeBSD netstat does with libxo: a
// container per protocol in "statistics", zero counters left out with -ss
// as in the text, and ICMP's histograms as "output-histogram" and
// "input-histogram" lists of name and count.
func (o options) emitProtoStats(w io.Writer, st api.NetStats) error {
	x := xo.NewWriter(w, o.xo)
	x.Open("statistics")
	for _, pr := range protos {
		if o.proto != "" && pr.name != o.proto || o.proto == "" && !slices.Contains(o.families(), pr.family) {
			continue
		}
		x.Open(pr.name)
		for _, c := range xoCounters(pr.name, st) {
			if c.n != 0 || o.stats <= 1 {
				x.Emit(c.key, c.n)
			}
		}
		switch pr.name {
		case "icmp":
			emitHistogram(x, "output-histogram", st.ICMP.OutHist, icmpNames)
			emitHistogram(x, "input-histogram", st.ICMP.InHist, icmpNames)
		case "icmp6":
			emitHistogram(x, "output-histogram", st.ICMP6.OutHist, icmp6Names)
			emitHistogram(x, "input-histogram", st.ICMP6.InHist, icmp6Names)
		}
		x.Close(pr.name)
	}
	x.Close("statistics")
	return x.Finish()
}

func emitHistogram(x *xo.Writer, list string, h map[int]uint64, names map[int]string) {
	types := make([]int, 0, len(h))
	for t, n := range h {
		if n != 0 {
			types = append(types, t)
		}
	}
	slices.Sort(types)
	for _, t := range types {
		x.OpenInstance(list)
		x.Emit("name", typeName(names, t))
		x.Emit("count", h[t])
		x.CloseInstance(list)
	}
}
