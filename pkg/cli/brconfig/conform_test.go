package brconfig_test

import (
	"testing"

	"github.com/rumpnet/rumpnet/internal/testkit/conform"
	"github.com/rumpnet/rumpnet/internal/testkit/ktest"
)

// knownDifferences are the cases where rumpnet does not yet behave as
// NetBSD does: case → why. A case listed here that starts conforming fails
// the test, so the list shrinks as the kernel catches up.
var knownDifferences = map[string]string{}

// NetBSD's t_bridge setup_bridge_server and setup_bridge: two member
// interfaces (shmif0 and shmif1 there, virt0 and virt1 here), up, and
// bridge0, up, with both added.
var bridged = []string{
	"ifconfig virt0 create", "ifconfig virt0 up",
	"ifconfig virt1 create", "ifconfig virt1 up",
	"ifconfig bridge0 create", "ifconfig bridge0 up",
	"brconfig bridge0 add virt0", "brconfig bridge0 add virt1",
}

// bc runs the bridge setup and extra on a fresh kernel, then rbrconfig
// with args.
func bc(name, args string, extra ...string) conform.Case {
	setup := append(append([]string(nil), bridged...), extra...)
	return conform.Case{Name: name, Args: args, Run: conform.Script(ktest.Client, "brconfig", setup...)}
}

func TestNetBSDConformance(t *testing.T) {
	third := []string{"ifconfig virt2 create", "ifconfig virt2 up", "brconfig bridge0 add virt2"}
	protected := append(third, "brconfig bridge0 protect virt0", "brconfig bridge0 protect virt2")
	sa := "brconfig bridge0 static virt0 00:aa:aa:aa:aa:aa"
	sb := "brconfig bridge0 static virt1 00:aa:aa:aa:aa:bb"
	cases := []conform.Case{
		bc("members", "bridge0"),
		bc("max-cache-default", "bridge0"),
		bc("timeout-default", "bridge0"),
		bc("timeout-set", "bridge0", "brconfig bridge0 timeout 5"),
		bc("maxaddr-set", "bridge0", "brconfig bridge0 maxaddr 1"),
		bc("protect", "bridge0", protected...),
		bc("unprotect", "bridge0", append(protected, "brconfig bridge0 -protect virt2")...),
		bc("static-shown", "bridge0", append(third, "brconfig bridge0 static virt2 00:aa:aa:aa:aa:aa")...),
		bc("static-silent", "bridge0 static virt0 00:11:22:33:41:00"),
		bc("addr-count", "bridge0 addr", sa, sb, "brconfig bridge0 static virt0 00:11:22:33:41:00"),
		bc("deladdr", "bridge0", sa, sb, "brconfig bridge0 deladdr 00:aa:aa:aa:aa:aa"),
		bc("delete-member", "bridge0", sa, sb, "brconfig bridge0 delete virt0"),
		bc("flushall", "bridge0 addr", sa, sb, "brconfig bridge0 flushall"),
		bc("not-a-bridge", "virt0"),
		bc("unknown-command", "bridge0 frobnicate"),
		bc("add-missing", "bridge0 add nosuch0"),
	}
	conform.Run(t, cases, knownDifferences)
}
