// Package ping is rping(8) and rping6(8), NetBSD's rump.ping and
// rump.ping6: echo requests sent by the rump kernel that RUMP_SERVER names,
// from its own stack and addresses, to anything that kernel can reach, with
// NetBSD's options, output lines, summary and exit statuses.
//
// It parses the command line, resolves names with the host's resolver,
// asks the kernel to ping (POST /v1/ping through pkg/client) and prints
// the events as they arrive. It must not send packets from the host.
package ping

import (
	"fmt"
	"math"
	"strconv"

	"github.com/rumpnet/rumpnet/internal/cli"
	"github.com/rumpnet/rumpnet/internal/getopt"
)

// Family picks the program: Inet is rping, Inet6 rping6.
type Family int

// The two programs.
const (
	Inet  Family = 4
	Inet6 Family = 6
)

// Data sizes: the defaults (ping's 56 bytes; ping6's 8, room for its
// timestamp) and the largest that fit one IPv4 datagram (NetBSD's
// MAXPACKET) and one IPv6 packet without jumbograms.
const (
	defaultSize4 = 56
	defaultSize6 = 8
	maxSize4     = 65535 - 60 - 8
	maxSize6     = 65535 - 8
	// stampLen is the room a request needs for its timestamp: with less,
	// ping(8) and ping6(8) print no times.
	stampLen = 8
)

// options is a parsed command line.
type options struct {
	family      Family
	host        string  // the target as given
	count       int     // -c; 0 is no limit
	interval    float64 // -i, seconds; 0 is the default (1)
	deadline    float64 // rping -w, rping6 -X
	wait        float64 // rping -W
	size        int     // -s, data bytes
	ttl         int     // rping -T, rping6 -h; 0 is the default
	tos         int     // rping -t
	src         string  // rping -I (address or interface), rping6 -S
	ifname      string  // rping6 -I
	names       bool    // rping: not -n; rping6: -H
	quiet       bool    // -q
	semiquiet   bool    // rping -Q: no ICMP errors about the requests
	verbose     bool    // -v: every ICMP message received
	recordRoute bool    // rping -R
	dontFrag    bool    // rping -D
	gateway     string  // rping -g: the loose source route\'s gateway
	nodeInfo    bool    // rping6 -w: node information queries for the host\'s name
	once        bool    // -o
	raised      bool    // rping6 -i was below minInterval
}

// badValue is a rejected option value; the message is NetBSD's.
type badValue struct{ msg string }

func (e *badValue) Error() string { return e.msg }

func badf(format string, a ...any) error { return &badValue{fmt.Sprintf(format, a...)} }

// parse reads the command line of rping (Inet) or rping6 (Inet6).
func parse(f Family, args []string) (options, error) {
	o := options{family: f, size: defaultSize4, names: true}
	optstring := "c:Dg:h:I:i:noQqRs:T:t:vW:w:"
	if f == Inet6 {
		o.size, o.names = defaultSize6, false
		optstring = "c:g:Hh:I:i:noqS:s:vwX:"
	}
	opts, rest, err := getopt.Parse(optstring, args)
	if err != nil {
		return o, &cli.UsageError{Msg: err.Error()}
	}
	for _, opt := range opts {
		var err error
		if f == Inet {
			err = o.set4(opt)
		} else {
			err = o.set6(opt)
		}
		if err != nil {
			return o, err
		}
	}
	switch {
	case o.host == "" && len(rest) == 1:
		o.host = rest[0]
	case o.host == "" || len(rest) > 0:
		return o, &cli.UsageError{}
	}
	return o, nil
}

// set4 applies one of ping(8)'s options.
func (o *options) set4(opt getopt.Opt) error {
	a := opt.Arg
	switch opt.Flag {
	case 'c':
		n, err := strconv.ParseInt(a, 0, 32)
		if err != nil || n <= 0 {
			return badf("Bad/invalid number of packets: %s", a)
		}
		o.count = int(n)
	case 'h':
		o.host = a
	case 'I':
		o.src = a
	case 'i':
		v, ok := positiveSeconds(a)
		if !ok {
			return badf("Bad/invalid interval: %s", a)
		}
		o.interval = v
	case 'n':
		o.names = false
	case 'o':
		o.once = true
	case 'g':
		o.gateway = a
	case 'Q':
		o.semiquiet = true
	case 'R':
		o.recordRoute = true
	case 'D':
		o.dontFrag = true
	case 'q':
		o.quiet = true
	case 'v':
		o.verbose = true
	case 's':
		n, err := strconv.ParseInt(a, 0, 64)
		if err != nil || n < 0 {
			return badf("Bad/invalid packet size: %s", a)
		}
		if n > maxSize4 {
			return badf("packet size is too large")
		}
		o.size = int(n)
	case 'T':
		n, err := strconv.ParseInt(a, 0, 64)
		if err != nil || n <= 0 || n > 255 {
			return badf("ttl out of range: %s", a)
		}
		o.ttl = int(n)
	case 't':
		n, err := strconv.ParseUint(a, 0, 64)
		if err != nil || n > 0xff {
			return badf("bad tos value: %s", a)
		}
		o.tos = int(n)
	case 'W':
		v, ok := positiveSeconds(a)
		if !ok {
			return badf("Bad/invalid waittime: %s", a)
		}
		o.wait = v
	case 'w':
		v, ok := positiveSeconds(a)
		if !ok {
			return badf("Bad/invalid maxwait time: %s", a)
		}
		o.deadline = v
	}
	return nil
}

// set6 applies one of ping6(8)'s options.
func (o *options) set6(opt getopt.Opt) error {
	a := opt.Arg
	switch opt.Flag {
	case 'c':
		n, err := strconv.Atoi(a)
		if err != nil || n <= 0 {
			return badf("illegal number of packets -- %s", a)
		}
		o.count = n
	case 'g':
		o.gateway = a
	case 'H':
		o.names = true
	case 'h':
		n, err := strconv.Atoi(a)
		if err != nil || n > 255 || n < -1 || n == 0 {
			return badf("illegal hoplimit -- %s", a)
		}
		o.ttl = max(n, 0) // -1 is the kernel's default
	case 'I':
		o.ifname = a
	case 'i':
		v, err := strconv.ParseFloat(a, 64)
		if err != nil || v < 0 || math.IsInf(v, 0) || math.IsNaN(v) {
			return badf("illegal timing interval %s", a)
		}
		if v < minInterval {
			v, o.raised = minInterval, true
		}
		o.interval = v
	case 'n':
		o.names = false
	case 'o':
		o.once = true
	case 'q':
		o.quiet = true
	case 'v':
		o.verbose = true
	case 'S':
		o.src = a
	case 's':
		n, err := strconv.Atoi(a)
		if err != nil || n <= 0 {
			return badf("illegal datalen value -- %s", a)
		}
		if n > maxSize6 {
			return badf("datalen value too large, maximum is %d", maxSize6)
		}
		o.size = n
	case 'w':
		o.nodeInfo = true
	case 'X':
		v, ok := positiveSeconds(a)
		if !ok {
			return badf("illegal deadline -- %s", a)
		}
		o.deadline = v
	}
	return nil
}

// minInterval is the shortest interval the kernel keeps; rping6 raises a
// shorter one with NetBSD's warning.
const minInterval = 0.001

// usage is the program's synopsis.
func usage(f Family) string {
	if f == Inet6 {
		return `usage: rping6 [-Hnoqvw] [-c count] [-g gateway] [-h hoplimit] [-I interface]
              [-i wait] [-S sourceaddr] [-s packetsize] [-X deadline] host
`
	}
	return `usage: rping [-DnoQqRv] [-c count] [-g gateway] [-h host] [-I addr]
             [-i interval] [-s size] [-T ttl] [-t tos] [-W waittime]
             [-w deadline] host
`
}

// positiveSeconds reads a time in seconds that must be a positive finite
// number (-i, -W, -w, -X).
func positiveSeconds(a string) (float64, bool) {
	v, err := strconv.ParseFloat(a, 64)
	return v, err == nil && v > 0 && !math.IsInf(v, 0)
}
