package arp

import (
	"errors"
	"testing"

	"github.com/rumpnet/rumpnet/internal/cli"
	"github.com/rumpnet/rumpnet/internal/testkit"
)

// FuzzParse feeds arbitrary command lines to rarp's parsing: no panic, and
// every error a usage error.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		"-a", "-na", "10.0.0.2", "-d 10.0.0.2", "-d -a", "-s 10.0.0.2 0:1:2:3:4:5 temp pub proxy",
		"-f /tmp/arps", "-v -d", "-sd", "-z",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, line string) {
		args := testkit.Words(line)
		if _, err := parse(args); err != nil {
			var ue *cli.UsageError
			if !errors.As(err, &ue) {
				t.Fatalf("parse(%q): got error %#v, want a usage error", args, err)
			}
		}
	})
}
