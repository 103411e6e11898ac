// Package ifconfig is rifconfig(8): NetBSD's ifconfig command line, parsed
// into a plain request value, executed against a Backend (a rump kernel's
// control socket, the Linux host, or a fake in tests), and printed in NetBSD
// 10's format.
//
// Parsing never touches a backend, so every syntax error is reported before
// anything changes. The package must not talk to sockets or netlink itself.
package ifconfig

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/rumpnet/rumpnet/internal/cli"
	"github.com/rumpnet/rumpnet/internal/getopt"
	"github.com/rumpnet/rumpnet/internal/xo"
	"github.com/rumpnet/rumpnet/pkg/api"
)

// mode is what a command line asks for.
type mode int

const (
	modeShowAll   mode = iota // -a, or no arguments
	modeShow                  // IF [af]
	modeList                  // -l
	modeCloners               // -C
	modeCarrier               // -s IF
	modeWait                  // -w secs [-W secs]
	modeConfigure             // IF [create] [af] [addr [dest]] keywords...
)

// request is a parsed command line.
type request struct {
	mode   mode
	ifname string
	// byIndex says the command line names the interface by its index
	// ("ifconfig 1" is lo0).
	byIndex bool
	index   int
	family  string // "", "inet", "inet6" or "link"

	// filters and output options
	onlyBroadcast, onlyDown, onlyUp, skipNoCarrier bool
	verbose, zero, human, lifetimes, media, names  bool

	// -w and -W: how long to wait (0 = forever); waitDetached says -W was
	// given.
	wait, waitDetached time.Duration
	detached           bool

	create, destroy bool
	owner           string   // "user U" with create: who may use the new interface
	actions         []action // applied in command-line order
	addr            *addrSpec
	remove          *removeSpec
	link            *linkSpec
	capSet, capClr  int
	mediaWords      [][2]string // media keywords and their arguments, in order

	xo xo.Options // --libxo: the style of what is shown (xo.go)
}

// action is one interface change other than addresses.
type action struct {
	what     string // "flags", "mtu", "metric", "linkstr", "vlan", "-vlanif"
	setFlags int
	clrFlags int
	n        int
	s        string
	l2tp     *api.L2tpChange // "l2tp": a change of an l2tp interface (l2tp.go)
	tunnel   *api.Tunnel     // "tunnel", "deletetunnel" (all "")
}

// addrSpec is the address the command line sets.
type addrSpec struct {
	family     string
	addr       netip.Addr
	prefixlen  int    // -1: not given
	maskSet    bool   // netmask or prefixlen given after the operands: it wins
	dstormask  string // second operand: destination (point-to-point) or netmask
	broadcast  string
	alias      bool
	flags      int // IN6_IFF_* to set
	clrFlags   int // IN6_IFF_* to clear (-anycast, -deprecated)
	pltime     *uint32
	vltime     *uint32
	eui64      bool
	preference int
}

// removeSpec is an address to delete: a given one, or the family's first.
type removeSpec struct {
	family string
	addr   netip.Addr // invalid: the first address of family
}

// linkSpec is a link-layer address operation ("link MAC [active|delete]").
type linkSpec struct {
	mac    string
	active bool
	remove bool
}

// families are the address family words; atalk and friends are NetBSD's
// families this build does not support.
var families = map[string]bool{"inet": true, "inet6": true, "link": true}

var unsupportedFamilies = map[string]bool{"atalk": true, "iso": true, "ns": true, "ipx": true}

// parse turns the command line into a request.
func parse(args []string) (*request, error) {
	return parseWith(args, func(string) {})
}

// parseWith parses, reporting warnings (-A) through warn.
func parseWith(args []string, warn func(string)) (*request, error) {
	xopt, args, err := xo.Parse(args)
	if err != nil {
		return nil, &cli.UsageError{Msg: err.Error()}
	}
	opts, rest, err := getopt.Parse("AabCdhLlmNsuvw:W:z", args)
	if err != nil {
		return nil, &cli.UsageError{Msg: err.Error()}
	}
	r := &request{mode: modeShowAll, xo: xopt}
	var all, list, cloners, carrier, wait bool
	for _, o := range opts {
		switch o.Flag {
		case 'A':
			warn("-A is deprecated")
		case 'a':
			all = true
		case 'b':
			r.onlyBroadcast = true
		case 'C':
			cloners = true
		case 'd':
			r.onlyDown = true
		case 'h':
			r.human = true
		case 'L':
			r.lifetimes = true
		case 'l':
			list = true
		case 'm':
			r.media = true
		case 'N':
			r.names = true
		case 's':
			carrier = true
			r.skipNoCarrier = true
		case 'u':
			r.onlyUp = true
		case 'v':
			r.verbose = true
		case 'w', 'W':
			n, err := strconv.ParseInt(o.Arg, 10, 32)
			if err != nil || n < 0 {
				return nil, fmt.Errorf("%s: not a number", o.Arg)
			}
			if o.Flag == 'w' {
				wait, r.wait = true, time.Duration(n)*time.Second
			} else {
				r.detached, r.waitDetached = true, time.Duration(n)*time.Second
			}
		case 'z':
			r.zero = true
		}
	}
	// As NetBSD: -l, -C and -w exclude each other and -a, -m, -v, -z, -L.
	exclusive := 0
	for _, b := range []bool{list, cloners, wait} {
		if b {
			exclusive++
		}
	}
	if exclusive > 1 || exclusive == 1 && (all || r.media || r.verbose || r.zero || r.lifetimes) {
		return nil, cli.Usagef("-l, -C and -w exclude each other and -a, -m, -v, -z, -L")
	}
	if r.detached && !wait {
		return nil, cli.Usagef("-W goes with -w")
	}
	switch {
	case cloners:
		if len(rest) > 0 || r.onlyBroadcast || r.onlyDown || r.onlyUp || carrier {
			return nil, cli.Usagef("-C takes no other arguments")
		}
		r.mode = modeCloners
		return r, nil
	case wait:
		if len(rest) > 0 {
			return nil, cli.Usagef("-w takes no interface")
		}
		r.mode = modeWait
		return r, nil
	case list:
		if len(rest) > 0 {
			return nil, cli.Usagef("-l takes no interface")
		}
		r.mode = modeList
		return r, nil
	case all || len(rest) == 0:
		if len(rest) > 1 {
			return nil, cli.Usagef("-a takes at most an address family")
		}
		if len(rest) == 1 {
			if err := checkFamily(rest[0]); err != nil {
				return nil, err
			}
			r.family = rest[0]
		}
		r.mode = modeShowAll
		return r, nil
	}
	if r.onlyBroadcast || r.onlyDown || r.onlyUp {
		return nil, cli.Usagef("-b, -d and -u need -a or -l")
	}
	r.ifname = rest[0]
	if len(r.ifname) > 15 {
		return nil, cli.Usagef("interface name too long")
	}
	if n, err := strconv.ParseUint(r.ifname, 10, 31); err == nil {
		r.byIndex, r.index = true, int(n)
	}
	rest = rest[1:]
	if carrier {
		if len(rest) > 0 || r.verbose || r.zero {
			return nil, cli.Usagef("-s takes only an interface")
		}
		r.mode = modeCarrier
		return r, nil
	}
	// As NetBSD's ifconfig, "create" right after the name is done first and
	// the usual grammar follows: "virt0 create inet 10.0.0.1/24 up".
	if len(rest) > 0 && rest[0] == "create" {
		r.create = true
		rest = rest[1:]
	}
	if len(rest) > 0 && (families[rest[0]] || unsupportedFamilies[rest[0]]) {
		if err := checkFamily(rest[0]); err != nil {
			return nil, err
		}
		r.family = rest[0]
		rest = rest[1:]
	}
	if len(rest) == 0 && !r.create {
		// "lo0 link" shows the interface with its link-layer addresses
		// only, as "lo0 inet" shows its inet ones.
		r.mode = modeShow
		return r, nil
	}
	if r.verbose || r.zero || r.lifetimes || r.media {
		return nil, cli.Usagef("-v, -z, -L and -m only go with showing interfaces")
	}
	r.mode = modeConfigure
	if len(rest) == 0 {
		return r, nil
	}
	return r, parseParams(r, rest)
}

func checkFamily(w string) error {
	if families[w] {
		return nil
	}
	if unsupportedFamilies[w] {
		return fmt.Errorf("%s: address family not supported", w)
	}
	return cli.Usagef("%s: unknown address family", w)
}

// parseParams reads [addr [dstormask]] then keywords.
func parseParams(r *request, words []string) error {
	// "alias" may come before the address as well as after it.
	alias := false
	if words[0] == "alias" && len(words) > 1 {
		if _, ok := lookupKeyword(words[1]); !ok {
			alias, words = true, words[1:]
		}
	}
	if _, ok := lookupKeyword(words[0]); !ok {
		if r.family == "link" {
			if _, err := netMAC(words[0]); err != nil {
				return err
			}
			r.link = &linkSpec{mac: words[0]}
			words = words[1:]
		} else {
			a, err := parseAddrOperand(words[0], r.family)
			if err != nil {
				return err
			}
			r.addr = a
			words = words[1:]
			if len(words) > 0 {
				if _, ok := lookupKeyword(words[0]); !ok {
					d, err := netip.ParseAddr(strings.TrimPrefix(words[0], "0x"))
					if err != nil && !isHexMask(words[0]) {
						return cli.Usagef("%s: unknown parameter", words[0])
					}
					if err == nil && d.Is4() != r.addr.addr.Is4() {
						return fmt.Errorf("%s: bad value (not an %s address)", words[0], r.addr.family)
					}
					r.addr.dstormask = words[0]
					words = words[1:]
				}
			}
		}
	} else if r.family == "link" {
		return cli.Usagef("link: no link address given")
	}
	if alias && r.addr != nil {
		r.addr.alias = true
	}
	for len(words) > 0 {
		kw, ok := lookupKeyword(words[0])
		if !ok {
			return cli.Usagef("%s: unknown parameter", words[0])
		}
		if len(words)-1 < kw.nargs {
			return cli.Usagef("%s: requires %d argument(s)", kw.name, kw.nargs)
		}
		if err := kw.apply(r, words[1:1+kw.nargs]); err != nil {
			return err
		}
		words = words[1+kw.nargs:]
		if skipVlanifOperand(kw.name, words) {
			words = words[1:]
		}
	}
	if r.create && r.destroy {
		return cli.Usagef("create and destroy together")
	}
	if r.owner != "" && !r.create {
		return cli.Usagef("user: only together with create")
	}
	if r.addr != nil && r.addr.eui64 {
		if a := r.addr.addr.As16(); [8]byte(a[8:]) != [8]byte{} {
			return fmt.Errorf("interface index is already filled, %s", r.addr.addr)
		}
	}
	return nil
}

func isHexMask(w string) bool {
	h, ok := strings.CutPrefix(strings.ToLower(w), "0x")
	if !ok {
		return false
	}
	_, err := strconv.ParseUint(h, 16, 32)
	return err == nil
}

// parseAddrOperand reads "A", "A/len", with the family given or inferred
// ("a bare address means inet"; one with a colon is taken as inet6).
func parseAddrOperand(w, family string) (*addrSpec, error) {
	s, plen, hasLen := strings.Cut(w, "/")
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" && !a.Is6() {
		return nil, fmt.Errorf("%s: bad value", w)
	}
	a = a.WithZone("") // fe80::1%virt0: the zone is the interface itself
	if family == "" {
		family = "inet"
		if a.Is6() {
			family = "inet6"
		}
	}
	if (family == "inet") != a.Is4() {
		return nil, fmt.Errorf("%s: bad value (not an %s address)", w, family)
	}
	spec := &addrSpec{family: family, addr: a, prefixlen: -1}
	if hasLen {
		n, err := strconv.Atoi(plen)
		if err != nil || n < 0 || n > a.BitLen() {
			return nil, fmt.Errorf("%s: bad value", w)
		}
		spec.prefixlen = n
	}
	return spec, nil
}

// parseNetmask reads a dotted, hex (0xffffff00) or inet6 netmask and
// returns its prefix length; the mask must be contiguous.
func parseNetmask(w, family string) (int, error) {
	bad := fmt.Errorf("%s: bad value", w)
	var bits []byte
	if family == "inet" && isHexMask(w) {
		v, _ := strconv.ParseUint(strings.ToLower(w)[2:], 16, 32)
		bits = []byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}
	} else {
		a, err := netip.ParseAddr(w)
		if err != nil || (family == "inet") != a.Is4() {
			return 0, bad
		}
		bits = a.AsSlice()
	}
	n, seenZero := 0, false
	for _, b := range bits {
		for i := 7; i >= 0; i-- {
			if b&(1<<i) != 0 {
				if seenZero {
					return 0, bad
				}
				n++
			} else {
				seenZero = true
			}
		}
	}
	return n, nil
}

// parseNumber reads a decimal or 0x hex integer.
func parseNumber(w string) (int, error) {
	n, err := strconv.ParseInt(w, 0, 32)
	return int(n), err
}

// classfulLen is the historical default prefix length for an inet address.
func classfulLen(a netip.Addr) int {
	b := a.As4()[0]
	switch {
	case b < 128:
		return 8
	case b < 192:
		return 16
	case b < 224:
		return 24
	}
	return 32
}

// netMAC checks a link-layer address operand.
func netMAC(w string) (string, error) {
	parts := strings.Split(w, ":")
	if len(parts) != 6 {
		return "", fmt.Errorf("%s: bad value", w)
	}
	for _, p := range parts {
		if len(p) == 0 || len(p) > 2 {
			return "", fmt.Errorf("%s: bad value", w)
		}
		if _, err := strconv.ParseUint(p, 16, 8); err != nil {
			return "", fmt.Errorf("%s: bad value", w)
		}
	}
	return w, nil
}
