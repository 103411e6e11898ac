package ifconfig

// The keyword table: every parameter word rifconfig knows after an
// interface name, how many arguments it takes, and what it records in the
// request. Nothing here touches a backend.

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/rumpnet/rumpnet/pkg/api"
)

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

// inet6Keyword is an address modifier that only inet6 addresses take.
func inet6Keyword(name string, nargs int, f func(a *addrSpec, args []string) error) keyword {
	return keyword{name, nargs, func(r *request, args []string) error {
		if r.addr == nil || r.addr.family != "inet6" {
			return fmt.Errorf("%s: only for an inet6 address", name)
		}
		return f(r.addr, args)
	}}
}

func ia6FlagKeyword(name string, bit int, set bool) keyword {
	return inet6Keyword(name, 0, func(a *addrSpec, _ []string) error {
		if set {
			a.flags |= bit
			a.clrFlags &^= bit
		} else {
			a.clrFlags |= bit
			a.flags &^= bit
		}
		return nil
	})
}

func lifetimeKeyword(name string, dst func(a *addrSpec) **uint32) keyword {
	return keyword{name, 1, func(r *request, args []string) error {
		if r.addr == nil || r.addr.family != "inet6" {
			return errors.New("inet6 address lifetime not allowed for the AF")
		}
		n, err := strconv.ParseUint(args[0], 0, 32)
		if err != nil {
			return fmt.Errorf("%s: bad value", args[0])
		}
		v := uint32(n)
		*dst(r.addr) = &v
		return nil
	}}
}

// capability words: NetBSD's names, each with a "-" form.
var capWords = map[string]int{
	"ip4csum-tx": api.IFCAP_CSUM_IPv4_Tx, "ip4csum-rx": api.IFCAP_CSUM_IPv4_Rx,
	"tcp4csum-tx": api.IFCAP_CSUM_TCPv4_Tx, "tcp4csum-rx": api.IFCAP_CSUM_TCPv4_Rx,
	"udp4csum-tx": api.IFCAP_CSUM_UDPv4_Tx, "udp4csum-rx": api.IFCAP_CSUM_UDPv4_Rx,
	"tcp6csum-tx": api.IFCAP_CSUM_TCPv6_Tx, "tcp6csum-rx": api.IFCAP_CSUM_TCPv6_Rx,
	"udp6csum-tx": api.IFCAP_CSUM_UDPv6_Tx, "udp6csum-rx": api.IFCAP_CSUM_UDPv6_Rx,
	"ip4csum":  api.IFCAP_CSUM_IPv4_Tx | api.IFCAP_CSUM_IPv4_Rx,
	"tcp4csum": api.IFCAP_CSUM_TCPv4_Tx | api.IFCAP_CSUM_TCPv4_Rx,
	"udp4csum": api.IFCAP_CSUM_UDPv4_Tx | api.IFCAP_CSUM_UDPv4_Rx,
	"tcp6csum": api.IFCAP_CSUM_TCPv6_Tx | api.IFCAP_CSUM_TCPv6_Rx,
	"udp6csum": api.IFCAP_CSUM_UDPv6_Tx | api.IFCAP_CSUM_UDPv6_Rx,
	"tso4":     api.IFCAP_TSOv4,
	"tso6":     api.IFCAP_TSOv6,
}

var keywords = []keyword{
	flagKeyword("up", api.IFF_UP, true),
	flagKeyword("down", api.IFF_UP, false),
	flagKeyword("arp", api.IFF_NOARP, false),
	flagKeyword("-arp", api.IFF_NOARP, true),
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
		if r.addr == nil && r.link == nil {
			return errors.New("alias: no address given")
		}
		if r.addr != nil {
			r.addr.alias = true
		}
		return nil
	}},
	{"-alias", 0, removeKeyword},
	{"delete", 0, removeKeyword},
	{"active", 0, func(r *request, _ []string) error {
		if r.link == nil {
			return errors.New("active: only for a link address")
		}
		r.link.active = true
		return nil
	}},
	{"netmask", 1, func(r *request, args []string) error {
		if r.addr == nil {
			return errors.New("netmask: no address given")
		}
		n, err := parseNetmask(args[0], r.addr.family)
		if err != nil {
			return err
		}
		r.addr.prefixlen, r.addr.maskSet = n, true
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
		r.addr.prefixlen, r.addr.maskSet = n, true
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
	{"preference", 1, func(r *request, args []string) error {
		if r.addr == nil {
			return errors.New("preference: no address given")
		}
		n, err := strconv.ParseInt(args[0], 0, 16)
		if err != nil {
			return fmt.Errorf("%s: bad value", args[0])
		}
		r.addr.preference = int(n)
		return nil
	}},
	ia6FlagKeyword("anycast", api.IN6_IFF_ANYCAST, true),
	ia6FlagKeyword("-anycast", api.IN6_IFF_ANYCAST, false),
	ia6FlagKeyword("deprecated", api.IN6_IFF_DEPRECATED, true),
	ia6FlagKeyword("-deprecated", api.IN6_IFF_DEPRECATED, false),
	ia6FlagKeyword("tentative", api.IN6_IFF_TENTATIVE, true),
	lifetimeKeyword("pltime", func(a *addrSpec) **uint32 { return &a.pltime }),
	lifetimeKeyword("vltime", func(a *addrSpec) **uint32 { return &a.vltime }),
	{"eui64", 0, func(r *request, _ []string) error {
		if r.addr == nil || r.addr.family != "inet6" {
			return errors.New("eui64 address modifier not allowed for the AF")
		}
		r.addr.eui64 = true
		return nil
	}},
	{"trailers", 0, func(r *request, _ []string) error { return nil }},
	{"-trailers", 0, func(r *request, _ []string) error { return nil }},
	mediaKeyword("media", 1),
	mediaKeyword("mediaopt", 1),
	mediaKeyword("-mediaopt", 1),
	mediaKeyword("mode", 1),
	mediaKeyword("instance", 1),
	mediaKeyword("inst", 1),
}

func mediaKeyword(name string, nargs int) keyword {
	return keyword{name, nargs, func(r *request, args []string) error {
		r.mediaWords = append(r.mediaWords, [2]string{name, args[0]})
		return nil
	}}
}

// removeKeyword handles -alias and delete: they remove the address given as
// the operand, or else the family's first address.
func removeKeyword(r *request, _ []string) error {
	if r.link != nil {
		r.link.remove = true
		return nil
	}
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
	if bit, ok := capWords[strings.TrimPrefix(w, "-")]; ok {
		off := strings.HasPrefix(w, "-")
		return keyword{w, 0, func(r *request, _ []string) error {
			if off {
				r.capClr |= bit
				r.capSet &^= bit
			} else {
				r.capSet |= bit
				r.capClr &^= bit
			}
			return nil
		}}, true
	}
	return keyword{}, false
}
