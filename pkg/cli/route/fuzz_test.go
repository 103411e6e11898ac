package route

import (
	"errors"
	"syscall"
	"testing"

	"github.com/rumpnet/rumpnet/internal/cli"
	"github.com/rumpnet/rumpnet/internal/testkit"
	"github.com/rumpnet/rumpnet/pkg/api"
)

// FuzzArgs feeds arbitrary argument lists (words may be empty or hold
// spaces) to rroute's parsing: no panic, and every error a usage error or a
// refusal (EINVAL with a message).
func FuzzArgs(f *testing.F) {
	for _, seed := range []string{
		"add -net 10.1/16 10.0.0.1", "add -inet6 default fe80::1%virt0", "get 10.1.2.3",
		"add 10.0.0.0 10.0.0.1 255.255.0.0 -mtu 1400", "-nq show -inet6 -host",
		"delete -net 10 -prefixlen 8", "add\x00\x0010.0.0.1", "change -host gw -ifp virt0", "monitor",
		"add -net 10.0.0.1/32 -link -cloning -iface virt0", "add default -ifa 10.0.0.1 10.0.0.2",
		"change -inet6 default -blackhole -noreject", "add -inet6 ::0.0.0.0 -prefixlen 104 ::1 -reject",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, line string) {
		args := testkit.Words(line)
		if _, err := parseWith(args, hosts); err != nil {
			var ue *cli.UsageError
			if !errors.As(err, &ue) && (api.ErrnoOf(err) != syscall.EINVAL || err.Error() == "") {
				t.Fatalf("parse(%q): got error %#v, want a usage error or a refusal", args, err)
			}
		}
	})
}
