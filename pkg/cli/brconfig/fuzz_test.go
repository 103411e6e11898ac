package brconfig

import (
	"errors"
	"testing"

	"github.com/rumpnet/rumpnet/internal/cli"
	"github.com/rumpnet/rumpnet/internal/testkit"
)

// FuzzArgs feeds arbitrary argument lists (words may be empty or hold
// spaces) to rbrconfig's parsing: no panic, a request or an error, and an
// error that says something unless it only asks for the usage.
func FuzzArgs(f *testing.F) {
	for _, seed := range []string{
		"-a", "bridge0", "--libxo json -a", "--libxo=xml,pretty bridge0 addr", "bridge0 add virt0 virt1 up", "bridge0 static virt0 0:a:b:c:d:e",
		"bridge0 maxaddr 0x10 timeout 010", "bridge0 ifpriority virt0 300", "bridge0\x00add\x00",
		"bridge0 stp virt0 -learn virt0 priority 4096", "bridge0 deladdr 0:1:2:3:4:5 flush",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, line string) {
		args := testkit.Words(line)
		r, err := parse(args)
		if err == nil && r == nil {
			t.Fatalf("parse(%q): no request and no error", args)
		}
		var ue *cli.UsageError
		if err != nil && err.Error() == "" && !errors.As(err, &ue) {
			t.Fatalf("parse(%q): got an empty error %#v that is not a usage error", args, err)
		}
	})
}
