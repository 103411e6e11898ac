package ping

// ICMP messages other than echo replies, printed as NetBSD's ping(8)
// prints them (pr_icmph and pr_retip there) and, with -v, as ping6(8)
// prints ICMPv6 ones.

import (
	"encoding/binary"
	"fmt"
	"io"
	"net/netip"
	"strings"

	"github.com/rumpnet/rumpnet/pkg/api"
)

// icmpError4 are the IPv4 error types: printed without -v when they are
// about one of the run's requests.
var icmpError4 = map[byte]bool{3: true, 4: true, 5: true, 11: true, 12: true}

// unreach4 are the texts of the codes of Destination Unreachable.
var unreach4 = []string{
	"Destination Net Unreachable", "Destination Host Unreachable", "Destination Protocol Unreachable",
	"Destination Port Unreachable", "", "Source Route Failed", "Unreachable unknown net",
	"Unreachable unknown host", "Unreachable host isolated", "Net prohibited access",
	"Host prohibited access", "Bad TOS for net", "Bad TOS for host", "Communication prohibited",
	"Host precedence violation", "Precedence cutoff",
}

var redirect4 = []string{"Redirect Network", "Redirect Host",
	"Redirect Type of Service and Network", "Redirect Type of Service and Host"}

// other4 are the texts of types that only -v prints.
var other4 = map[byte]string{9: "Router Discovery Advert", 10: "Router Discovery Solicit",
	13: "Timestamp", 14: "Timestamp Reply", 15: "Information Request", 16: "Information Reply",
	17: "Address Mask Request", 18: "Address Mask Reply"}

// icmp prints an ICMP message event.
func (r *report) icmp(ev api.PingEvent) {
	m := ev.ICMP
	if len(m) < 8 {
		return
	}
	if r.family == Inet6 {
		if r.verbose {
			fmt.Fprintf(r.t.Stdout, "%d bytes from %s: %s\n\n", ev.Bytes, r.addr(ev.From), icmp6Text(m))
		}
		return
	}
	typ, code := m[0], m[1]
	switch {
	case r.verbose:
	case icmpError4[typ] && ev.Mine && !r.quiet && !r.semiquiet:
		fmt.Fprintf(r.t.Stdout, "%d bytes from %s: ", ev.Bytes, r.from(ev.From))
	default:
		return
	}
	var b strings.Builder
	switch typ {
	case 3:
		if int(code) < len(unreach4) && code != 4 {
			b.WriteString(unreach4[code])
		} else if code == 4 {
			fmt.Fprintf(&b, "frag needed and DF set.  Next MTU=%d", binary.BigEndian.Uint16(m[6:]))
		} else {
			fmt.Fprintf(&b, "Bad Destination Unreachable Code: %d", code)
		}
		r.retip(&b, m)
	case 4:
		b.WriteString("Source Quench")
		r.retip(&b, m)
	case 5:
		if int(code) < len(redirect4) {
			b.WriteString(redirect4[code])
		} else {
			fmt.Fprintf(&b, "Redirect--Bad Code: %d", code)
		}
		gw := netip.AddrFrom4([4]byte(m[4:8]))
		fmt.Fprintf(&b, " New router addr: %s", r.from(gw.String()))
		r.retip(&b, m)
	case 8:
		fmt.Fprintf(&b, "Echo Request: ID=%d seq=%d", binary.BigEndian.Uint16(m[4:]), binary.BigEndian.Uint16(m[6:]))
	case 11:
		switch code {
		case 0:
			b.WriteString("Time To Live exceeded")
		case 1:
			b.WriteString("Frag reassembly time exceeded")
		default:
			fmt.Fprintf(&b, "Time exceeded, Bad Code: %d", code)
		}
		r.retip(&b, m)
	case 12:
		fmt.Fprintf(&b, "Parameter problem: pointer = 0x%02x", m[4])
		r.retip(&b, m)
	default:
		if s, ok := other4[typ]; ok {
			b.WriteString(s)
			break
		}
		fmt.Fprintf(&b, "Bad ICMP type: %d", typ)
		writeIPHeader(&b, m)
	}
	fmt.Fprintf(r.t.Stdout, "%s\n", b.String())
}

// from prints the sender of an ICMP message: "name (address)" when it
// has a name and names are wanted, else the address.
func (r *report) from(a string) string {
	if !r.names {
		return a
	}
	if n := lookupName(a); n != a {
		return n + " (" + a + ")"
	}
	return a
}

// retip describes the datagram an error quotes: the request's sequence
// number or, with -v, its IP header and identifiers.
func (r *report) retip(b *strings.Builder, m []byte) {
	q := m[8:]
	if r.verbose {
		writeIPHeader(b, m)
	}
	if len(q) < 20 {
		return
	}
	hl := int(q[0]&0x0f) * 4
	if len(q) < hl+8 {
		return
	}
	inner := q[hl:]
	switch q[9] {
	case 6, 17:
		if r.verbose {
			name := map[byte]string{6: "TCP", 17: "UDP"}[q[9]]
			fmt.Fprintf(b, "\n  %s: from port %d, to port %d", name, binary.BigEndian.Uint16(inner), binary.BigEndian.Uint16(inner[2:]))
		}
	case 1:
		if inner[0] != 8 {
			return
		}
		if r.verbose {
			fmt.Fprintf(b, "\n  ID=%d icmp_seq=%d", binary.BigEndian.Uint16(inner[4:]), binary.BigEndian.Uint16(inner[6:]))
		} else {
			fmt.Fprintf(b, " for icmp_seq=%d", binary.BigEndian.Uint16(inner[6:]))
		}
	}
}

// writeIPHeader dumps the IP header an ICMP message quotes, as ping -v
// does.
func writeIPHeader(w io.Writer, m []byte) {
	q := m[8:]
	if len(q) < 20 {
		return
	}
	be := binary.BigEndian
	off := be.Uint16(q[6:])
	fmt.Fprintf(w, "\n Vr HL TOS  Len   ID Flg  off TTL Pro  cks      Src\t     Dst\n")
	fmt.Fprintf(w, "  %1x  %1x  %02x %04x %04x", q[0]>>4, q[0]&0x0f, q[1], be.Uint16(q[2:]), be.Uint16(q[4:]))
	fmt.Fprintf(w, "   %1x %04x", off>>13, off&0x1fff)
	fmt.Fprintf(w, "  %02x  %02x %04x", q[8], q[9], be.Uint16(q[10:]))
	fmt.Fprintf(w, " %15s ", netip.AddrFrom4([4]byte(q[12:16])))
	fmt.Fprintf(w, " %s ", netip.AddrFrom4([4]byte(q[16:20])))
	for i := 20; i < int(q[0]&0x0f)*4 && i < len(q); i++ {
		fmt.Fprintf(w, "%02x", q[i])
	}
}

// icmp6Text is ping6 -v's description of an ICMPv6 message.
func icmp6Text(m []byte) string {
	typ, code := m[0], m[1]
	pick := func(texts []string, bad string) string {
		if int(code) < len(texts) && texts[code] != "" {
			return texts[code]
		}
		return fmt.Sprintf(bad, code)
	}
	switch typ {
	case 1:
		return pick([]string{"No Route to Destination", "Destination Administratively Unreachable",
			"Destination Unreachable Beyond Scope", "Destination Host Unreachable",
			"Destination Port Unreachable"}, "Destination Unreachable, Bad Code: %d")
	case 2:
		return fmt.Sprintf("Packet too big mtu = %d", binary.BigEndian.Uint32(m[4:]))
	case 3:
		return pick([]string{"Time to live exceeded", "Frag reassembly time exceeded"}, "Time exceeded, Bad Code: %d")
	case 4:
		return "Parameter problem: " + pick([]string{"Erroneous Header ", "Unknown Nextheader ",
			"Unrecognized Option "}, "Bad code(%d) ") + fmt.Sprintf("pointer = 0x%02x", binary.BigEndian.Uint32(m[4:]))
	}
	names := map[byte]string{128: "Echo Request", 129: "Echo Reply", 130: "Listener Query",
		131: "Listener Report", 132: "Listener Done", 133: "Router Solicitation",
		134: "Router Advertisement", 135: "Neighbor Solicitation", 136: "Neighbor Advertisement",
		137: "Redirect", 139: "Node Information Query", 140: "Node Information Reply",
		143: "Listener Report v2"}
	if s, ok := names[typ]; ok {
		return s
	}
	return fmt.Sprintf("Bad ICMP type: %d", typ)
}

// IP option numbers, and the most option bytes a header holds.
const (
	optEOL, optNOP, optRR, optLSRR = 0, 1, 7, 131
	maxOptLen                      = 40
)

// replyOptions prints what a reply's IP options say, after its line, as
// ping -R and -g do: the route recorded (or "(same route)"), and a note
// when the reply came back without the option the request carried.
func (r *report) replyOptions(ev api.PingEvent) {
	w := r.t.Stdout
	sent := 20 + 8 + max(r.size, stampLen)
	if r.sourceRoute {
		sent += 8
	}
	if r.recordRoute {
		sent = 20 + maxOptLen + 8 + max(r.size, stampLen)
	}
	got := 20 + len(ev.Options) + ev.Bytes
	switch {
	case got == sent:
	case sent-got == maxOptLen && r.recordRoute:
		if !r.saidNoRR {
			r.saidNoRR = true
			fmt.Fprint(w, "\nremote host does not support record route")
		}
	case sent-got == 8 && r.sourceRoute:
		if !r.saidNoSR {
			r.saidNoSR = true
			fmt.Fprint(w, "\nremote host does not support source route")
		}
	default:
		fmt.Fprintf(w, "\nwrong total length %d instead of %d", got, sent)
	}
	o := ev.Options
	for i := 0; i < len(o); {
		switch o[i] {
		case optEOL:
			return
		case optNOP:
			i++
			continue
		case optRR:
			if i+2 >= len(o) {
				return
			}
			n, ptr := int(o[i+1]), int(o[i+2])
			r.printRR(o[i+3:max(min(i+n, len(o)), i+3)], min(ptr, n)-4)
			i += max(n, 2)
			continue
		case optLSRR:
			if i+1 >= len(o) {
				return
			}
			i += max(int(o[i+1]), 2)
			continue
		}
		fmt.Fprintf(w, "\nunknown option 0x%x", o[i])
		i++
	}
}

// printRR prints the n bytes of addresses a record route holds, or
// "(same route)" when they are the last reply's.
func (r *report) printRR(addrs []byte, n int) {
	if n <= 0 {
		return
	}
	n = min(n, len(addrs))
	if r.lastRR != nil && string(r.lastRR) == string(addrs[:n]) {
		fmt.Fprint(r.t.Stdout, "\t(same route)")
		return
	}
	r.lastRR = append([]byte(nil), addrs[:n]...)
	fmt.Fprint(r.t.Stdout, "\nRR: ")
	for j := 0; j < n; j += 4 {
		if j > 0 {
			fmt.Fprintln(r.t.Stdout)
		}
		var a [4]byte
		copy(a[:], addrs[j:min(j+4, n)])
		s := netip.AddrFrom4(a).String()
		if a != [4]byte{} {
			s = r.from(s)
		}
		fmt.Fprintf(r.t.Stdout, "\t%s", s)
	}
}
