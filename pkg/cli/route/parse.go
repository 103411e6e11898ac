package route

// Parsing route(8)'s command line. Destinations, gateways and netmasks are
// read as NetBSD's getaddr reads them, in the order they come: a plain
// IPv4 address with a host part is a host, one without is a network with
// its class's mask ("10.0.0.0" is 10/8); "-net 10.1" is 10.1/16 as
// inet_network reads it; "A/len" sets the length; "default" is the
// default route; an IPv6 address is a host unless it is unspecified or a
// global one with a zero interface identifier (then /64).

import (
	"fmt"
	"math/bits"
	"net/netip"
	"strconv"
	"strings"

	"github.com/rumpnet/rumpnet/internal/cli"
	"github.com/rumpnet/rumpnet/internal/getopt"
	"github.com/rumpnet/rumpnet/internal/xo"
	"github.com/rumpnet/rumpnet/pkg/api"
	"github.com/rumpnet/rumpnet/pkg/cli/rtutil"
)

// request is a parsed command line.
type request struct {
	cmd string // add, delete, change, get, flush, show

	flushFirst bool // -f
	numeric    bool // -n
	quiet      bool // -q
	short      bool // -s: get prints the gateway only
	dryRun     bool // -d, -t: change nothing
	noLink     bool // -L: show no neighbour entries
	count      int  // monitor -c: messages to print, 0 for no limit

	// add, delete, change, get
	family  int
	dest    netip.Prefix
	destArg string // as typed, for messages
	host    bool
	masked  bool   // the destination came with a mask (get matches it exactly)
	gwArg   string // as typed, "" for none
	route   api.Route

	// flush, show
	showFamily int // 0: every family
	showFlags  int // entries must have these RTF_* bits

	xo xo.Options // --libxo: show and get only
}

// botched is route's usage error for a word it does not know.
func botched(keyword string) error { return &cli.UsageError{Msg: "botched keyword: " + keyword} }

// hostLookup finds an address of a family (4 or 6) for a host name.
type hostLookup func(name string, family int) (netip.Addr, bool)

// parse reads route's options and command, looking host names up with
// the host's resolver.
func parse(args []string) (*request, error) { return parseWith(args, rtutil.LookupHost) }

// parseWith is parse with its own way of looking up host names.
func parseWith(args []string, lookup hostLookup) (*request, error) {
	xopt, args, err := xo.Parse(args)
	if err != nil {
		return nil, &cli.UsageError{Msg: err.Error()}
	}
	opts, rest, err := getopt.Parse("dfLnqSsTtv", args)
	if err != nil {
		return nil, &cli.UsageError{Msg: err.Error()}
	}
	r := &request{xo: xopt}
	for _, o := range opts {
		switch o.Flag {
		case 'd', 't':
			r.dryRun = true
		case 'f':
			r.flushFirst = true
		case 'L':
			r.noLink = true
		case 'n':
			r.numeric = true
		case 'q':
			r.quiet = true
		case 's':
			r.short = true
		}
	}
	if len(rest) == 0 {
		if r.flushFirst {
			r.cmd = "flush"
			return r, r.checkXo()
		}
		return nil, &cli.UsageError{}
	}
	r.cmd = rest[0]
	if err := r.checkXo(); err != nil {
		return nil, err
	}
	switch r.cmd {
	case "add", "delete", "change", "get":
		return r, r.parseRoute(rest[1:], lookup)
	case "flush", "flushall", "show":
		if r.cmd == "flushall" {
			r.cmd = "flush"
		}
		return r, r.parseShow(rest[1:])
	case "monitor":
		return r, r.parseMonitor(rest[1:])
	}
	return nil, botched(rest[0])
}

// parseShow reads the qualifiers of flush and show.
func (r *request) parseShow(args []string) error {
	for _, a := range args {
		word, ok := strings.CutPrefix(a, "-")
		if !ok {
			return botched(a)
		}
		switch word {
		case "host":
			r.showFlags |= api.RTF_HOST
		case "llinfo":
			r.showFlags |= api.RTF_LLDATA
		case "inet":
			r.showFamily = 4
		case "inet6":
			r.showFamily = 6
		case "link", "atalk", "mpls":
			r.showFamily = -1 // the rump kernel has no such routes
		default:
			return botched(a)
		}
	}
	return nil
}

// unsupported are route keywords the rump kernel cannot honour, with why.
var unsupported = map[string]string{
	"atalk":    "only inet and inet6 routes",
	"mpls":     "only inet and inet6 routes",
	"tag":      "only inet and inet6 routes",
	"sa":       "only inet and inet6 routes",
	"xresolve": "the stack has no external resolution",
	"llinfo":   "neighbour entries are set with rarp and rndp",
	"proto1":   "the stack keeps no protocol flags",
	"proto2":   "the stack keeps no protocol flags",
	"lock":     "the stack keeps no route metrics but the MTU",
	"lockrest": "the stack keeps no route metrics but the MTU",
}

// withArg are keywords that take a value.
var withArg = map[string]bool{
	"ifa": true, "ifp": true, "genmask": true, "gateway": true, "dst": true, "netmask": true,
	"prefixlen": true, "mtu": true, "hopcount": true, "expire": true, "recvpipe": true,
	"sendpipe": true, "ssthresh": true, "rtt": true, "rttvar": true, "tag": true,
}

// parser is newroute's state while it reads the arguments.
type parser struct {
	r                   *request
	forceHost, forceNet bool
	iflag               bool
	linkGW              bool // -link: the gateway is an interface name
	haveDest, haveGW    bool
	addr                netip.Addr // destination address
	bits                int        // mask length, -1 for none
	lookup              hostLookup
}

// parseRoute reads the arguments of add, delete, change and get.
func (r *request) parseRoute(args []string, lookup hostLookup) error {
	p := &parser{r: r, bits: -1, lookup: lookup}
	r.route.Flags = api.RTF_STATIC
	for i := 0; i < len(args); i++ {
		a := args[i]
		if word, ok := strings.CutPrefix(a, "-"); ok && a != "-" {
			var val string
			if withArg[word] {
				if i+1 == len(args) {
					return botched(word)
				}
				i++
				val = args[i]
			}
			if err := p.keyword(word, val); err != nil {
				return err
			}
			continue
		}
		if err := p.positional(a); err != nil {
			return err
		}
	}
	if !p.haveDest {
		return cli.Refuse("missing destination specification")
	}
	if r.cmd == "add" && !p.haveGW {
		return cli.Refuse("missing gateway specification")
	}
	if r.cmd == "change" {
		// NetBSD's change replaces the route's kind: -blackhole on a
		// reject route leaves it a blackhole one, and so on.
		r.route.FlagsClear |= (api.RTF_REJECT | api.RTF_BLACKHOLE) &^ r.route.Flags
	}
	if p.forceHost && p.forceNet {
		return cli.Refuse("-host and -net conflict")
	}
	if p.forceHost {
		r.host = true
	} else if p.forceNet {
		r.host = false
	}
	if r.family == 0 {
		r.family = 4
	}
	bits := p.bits
	if r.host || bits < 0 {
		bits = p.addr.BitLen()
	} else {
		r.masked = true
	}
	r.dest = netip.PrefixFrom(p.addr, bits).Masked()
	if r.host {
		r.route.Flags |= api.RTF_HOST
	}
	r.route.Dest = r.dest.String()
	if p.haveGW {
		if err := p.gateway(); err != nil {
			return err
		}
	}
	return nil
}

func (p *parser) family() int {
	if p.r.family == 0 {
		p.r.family = 4
	}
	return p.r.family
}

func (p *parser) keyword(word, val string) error {
	r := p.r
	if why, ok := unsupported[word]; ok {
		return cli.Refuse(fmt.Sprintf("-%s: %s", word, why))
	}
	switch word {
	case "inet":
		r.family = 4
	case "inet6":
		r.family = 6
	case "interface", "iface":
		p.iflag = true
	case "static":
		r.route.Flags |= api.RTF_STATIC
	case "nostatic":
		r.route.Flags &^= api.RTF_STATIC
	case "reject":
		r.route.Flags |= api.RTF_REJECT
	case "blackhole":
		r.route.Flags |= api.RTF_BLACKHOLE
	case "noreject":
		r.route.Flags &^= api.RTF_REJECT
		r.route.FlagsClear |= api.RTF_REJECT
	case "noblackhole":
		r.route.Flags &^= api.RTF_BLACKHOLE
		r.route.FlagsClear |= api.RTF_BLACKHOLE
	case "proxy":
		r.route.Flags |= api.RTF_ANNOUNCE
	case "cloning", "connected":
		r.route.Flags |= api.RTF_CONNECTED
	case "nocloning", "noconnected":
		r.route.Flags &^= api.RTF_CONNECTED
	case "link":
		if !p.haveDest {
			return cli.Refuse("-link: only inet and inet6 routes")
		}
		p.linkGW = true
	case "ifa":
		a, err := netip.ParseAddr(val)
		if err != nil || a.Is4() != (p.family() == 4) {
			return cli.Refuse(val + ": bad value")
		}
		r.route.Ifa = a.String()
	case "host":
		p.forceHost = true
	case "net":
		p.forceNet = true
	case "ifp":
		r.route.Interface = val
	case "gateway":
		r.gwArg, p.haveGW = val, true
	case "dst":
		return p.destination(val)
	case "netmask":
		if err := p.netmask(val); err != nil {
			return err
		}
		p.forceNet = true
	case "prefixlen":
		n, err := prefixLen(val, p.family())
		if err != nil {
			return err
		}
		p.bits = n
		r.host = n == p.maxBits()
	case "mtu":
		n, err := strconv.Atoi(val)
		if err != nil || n < 0 {
			return cli.Refuse(val + ": bad value")
		}
		r.route.MTU = n
	case "genmask":
	case "hopcount", "expire", "recvpipe", "sendpipe", "ssthresh", "rtt", "rttvar":
		return cli.Refuse(fmt.Sprintf("-%s: the stack keeps no route metrics but the MTU", word))
	default:
		return botched(word)
	}
	return nil
}

func (p *parser) maxBits() int {
	if p.family() == 6 {
		return 128
	}
	return 32
}

// positional takes the destination, the gateway, then a netmask (or the
// old trailing hop count).
func (p *parser) positional(a string) error {
	switch {
	case !p.haveDest:
		return p.destination(a)
	case !p.haveGW:
		p.r.gwArg, p.haveGW = a, true
		return nil
	}
	n, _ := strconv.Atoi(leadingDigits(a))
	switch {
	case n == 0 && a == "0":
		p.iflag = true
		return nil
	case n == 0:
		return &cli.UsageError{}
	case n > 0 && n < 10:
		p.iflag = false
		return nil
	}
	return p.netmask(a)
}

func leadingDigits(s string) string {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return s[:i]
}

// destination reads the destination as getaddr(RTA_DST) does.
func (p *parser) destination(s string) error {
	r := p.r
	r.destArg, p.haveDest = s, true
	if s == "default" {
		p.forceNet = true
		p.addr, p.bits = unspecified(p.family()), 0
		return nil
	}
	if p.family() == 6 {
		return p.destination6(s)
	}
	if a, l, ok := strings.Cut(s, "/"); ok {
		var net uint32
		var good bool
		if p.forceNet {
			net, good = rtutil.InetNetwork(a)
		} else if addr, ok := rtutil.InetAton(a); ok {
			net, good = be32(addr), true
		}
		if good {
			p.addr, p.bits = makeNetAndMask(net)
			n, err := prefixLen(l, 4)
			if err != nil {
				return err
			}
			p.bits, r.host = n, n == 32
			return nil
		}
	}
	if addr, ok := rtutil.InetAton(s); ok && !p.forceNet {
		if lnaof(be32(addr)) != 0 {
			p.addr, r.host = addr, true
			return nil
		}
		p.addr, p.bits = makeNetAndMask(be32(addr))
		return nil
	}
	if net, ok := rtutil.InetNetwork(s); ok {
		p.addr, p.bits = makeNetAndMask(net)
		return nil
	}
	if addr, ok := p.lookup(s, 4); ok {
		p.addr, r.host = addr, true
		return nil
	}
	return cli.Refuse(s + ": bad value")
}

func (p *parser) destination6(s string) error {
	a, l, slash := strings.Cut(s, "/")
	addr, err := netip.ParseAddr(a)
	if err != nil || !addr.Is6() {
		if name, ok := p.lookup(s, 6); ok {
			p.addr, p.r.host = name, true
			return nil
		}
		return cli.Refuse(s + ": bad value")
	}
	if addr.Zone() != "" {
		if p.r.route.Interface == "" {
			p.r.route.Interface = addr.Zone()
		}
		addr = addr.WithZone("")
	}
	p.addr = addr
	if slash {
		n, err := prefixLen(l, 6)
		if err != nil {
			return err
		}
		p.bits, p.r.host = n, n == 128
		return nil
	}
	b := addr.As16()
	switch {
	case addr.IsUnspecified():
		p.bits = 0
	case b[0]&0xe0 == 0x20 && [8]byte(b[8:]) == [8]byte{}:
		p.bits = 64
	default:
		p.r.host = true
	}
	return nil
}

// netmask reads a mask as getaddr(RTA_NETMASK) does.
func (p *parser) netmask(s string) error {
	if s == "default" {
		p.bits = 0
		return nil
	}
	var m netip.Addr
	if p.family() == 6 {
		a, err := netip.ParseAddr(s)
		if err != nil || !a.Is6() {
			return cli.Refuse(s + ": bad value")
		}
		m = a
	} else {
		a, ok := rtutil.InetAton(s)
		if !ok {
			return cli.Refuse(s + ": bad value")
		}
		m = a
	}
	n, ok := maskBits(m)
	if !ok {
		return cli.Refuse(s + ": bad value")
	}
	p.bits = n
	return nil
}

// gateway reads the gateway once the whole line is known: an address, a
// host name, or with -interface an interface name.
func (p *parser) gateway() error {
	r := p.r
	s := r.gwArg
	if !p.iflag {
		r.route.Flags |= api.RTF_GATEWAY
	}
	if a, ok := p.address(s); ok {
		if a.Zone() != "" && r.route.Interface == "" {
			r.route.Interface = a.Zone()
		}
		r.route.Gateway = a.WithZone("").String()
		return nil
	}
	if p.iflag || p.linkGW {
		if _, _, err := api.ParseIfName(s); err == nil {
			r.route.Flags &^= api.RTF_GATEWAY
			r.route.Interface = s
			return nil
		}
	}
	if a, ok := p.lookup(s, p.family()); ok {
		r.route.Gateway = a.String()
		return nil
	}
	return cli.Refuse(s + ": bad value")
}

// address reads a numeric address of the request's family.
func (p *parser) address(s string) (netip.Addr, bool) {
	if p.family() == 4 {
		return rtutil.InetAton(s)
	}
	a, err := netip.ParseAddr(s)
	return a, err == nil && a.Is6()
}

func prefixLen(s string, family int) (int, error) {
	max := 32
	if family == 6 {
		max = 128
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > max {
		return 0, cli.Refuse(s + ": bad value")
	}
	return n, nil
}

func unspecified(family int) netip.Addr {
	if family == 6 {
		return netip.IPv6Unspecified()
	}
	return netip.IPv4Unspecified()
}

func be32(a netip.Addr) uint32 {
	b := a.As4()
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}

func addr4(v uint32) netip.Addr {
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}

// lnaof is inet_lnaof: the host part of an address by its class.
func lnaof(a uint32) uint32 {
	switch {
	case a&0x80000000 == 0:
		return a & 0x00ffffff
	case a&0xc0000000 == 0x80000000:
		return a & 0x0000ffff
	}
	return a & 0xff
}

// makeNetAndMask is route's inet_makenetandmask: a network number, short
// ("10", "10.1") or as a full address, and the mask of its class.
func makeNetAndMask(net uint32) (netip.Addr, int) {
	var addr, mask uint32
	switch {
	case net == 0:
	case net < 128:
		addr, mask = net<<24, 0xff000000
	case net < 192:
		addr, mask = net<<24, 0xffff0000
	case net < 224:
		addr, mask = net<<24, 0xffffff00
	case net < 256:
		addr, mask = net<<24, 0xf0000000
	case net < 49152:
		addr, mask = net<<16, 0xffff0000
	case net < 57344:
		addr, mask = net<<16, 0xffffff00
	case net < 65536:
		addr, mask = net<<16, 0xffff0000
	case net < 14680064:
		addr, mask = net<<8, 0xffffff00
	case net < 16777216:
		addr, mask = net<<8, 0xf0000000
	default:
		addr = net
		switch {
		case addr&0x00ffffff == 0:
			mask = 0xff000000
		case addr&0xffff == 0:
			mask = 0xffff0000
		case addr&0xff == 0:
			mask = 0xffffff00
		default:
			mask = 0xffffffff
		}
	}
	return addr4(addr), bits.LeadingZeros32(^mask)
}

// maskBits is the length of a contiguous mask.
func maskBits(m netip.Addr) (int, bool) {
	b := m.AsSlice()
	n := 0
	for n < len(b)*8 && b[n/8]&(0x80>>(n%8)) != 0 {
		n++
	}
	if netip.PrefixFrom(m, n).Masked().Addr() != m {
		return 0, false
	}
	return n, true
}
