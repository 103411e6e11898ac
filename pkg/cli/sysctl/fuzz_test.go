package sysctl

import (
	"errors"
	"testing"

	"github.com/rumpnet/rumpnet/internal/cli"
	"github.com/rumpnet/rumpnet/internal/testkit"
)

// FuzzParse feeds arbitrary command lines to rsysctl's parsing: no panic,
// every error a usage error (getopt's message, or none: only the usage is
// printed), and a parsed line either -a or names.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		"-a", "-A", "net.inet.ip.ttl", "-n net.inet.ip.forwarding kern.hostname",
		"-w net.inet.ip.ttl=32", "-qw net.inet6.ip6.dad_count=0", "-e -a", "-aw", "-x",
		"--libxo json,pretty -a", "--libxo=xml -w net.inet.ip.ttl=3", "--libxo",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, line string) {
		args := testkit.Words(line)
		o, err := parse(args)
		if err != nil {
			var ue *cli.UsageError
			if !errors.As(err, &ue) {
				t.Fatalf("parse(%q): got error %#v, want a usage error", args, err)
			}
			return
		}
		if o.all == (len(o.args) > 0) {
			t.Fatalf("parse(%q): got all %v and names %q, want one of them", args, o.all, o.args)
		}
	})
}
