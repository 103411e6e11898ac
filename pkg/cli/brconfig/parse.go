// Package brconfig is rbrconfig(8): NetBSD's brconfig command line, parsed
// into a plain request value, run against a Backend (a rump kernel's
// control socket, the Linux host, or a fake in tests), and printed in
// NetBSD's format.
//
// The whole command line is parsed before the backend is touched, so a
// mistyped word or value changes nothing. The package must not talk to
// sockets or netlink itself.
package brconfig

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/rumpnet/rumpnet/internal/cli"
	"github.com/rumpnet/rumpnet/internal/getopt"
	"github.com/rumpnet/rumpnet/internal/xo"
	"github.com/rumpnet/rumpnet/pkg/api"
)

// mode is what a command line asks for.
type mode int

const (
	modeShowAll   mode = iota // -a
	modeShow                  // bridge
	modeConfigure             // bridge command [args...] ...
)

// request is a parsed command line.
type request struct {
	mode   mode
	bridge string
	// steps run left to right.
	steps []step
	// setUp says up or down was given; up is the last of them, applied
	// once after every step.
	setUp, up bool
	// xo is --libxo: the style of what is shown (xo.go).
	xo xo.Options
}

// step is one command that runs in order: a change sent to the backend,
// or "addr", which prints the address cache.
type step struct {
	// label names the step in error messages the way NetBSD's brconfig
	// does ("add tap0", "maxaddr 50"); member flag changes have their own
	// messages.
	label string
	req   api.BridgeRequest
	// showCache marks "addr"; req is then unused.
	showCache bool
}

// maxNameLen is the longest interface name (IFNAMSIZ - 1).
const maxNameLen = 15

// parse turns the command line into a request.
func parse(args []string) (*request, error) {
	xopt, args, err := xo.Parse(args)
	if err != nil {
		return nil, &cli.UsageError{Msg: err.Error()}
	}
	if len(args) == 0 {
		return nil, &cli.UsageError{}
	}
	opts, rest, err := getopt.Parse("a", args)
	if err != nil {
		return nil, &cli.UsageError{Msg: err.Error()}
	}
	if len(opts) > 0 {
		if len(rest) > 0 {
			return nil, &cli.UsageError{Msg: "-a takes no other arguments"}
		}
		return &request{mode: modeShowAll, xo: xopt}, nil
	}
	if len(rest) == 0 {
		return nil, &cli.UsageError{}
	}
	r := &request{mode: modeShow, bridge: rest[0], xo: xopt}
	if len(r.bridge) > maxNameLen {
		return nil, &cli.UsageError{Msg: "interface name too long"}
	}
	if !isBridgeName(r.bridge) {
		return nil, fmt.Errorf("%s is not a bridge", r.bridge)
	}
	words := rest[1:]
	if len(words) == 0 {
		return r, nil
	}
	r.mode = modeConfigure
	for len(words) > 0 {
		c, ok := lookupCommand(words[0])
		if !ok {
			return nil, fmt.Errorf("unknown command: %s", words[0])
		}
		words = words[1:]
		if len(words) < c.nargs {
			return nil, fmt.Errorf("command %s requires %d argument(s)", c.name, c.nargs)
		}
		if err := c.apply(r, c.name, words[:c.nargs]); err != nil {
			return nil, err
		}
		words = words[c.nargs:]
		if c.more {
			// "add tap0 em0": names up to the next command are more
			// members, each its own step.
			for len(words) > 0 && !isCommand(words[0]) {
				if err := c.apply(r, c.name, words[:1]); err != nil {
					return nil, err
				}
				words = words[1:]
			}
		}
	}
	return r, nil
}

// isBridgeName is NetBSD's test: "bridge" followed by a digit.
func isBridgeName(name string) bool {
	rest, ok := strings.CutPrefix(name, "bridge")
	return ok && rest != "" && rest[0] >= '0' && rest[0] <= '9'
}

// parseUint reads a number the way strtoul(3) with base 0 does: 0x or 0X
// for hexadecimal, a leading 0 for octal, decimal otherwise. Signs and
// spaces are not accepted.
func parseUint(w string) (uint64, bool) {
	base, digits := 10, w
	switch {
	case len(w) > 2 && (w[:2] == "0x" || w[:2] == "0X"):
		base, digits = 16, w[2:]
	case len(w) > 1 && w[0] == '0':
		base, digits = 8, w[1:]
	}
	// With an explicit base, ParseUint takes no sign and no underscores.
	n, err := strconv.ParseUint(digits, base, 64)
	if err != nil {
		return 0, false
	}
	return n, true
}

// parseValue reads a command's number in min..max, or fails with NetBSD's
// "C: invalid value: V".
func parseValue(cmd, w string, min, max uint64) (int, error) {
	n, ok := parseUint(w)
	if !ok || n < min || n > max {
		return 0, fmt.Errorf("%s: invalid value: %s", cmd, w)
	}
	return int(n), nil
}

// parseMAC checks a command's Ethernet address and returns it lower case
// and zero padded, or fails with NetBSD's "C: invalid address: V".
func parseMAC(cmd, w string) (string, error) {
	mac, ok := normalMAC(w)
	if !ok {
		return "", fmt.Errorf("%s: invalid address: %s", cmd, w)
	}
	return mac, nil
}

// normalMAC reads an Ethernet address as ether_aton(3) does (six groups of
// one or two hex digits, separated by colons) and prints it as
// ether_ntoa(3) does: lower case, zero padded.
func normalMAC(w string) (string, bool) {
	parts := strings.Split(w, ":")
	if len(parts) != 6 {
		return "", false
	}
	var b [6]string
	for i, p := range parts {
		if len(p) < 1 || len(p) > 2 {
			return "", false
		}
		v, err := strconv.ParseUint(p, 16, 8)
		if err != nil {
			return "", false
		}
		b[i] = fmt.Sprintf("%02x", v)
	}
	return strings.Join(b[:], ":"), true
}
