// Package traceroute is rtraceroute(8) and rtraceroute6(8), NetBSD's
// traceroute and traceroute6 run inside the rump kernel that RUMP_SERVER
// names: the kernel sends the probes from its own stack and reports who
// answers each (POST /v1/traceroute through pkg/client); this package
// parses NetBSD's options, resolves names with the host's resolver and
// prints NetBSD's lines.
//
// It must not send packets from the host.
package traceroute

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/rumpnet/rumpnet/internal/cli"
	"github.com/rumpnet/rumpnet/internal/getopt"
)

// Family picks the program: Inet is rtraceroute, Inet6 rtraceroute6.
type Family int

// The two programs.
const (
	Inet  Family = 4
	Inet6 Family = 6
)

// probeData is the size of a probe's data (a sequence byte, the TTL and a
// timestamp); the header's packet size adds the headers to it.
const probeData = 12

// options is a parsed command line.
type options struct {
	family   Family
	host     string
	firstTTL int    // -f; 0 is the default (1)
	maxTTL   int    // -m; 0 is the kernel's default TTL
	port     int    // -p; 0 is 33434
	probes   int    // -q; 0 is 3
	wait     int    // -w, seconds; 0 is 5
	src      string // -s
	icmp     bool   // -I
	numeric  bool   // -n
	both     bool   // rtraceroute6 -l: name and address
}

func optstring(f Family) string {
	if f == Inet6 {
		return "f:Ilm:np:q:s:w:"
	}
	return "f:Im:np:q:s:w:"
}

func usage(f Family) string {
	if f == Inet6 {
		return `usage: rtraceroute6 [-Iln] [-f firsthop] [-m hoplimit] [-p port] [-q probes]
                    [-s src] [-w waittime] target
`
	}
	return `usage: rtraceroute [-In] [-f first_ttl] [-m max_ttl] [-p port] [-q nqueries]
                   [-s src_addr] [-w waittime] host
`
}

// parse reads the command line. Errors are cli.UsageError (usage
// follows) or the value messages traceroute prints alone.
func parse(f Family, args []string) (options, error) {
	o := options{family: f}
	opts, rest, err := getopt.Parse(optstring(f), args)
	if err != nil {
		return o, &cli.UsageError{Msg: err.Error()}
	}
	for _, op := range opts {
		var err error
		switch op.Flag {
		case 'f':
			o.firstTTL, err = value(op.Arg, "first ttl", 1, 255)
		case 'm':
			o.maxTTL, err = value(op.Arg, "max ttl", 1, 255)
		case 'p':
			o.port, err = value(op.Arg, "port", 1, 65535)
		case 'q':
			o.probes, err = value(op.Arg, "nprobes", 1, -1)
		case 'w':
			o.wait, err = value(op.Arg, "wait time", 2, 24*60*60)
		case 's':
			o.src = op.Arg
		case 'I':
			o.icmp = true
		case 'n':
			o.numeric = true
		case 'l':
			o.both = true
		}
		if err != nil {
			return o, err
		}
	}
	if len(rest) != 1 {
		return o, &cli.UsageError{}
	}
	o.host = rest[0]
	if o.firstTTL != 0 && o.maxTTL != 0 && o.firstTTL > o.maxTTL {
		return o, fmt.Errorf("first ttl (%d) may not be greater than max ttl (%d)", o.firstTTL, o.maxTTL)
	}
	return o, nil
}

// value reads a number, decimal or 0x hexadecimal, in lo..hi (no upper
// bound for hi < 0), with traceroute's messages.
func value(s, what string, lo, hi int) (int, error) {
	base, digits := 10, s
	if h, ok := strings.CutPrefix(strings.ToLower(s), "0x"); ok {
		base, digits = 16, h
	}
	v, err := strconv.ParseInt(digits, base, 32)
	if err != nil || s == "" {
		return 0, fmt.Errorf("%q bad value for %s", s, what)
	}
	switch {
	case int(v) < lo && lo == 0:
		return 0, fmt.Errorf("%s must be >= %d", what, lo)
	case int(v) < lo:
		return 0, fmt.Errorf("%s must be > %d", what, lo-1)
	case hi >= 0 && int(v) > hi:
		return 0, fmt.Errorf("%s must be <= %d", what, hi)
	}
	return int(v), nil
}

// packetSize is the probe size the header shows: traceroute's whole IPv4
// datagram; traceroute6's UDP or ICMPv6 message.
func (o options) packetSize() int {
	if o.family == Inet6 {
		return 8 + probeData
	}
	return 20 + 8 + probeData
}
