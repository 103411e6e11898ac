package tcpdump

import (
	"strconv"
	"strings"

	"github.com/rumpnet/rumpnet/internal/cli"
	"github.com/rumpnet/rumpnet/internal/getopt"
	"github.com/rumpnet/rumpnet/pkg/api"
	"github.com/rumpnet/rumpnet/pkg/pcap"
)

const usage = `usage: rtcpdump [-AeKlnNpqStuvxX#] [-B buffer_size] [-c count] [-F file]
		[-i interface] [-Q in|out|inout] [-s snaplen] [-T type]
		[-w file] [expression]
`

// optstring is getopt's description of the options.
const optstring = "AB:c:eF:i:KlnNpqQ:s:StT:uvw:xX#"

// decodeFlags are the options handed to tcpdump as they are: they choose
// how frames are printed.
const decodeFlags = "AeKlnNqStuvxX#"

// options is a parsed command line.
type options struct {
	iface      string
	count      int    // frames to capture, 0 for no end
	write      string // -w file, "" to decode
	snaplen    int
	buffer     int // bytes (-B takes KiB)
	direction  string
	filterFile string
	expr       string
	decode     []string // tcpdump's decoding options
}

func parse(args []string) (options, error) {
	o := options{snaplen: pcap.DefaultSnaplen}
	opts, rest, err := getopt.Parse(optstring, args)
	if err != nil {
		return o, &cli.UsageError{Msg: err.Error()}
	}
	for _, op := range opts {
		if strings.IndexByte(decodeFlags, op.Flag) >= 0 {
			o.decode = append(o.decode, "-"+string(op.Flag))
			continue
		}
		if err := o.set(op); err != nil {
			return o, err
		}
	}
	if o.write != "" {
		o.decode = nil // tcpdump ignores its printing options with -w
	}
	o.expr = strings.Join(rest, " ")
	return o, nil
}

// set takes one option with an argument (or -p).
func (o *options) set(op getopt.Opt) error {
	num := func(what string, lo, hi int) (int, error) {
		n, err := strconv.Atoi(op.Arg)
		if err != nil || n < lo || n > hi {
			return 0, cli.Usagef("invalid %s %s", what, op.Arg)
		}
		return n, nil
	}
	var err error
	switch op.Flag {
	case 'B':
		var kb int
		kb, err = num("buffer size", 1, 1<<20)
		o.buffer = kb << 10
	case 'c':
		o.count, err = num("packet count", 1, 1<<31-1)
	case 'F':
		o.filterFile = op.Arg
	case 'i':
		o.iface = op.Arg
	case 'p':
		// Every capture sees what the interface receives; no
		// promiscuous mode is switched on, so -p changes nothing.
	case 'Q':
		switch op.Arg {
		case api.CaptureIn, api.CaptureOut, api.CaptureInOut:
			o.direction = op.Arg
		default:
			err = cli.Usagef("%s is not a valid direction", op.Arg)
		}
	case 's':
		o.snaplen, err = num("snaplen", 0, pcap.MaxSnaplen)
		if o.snaplen == 0 {
			o.snaplen = pcap.DefaultSnaplen
		}
	case 'T':
		o.decode = append(o.decode, "-T", op.Arg)
	case 'w':
		o.write = op.Arg
	}
	return err
}
