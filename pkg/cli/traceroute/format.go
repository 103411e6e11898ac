package traceroute

// The lines: traceroute(8)'s and traceroute6(8)'s, built from the
// kernel's events. Pure: names come from a function the caller gives.

import (
	"fmt"
	"io"
)

// ICMP types and codes the annotations depend on.
const (
	icmp4EchoReply   = 0
	icmp4Unreach     = 3
	icmp6Unreach     = 1
	icmp6EchoReply   = 129
	icmp4UnreachPort = 3
	icmp6UnreachPort = 4
)

// printer writes the hop lines of one run.
type printer struct {
	w       io.Writer
	family  Family
	numeric bool                     // -n
	both    bool                     // rtraceroute6 -l
	name    func(addr string) string // reverse lookup; the address itself if none
	ttl     int                      // the TTL of the open line; 0 for none
	last    string                   // the last address printed on the line
}

// header is the line traceroute writes to stderr before the first probe.
func header(o options, hostname, dst, src string, maxTTL int) string {
	prog := "traceroute"
	from := ""
	if o.src != "" {
		from = " from " + o.src
	}
	if o.family == Inet6 {
		prog = "traceroute6"
		if src != "" {
			from = " from " + src
		}
	}
	return fmt.Sprintf("%s to %s (%s)%s, %d hops max, %d byte packets\n", prog, hostname, dst, from, maxTTL, o.packetSize())
}

// probe prints one probe's result; it opens the TTL's line first.
func (p *printer) probe(ttl int, from string, rtt float64, typ, code, mtu, replyTTL int) {
	if ttl != p.ttl {
		p.close()
		fmt.Fprintf(p.w, "%2d ", ttl)
		p.ttl, p.last = ttl, ""
	}
	if from == "" {
		fmt.Fprint(p.w, " *")
		return
	}
	if from != p.last {
		if p.last != "" && p.family == Inet {
			fmt.Fprint(p.w, "\n   ")
		}
		fmt.Fprint(p.w, p.hostPart(from))
		p.last = from
	}
	fmt.Fprintf(p.w, "  %.3f ms%s", rtt, p.annotation(typ, code, mtu, replyTTL))
}

// hostPart is " name (addr)", or " addr" with -n; traceroute6 shows the
// name alone unless -l.
func (p *printer) hostPart(addr string) string {
	switch {
	case p.numeric:
		return " " + addr
	case p.family == Inet6 && !p.both:
		return " " + p.name(addr)
	}
	return fmt.Sprintf(" %s (%s)", p.name(addr), addr)
}

// annotation is what follows an answer's time: why the probe was refused,
// or "!" when the destination answered with a TTL of 1 or less.
func (p *printer) annotation(typ, code, mtu, replyTTL int) string {
	if p.family == Inet6 {
		switch {
		case typ == icmp6EchoReply, typ == icmp6Unreach && code == icmp6UnreachPort:
			return lastHop(replyTTL)
		case typ == icmp6Unreach:
			if a, ok := map[int]string{0: " !N", 1: " !P", 2: " !S", 3: " !A"}[code]; ok {
				return a
			}
		}
		return ""
	}
	switch {
	case typ == icmp4EchoReply, typ == icmp4Unreach && code == icmp4UnreachPort:
		return lastHop(replyTTL)
	case typ != icmp4Unreach:
		return ""
	case code == 4:
		return fmt.Sprintf(" !F-%d", mtu)
	}
	if a, ok := map[int]string{0: " !N", 1: " !H", 2: " !P", 5: " !S", 13: " !X", 14: " !V", 15: " !C"}[code]; ok {
		return a
	}
	return fmt.Sprintf(" !<%d>", code)
}

// lastHop marks an answer from the destination that arrived with a TTL of
// 1 (0 is a TTL the kernel did not learn).
func lastHop(replyTTL int) string {
	if replyTTL == 1 {
		return " !"
	}
	return ""
}

// close ends the open line.
func (p *printer) close() {
	if p.ttl != 0 {
		fmt.Fprintln(p.w)
		p.ttl = 0
	}
}

// printf writes a line of its own, after closing the open one.
func (p *printer) printf(format string, a ...any) {
	p.close()
	fmt.Fprintf(p.w, format, a...)
}
