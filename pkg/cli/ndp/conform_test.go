package ndp_test

import (
	"testing"

	"github.com/rumpnet/rumpnet/internal/testkit/conform"
	"github.com/rumpnet/rumpnet/internal/testkit/ktest"
)

// knownDifferences are the cases where rumpnet does not yet behave as
// NetBSD does: case → why. A case listed here that starts conforming fails
// the test, so the list shrinks as the kernel catches up.
var knownDifferences = map[string]string{}

// NetBSD's t_ndp setup_src_server: fc00::1 on one interface, up, DAD done.
var src = []string{"ifconfig virt0 create", "ifconfig virt0 inet6 fc00::1", "ifconfig virt0 up", "ifconfig -w 10"}

// nc runs the source setup and extra on a fresh kernel, then rndp with args.
func nc(name, args string, extra ...string) conform.Case {
	setup := append(append([]string(nil), src...), extra...)
	return conform.Case{Name: name, Args: args, Run: conform.Script(ktest.Client, "ndp", setup...)}
}

func TestNetBSDConformance(t *testing.T) {
	static10 := "ndp -s fc00::10 b2:a0:20:00:00:10"
	static11 := "ndp -s fc00::11 b2:a0:20:00:00:11"
	static12 := "ndp -s fc00::12 b2:a0:20:00:00:12"
	cases := []conform.Case{
		nc("own-no-entry", "-n fc00::1"),
		nc("own-static", "-s fc00::1 b2:a0:20:00:00:ff"),
		nc("no-entry-peer", "-n fc00::2"),
		nc("static-permanent", "-n fc00::10", static10),
		nc("static-delete-message", "-n -d fc00::10", static10),
		nc("static-deleted", "-n fc00::10", static10, "ndp -d fc00::10"),
		nc("static-listed", "-n -a", static11, static12),
		nc("clear-keeps-static", "-n fc00::11", static11, static12, "ndp -c"),
		nc("permanent-no-overwrite", "-s fc00::1 b2:a0:20:00:00:fe", "ndp -s fc00::1 b2:a0:20:00:00:ff"),
		nc("header", "-n -a"),
		nc("clear-no-header", "-n -c", static11),
		nc("stamp-no-header", "-t -n fc00::11", static11),
		nc("bad-ether", "-s fc00::10 zz"),
		nc("usage", ""),
		nc("delete-missing", "-n -d fc00::99"),
	}
	conform.Run(t, cases, knownDifferences)
}
