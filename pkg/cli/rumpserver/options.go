// Package rumpserver is rump_server(1): it parses the command line, boots a
// kernel, serves its control socket and shuts both down in order.
//
// It must not implement kernel behaviour (pkg/rump) or the protocol
// (ctlserver); it wires them to a socket, signals and the process lifetime.
package rumpserver

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/rumpnet/rumpnet/internal/cli"
	"github.com/rumpnet/rumpnet/internal/getopt"
)

// Options is a parsed rump_server command line.
type Options struct {
	Foreground bool     // -s: do not detach
	Verbose    bool     // -v: report boot and shutdown on stderr
	NCPU       int      // -c: virtual CPUs (GOMAXPROCS); 0 = default
	Libs       []string // -l: components, in order
	MemLimit   int64    // -r: soft memory limit in bytes; 0 = none
	URL        string
}

const usage = "usage: rump_server [-sv] [-c ncpu] [-l library] [-r total_ram] url\n"

// parseArgs turns the command line into Options. Every error is a
// *cli.UsageError: the usage text follows its message.
func parseArgs(args []string) (Options, error) {
	var o Options
	opts, rest, err := getopt.Parse("svc:l:r:d:m:", args)
	if err != nil {
		return o, &cli.UsageError{Msg: err.Error()}
	}
	for _, opt := range opts {
		switch opt.Flag {
		case 's':
			o.Foreground = true
		case 'v':
			o.Verbose = true
		case 'c':
			n, err := strconv.Atoi(opt.Arg)
			if err != nil || n < 1 || n > 256 {
				return o, cli.Usagef("-c %s: want a number of CPUs from 1 to 256", opt.Arg)
			}
			o.NCPU = n
		case 'l':
			o.Libs = append(o.Libs, opt.Arg)
		case 'r':
			n, err := parseSize(opt.Arg)
			if err != nil {
				return o, cli.Usagef("-r %s: %v", opt.Arg, err)
			}
			o.MemLimit = n
		case 'd', 'm':
			return o, cli.Usagef("-%c is not supported: rumpnet kernels have no block devices or loadable modules", opt.Flag)
		}
	}
	if len(rest) != 1 {
		return o, &cli.UsageError{}
	}
	o.URL = rest[0]
	return o, nil
}

// parseSize reads a byte count with an optional k, m or g suffix.
func parseSize(s string) (int64, error) {
	mult := int64(1)
	switch {
	case strings.HasSuffix(s, "k"), strings.HasSuffix(s, "K"):
		mult = 1 << 10
	case strings.HasSuffix(s, "m"), strings.HasSuffix(s, "M"):
		mult = 1 << 20
	case strings.HasSuffix(s, "g"), strings.HasSuffix(s, "G"):
		mult = 1 << 30
	}
	if mult != 1 {
		s = s[:len(s)-1]
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("want a positive size")
	}
	return n * mult, nil
}
