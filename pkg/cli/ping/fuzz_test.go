package ping

import (
	"errors"
	"testing"

	"github.com/rumpnet/rumpnet/internal/cli"
	"github.com/rumpnet/rumpnet/internal/testkit"
)

// FuzzParse feeds arbitrary command lines to rping's and rping6's option
// parsing: no panic, and every error is a usage error or a rejected value.
// An empty host operand parses, as ping(8)'s does: resolving it fails later
// with ping's "Cannot resolve" message.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		"-c 3 -i 0.2 -W 2 10.0.0.2", "-nq -s 8000 -t 16 -T 4 -w 5 10.0.0.2",
		"-I virt0 -c1 fc00::2", "-c 2 -H -h 3 -X 4 -S fc00::1 fc00::2",
		"-i 0 -s 65508 host", "-c -1 host", "-c\x00\x00host",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, line string) {
		args := testkit.Words(line)
		for _, fam := range []Family{Inet, Inet6} {
			_, err := parse(fam, args)
			var ue *cli.UsageError
			var bv *badValue
			switch {
			case err != nil && !errors.As(err, &ue) && !errors.As(err, &bv):
				t.Fatalf("parse(%v, %q): got error %#v, want a usage error or a bad value", fam, args, err)
			case bv != nil && bv.msg == "":
				t.Fatalf("parse(%v, %q): a bad value without a message", fam, args)
			}
		}
	})
}
