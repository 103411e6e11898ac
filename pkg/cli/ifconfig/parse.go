// Package ifconfig is rifconfig(8): NetBSD's ifconfig command line, parsed
// into a plain request value, executed against a Backend (a rump kernel's
// control socket, or a fake in tests), and printed in NetBSD 10's format.
//
// Parsing never touches a backend, so every syntax error is reported before
// anything changes. The package must not talk to sockets itself.
package ifconfig

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/rumpnet/rumpnet/internal/getopt"
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
	modeConfigure             // IF [af] [addr] keywords...
)

// request is a parsed command line.
type request struct {
	mode   mode
	ifname string
	family string // "", "inet" or "inet6"

	// filters and output options
	onlyBroadcast, onlyDown, onlyUp, skipNoCarrier bool
	verbose, zero                                  bool

	create, destroy bool
	owner           string   // "user U" with create: who may use the new interface
	actions         []action // applied in command-line order
	addr            *addrSpec
	remove          *removeSpec
}

// action is one interface change other than addresses.
type action struct {
	what     string // "flags", "mtu", "metric", "linkstr"
	setFlags int
	clrFlags int
	n        int
	s        string
}

// addrSpec is the address the command line sets.
type addrSpec struct {
	family    string
	addr      netip.Addr
	prefixlen int // -1: not given
	broadcast string
	dest      string
	alias     bool
}

// removeSpec is an address to delete: a given one, or the family's first.
type removeSpec struct {
	family string
	addr   netip.Addr // invalid: the first address of family
}

// usageError is a command line that does not parse: the usage is printed.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, a ...any) error { return &usageError{fmt.Sprintf(format, a...)} }

// keyword is one entry of the parameter table, in the manner of NetBSD's
// command tables: a word, how many arguments follow it, and what it does.
type keyword struct {
	name  string
	nargs int
	apply func(r *request, args []string) error
}

func flagKeyword(name string, bit int, set bool) keyword {
	return keyword{name, 0, func(r *request, _ []string) error {
		a := action{what: "flags"}
		if set {
			a.setFlags = bit
		} else {
			a.clrFlags = bit
		}
		r.actions = append(r.actions, a)
		return nil
	}}
}

func intKeyword(name, what string) keyword {
	return keyword{name, 1, func(r *request, args []string) error {
		n, err := parseNumber(args[0])
		if err != nil {
			return fmt.Errorf("%s: bad value", args[0])
		}
		r.actions = append(r.actions, action{what: what, n: n})
		return nil
	}}
}

var keywords = []keyword{
	flagKeyword("up", api.IFF_UP, true),
	flagKeyword("down", api.IFF_UP, false),
	flagKeyword("debug", api.IFF_DEBUG, true),
	flagKeyword("-debug", api.IFF_DEBUG, false),
	flagKeyword("link0", api.IFF_LINK0, true),
	flagKeyword("-link0", api.IFF_LINK0, false),
	flagKeyword("link1", api.IFF_LINK1, true),
	flagKeyword("-link1", api.IFF_LINK1, false),
	flagKeyword("link2", api.IFF_LINK2, true),
	flagKeyword("-link2", api.IFF_LINK2, false),
	{"create", 0, func(r *request, _ []string) error { r.create = true; return nil }},
	{"destroy", 0, func(r *request, _ []string) error { r.destroy = true; return nil }},
	{"user", 1, func(r *request, args []string) error { r.owner = args[0]; return nil }},
	intKeyword("mtu", "mtu"),
	intKeyword("metric", "metric"),
	{"linkstr", 1, func(r *request, args []string) error {
		if args[0] == "" {
			return errors.New("linkstr: empty value")
		}
		r.actions = append(r.actions, action{what: "linkstr", s: args[0]})
		return nil
	}},
	{"-linkstr", 0, func(r *request, _ []string) error {
		r.actions = append(r.actions, action{what: "linkstr", s: ""})
		return nil
	}},
	{"alias", 0, func(r *request, _ []string) error {
		if r.addr == nil {
			return errors.New("alias: no address given")
		}
		r.addr.alias = true
		return nil
	}},
	{"-alias", 0, removeKeyword},
	{"delete", 0, removeKeyword},
	{"netmask", 1, func(r *request, args []string) error {
		if r.addr == nil {
			return errors.New("netmask: no address given")
		}
		n, err := parseNetmask(args[0], r.addr.family)
		if err != nil {
			return err
		}
		r.addr.prefixlen = n
		return nil
	}},
	{"prefixlen", 1, func(r *request, args []string) error {
		if r.addr == nil {
			return errors.New("prefixlen: no address given")
		}
		n, err := strconv.Atoi(args[0])
		if err != nil || n < 0 || n > r.addr.addr.BitLen() {
			return fmt.Errorf("%s: bad value", args[0])
		}
		r.addr.prefixlen = n
		return nil
	}},
	{"broadcast", 1, func(r *request, args []string) error {
		if r.addr == nil || r.addr.family != "inet" {
			return errors.New("broadcast: no inet address given")
		}
		if a, err := netip.ParseAddr(args[0]); err != nil || !a.Is4() {
			return fmt.Errorf("%s: bad value", args[0])
		}
		r.addr.broadcast = args[0]
		return nil
	}},
}

// removeKeyword handles -alias and delete: they remove the address given as
// the operand, or else the family's first address.
func removeKeyword(r *request, _ []string) error {
	rs := &removeSpec{family: r.family}
	if r.addr != nil {
		rs.family, rs.addr = r.addr.family, r.addr.addr
		r.addr = nil
	}
	if rs.family == "" {
		rs.family = "inet"
	}
	r.remove = rs
	return nil
}

func lookupKeyword(w string) (keyword, bool) {
	for _, k := range keywords {
		if k.name == w {
			return k, true
		}
	}
	return keyword{}, false
}

// families are the address family words; atalk and friends are NetBSD's
// families this build does not support.
var families = map[string]bool{"inet": true, "inet6": true}

var unsupportedFamilies = map[string]bool{"atalk": true, "iso": true, "link": true, "ns": true, "ipx": true}

// parse turns the command line into a request.
func parse(args []string) (*request, error) {
	opts, rest, err := getopt.Parse("abCdlsuvz", args)
	if err != nil {
		return nil, &usageError{err.Error()}
	}
	r := &request{mode: modeShowAll}
	var all, list, cloners, carrier bool
	for _, o := range opts {
		switch o.Flag {
		case 'a':
			all = true
		case 'b':
			r.onlyBroadcast = true
		case 'C':
			cloners = true
		case 'd':
			r.onlyDown = true
		case 'l':
			list = true
		case 's':
			carrier = true
			r.skipNoCarrier = true
		case 'u':
			r.onlyUp = true
		case 'v':
			r.verbose = true
		case 'z':
			r.zero = true
		}
	}
	exclusive := 0
	for _, b := range []bool{list, cloners} {
		if b {
			exclusive++
		}
	}
	switch {
	case exclusive > 1, exclusive == 1 && (all || r.verbose || r.zero):
		return nil, usagef("-l and -C exclude each other and -a, -v, -z")
	case cloners:
		if len(rest) > 0 || r.onlyBroadcast || r.onlyDown || r.onlyUp || carrier {
			return nil, usagef("-C takes no other arguments")
		}
		r.mode = modeCloners
		return r, nil
	case list:
		if len(rest) > 0 {
			return nil, usagef("-l takes no interface")
		}
		r.mode = modeList
		return r, nil
	case all || len(rest) == 0:
		if len(rest) > 1 {
			return nil, usagef("-a takes at most an address family")
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
		return nil, usagef("-b, -d and -u need -a or -l")
	}
	r.ifname = rest[0]
	if len(r.ifname) > 15 {
		return nil, usagef("interface name too long")
	}
	rest = rest[1:]
	if carrier {
		if len(rest) > 0 || r.verbose || r.zero {
			return nil, usagef("-s takes only an interface")
		}
		r.mode = modeCarrier
		return r, nil
	}
	// As NetBSD's ifconfig, "create" right after the name is done first and
	// the usual grammar follows: "virt0 create inet 10.0.0.1/24 up".
	if len(rest) > 0 && rest[0] == "create" {
		r.create = true
		rest = rest[1:]
		if len(rest) == 0 {
			r.mode = modeConfigure
			return r, nil
		}
	}
	if len(rest) > 0 && (families[rest[0]] || unsupportedFamilies[rest[0]]) {
		if err := checkFamily(rest[0]); err != nil {
			return nil, err
		}
		r.family = rest[0]
		rest = rest[1:]
	}
	if len(rest) == 0 && !r.create {
		r.mode = modeShow
		return r, nil
	}
	if r.verbose || r.zero {
		return nil, usagef("-v and -z only go with showing interfaces")
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
	return usagef("%s: unknown address family", w)
}

// parseParams reads [addr [dest]] then keywords.
func parseParams(r *request, words []string) error {
	if _, ok := lookupKeyword(words[0]); !ok {
		a, err := parseAddrOperand(words[0], r.family)
		if err != nil {
			return err
		}
		r.addr = a
		words = words[1:]
		if len(words) > 0 {
			if _, ok := lookupKeyword(words[0]); !ok {
				d, err := netip.ParseAddr(words[0])
				if err != nil {
					return usagef("%s: unknown parameter", words[0])
				}
				if d.Is4() != r.addr.addr.Is4() {
					return fmt.Errorf("%s: bad value (not an %s address)", words[0], r.addr.family)
				}
				r.addr.dest = words[0]
				words = words[1:]
			}
		}
	}
	for len(words) > 0 {
		kw, ok := lookupKeyword(words[0])
		if !ok {
			return usagef("%s: unknown parameter", words[0])
		}
		if len(words)-1 < kw.nargs {
			return usagef("%s: requires %d argument(s)", kw.name, kw.nargs)
		}
		if err := kw.apply(r, words[1:1+kw.nargs]); err != nil {
			return err
		}
		words = words[1+kw.nargs:]
	}
	if r.create && r.destroy {
		return usagef("create and destroy together")
	}
	if r.owner != "" && !r.create {
		return usagef("user: only together with create")
	}
	return nil
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
	if h, ok := strings.CutPrefix(strings.ToLower(w), "0x"); ok && family == "inet" {
		v, err := strconv.ParseUint(h, 16, 32)
		if err != nil {
			return 0, bad
		}
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
