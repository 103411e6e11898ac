package netstat

import (
	"errors"
	"syscall"
	"testing"

	"github.com/rumpnet/rumpnet/internal/cli"
	"github.com/rumpnet/rumpnet/internal/testkit"
	"github.com/rumpnet/rumpnet/pkg/api"
)

// FuzzParse feeds arbitrary command lines to rnetstat's parsing: no panic,
// and every error a usage error or a refusal (EINVAL with a message).
func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		"-a", "-an", "-rn", "-rs", "-i", "-I virt0 -b", "-s -p tcp", "-f inet6 -a", "-p nosuch",
		"-is", "-m", "-w 1", "extra",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, line string) {
		args := testkit.Words(line)
		if _, err := parse(args); err != nil {
			var ue *cli.UsageError
			if !errors.As(err, &ue) && (api.ErrnoOf(err) != syscall.EINVAL || err.Error() == "") {
				t.Fatalf("parse(%q): got error %#v, want a usage error or a refusal", args, err)
			}
		}
	})
}
