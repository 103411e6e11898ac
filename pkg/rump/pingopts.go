package rump

// IP options in echo requests (ping -R and -g), and the don't-fragment
// bit (ping -D). A run with DF alone sends through its ping endpoint with
// path MTU discovery "do", which sets DF. gVisor's ping endpoint
// cannot carry IP options, so a run with options sends its requests,
// with the IP header it builds, through its raw ICMP endpoint in
// header-included mode, and takes the replies from that endpoint, which
// reads their IP header and so their options. gVisor's IP layer records
// routes (RFC 791 record route) as hosts and routers on the way process
// them; it does not act on a loose source route, so a gVisor router
// answers a -g request itself instead of passing it on.

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"syscall"

	"github.com/rumpnet/rumpnet/pkg/api"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/checksum"
	"gvisor.dev/gvisor/pkg/tcpip/header"
)

// IP option numbers and sizes (RFC 791).
const (
	ipoptNOP     = 1
	ipoptRR      = 7
	ipoptLSRR    = 131
	ipoptMinOff  = 4  // the first address's offset (+1) in a route option
	ipoptMaxSize = 40 // the most option bytes an IPv4 header holds
)

// checkOptions checks a request with IP options or DF: IPv4 only, and a
// gateway that is an IPv4 address.
func (t *pingTarget) checkOptions(dst netip.Addr) error {
	if !dst.Is4() {
		return api.Errorf(syscall.EINVAL, "IP options only for an inet destination")
	}
	if g := t.req.SourceRoute; g != "" {
		a, err := netip.ParseAddr(g)
		if err != nil || !a.Unmap().Is4() {
			return api.Errorf(syscall.EINVAL, fmt.Sprintf("source route %q: not an inet address", g))
		}
		t.gateway = tcpip.AddrFrom4(a.Unmap().As4())
	}
	return nil
}

// withOptions reports whether the run's requests carry IP options.
func (p *pingRun) withOptions() bool { return p.t.req.RecordRoute || p.t.gateway.Len() != 0 }

// tooBig reports whether a request of n bytes (its ICMP message, or with
// options the whole datagram) may not be sent: with DF set, NetBSD's ip_output refuses a datagram bigger than
// the outgoing interface's MTU (EMSGSIZE), while gVisor fragments a local
// datagram whatever DF says, so the kernel checks first.
func (p *pingRun) tooBig(n int) bool {
	if !p.t.req.DontFragment {
		return false
	}
	r, terr := p.k.stack.FindRoute(p.t.nic, p.t.src, p.t.firstHop(), p.t.proto, false)
	if terr != nil {
		return false
	}
	nic := r.NICID()
	r.Release()
	if !p.withOptions() {
		n += header.IPv4MinimumSize
	}
	info, ok := p.k.stack.NICInfo()[nic]
	return ok && n > int(info.MTU)
}

// firstHop is where a request is sent: the gateway of a source route, else
// the destination.
func (t pingTarget) firstHop() tcpip.Address {
	if t.gateway.Len() != 0 {
		return t.gateway
	}
	return t.dst
}

// ipOptions builds the requests' options as NetBSD's ping lays them out:
// a loose source route naming the destination and a NOP, then a record
// route filling the rest of the 40 bytes.
func (t pingTarget) ipOptions() []byte {
	var o []byte
	if t.gateway.Len() != 0 {
		d := t.dst.As4()
		o = append(o, ipoptLSRR, 7, ipoptMinOff, d[0], d[1], d[2], d[3], ipoptNOP)
	}
	if t.req.RecordRoute {
		n := len(o)
		o = append(o, make([]byte, ipoptMaxSize-n)...)
		o[n], o[n+1], o[n+2] = ipoptRR, byte(ipoptMaxSize-1-n), ipoptMinOff
	}
	return o
}

// withHeader puts an IPv4 header with the run's options before ICMP
// message m, and fills in m's checksum; the stack fills in the length,
// the identification, the header checksum and, without a source, the
// source address.
func (p *pingRun) withHeader(m []byte) []byte {
	opts := p.t.ipOptions()
	hl := header.IPv4MinimumSize + len(opts)
	b := make([]byte, hl+len(m))
	ttl := p.t.req.TTL
	if ttl == 0 {
		ttl = p.k.defaultTTL(p.t.proto)
	}
	ip := header.IPv4(b)
	var flags uint8
	if p.t.req.DontFragment {
		flags = header.IPv4FlagDontFragment
	}
	ip.Encode(&header.IPv4Fields{
		Flags:       flags,
		TOS:         uint8(p.t.req.TOS),
		TotalLength: uint16(len(b)),
		TTL:         uint8(ttl),
		Protocol:    uint8(header.ICMPv4ProtocolNumber),
		SrcAddr:     p.t.src,
		DstAddr:     p.t.firstHop(),
	})
	b[0] = 4<<4 | byte(hl/4)
	copy(b[header.IPv4MinimumSize:], opts)
	if p.t.src.Len() == 0 {
		ip.SetSourceAddress(header.IPv4Any)
	}
	icmp := header.ICMPv4(b[hl:])
	copy(icmp, m)
	binary.BigEndian.PutUint16(icmp[4:], p.ident)
	icmp.SetChecksum(0)
	icmp.SetChecksum(^checksum.Checksum(icmp, 0))
	return b
}
