package arp_test

import (
	"testing"

	"github.com/rumpnet/rumpnet/internal/testkit/conform"
	"github.com/rumpnet/rumpnet/internal/testkit/ktest"
)

// knownDifferences are the cases where rumpnet does not yet behave as
// NetBSD does: case → why.
var knownDifferences = map[string]string{}

// NetBSD's t_arp setup_src_server: 10.0.1.1/24 on one interface, up.
var src = []string{"ifconfig virt0 create", "ifconfig virt0 inet 10.0.1.1/24", "ifconfig virt0 up"}

func ac(name, args string, extra ...string) conform.Case {
	setup := append(append([]string(nil), src...), extra...)
	return conform.Case{Name: name, Args: args, Run: conform.Script(ktest.Client, "arp", setup...)}
}

func TestNetBSDConformance(t *testing.T) {
	cases := []conform.Case{
		ac("no-entry-own", "-n 10.0.1.1"),
		ac("no-entry-peer", "-n 10.0.1.2"),
		ac("static-permanent", "-n 10.0.1.10", "arp -s 10.0.1.10 b2:a0:20:00:00:10"),
		ac("static-deleted", "-n 10.0.1.10", "arp -s 10.0.1.10 b2:a0:20:00:00:10", "arp -d 10.0.1.10"),
		ac("static-listed", "-n -a", "arp -s 10.0.1.11 b2:a0:20:00:00:11"),
		ac("temp-not-permanent", "-n 10.0.1.10", "arp -s 10.0.1.10 b2:a0:20:00:00:10 temp"),
		ac("permanent-no-overwrite", "-s 10.0.1.2 b2:a0:20:00:00:fe", "arp -s 10.0.1.2 b2:a0:20:00:00:ff"),
		ac("delete-missing", "-d 10.0.1.99"),
		ac("proxy-published", "-n 10.0.1.4", "arp -s 10.0.1.4 b2:a0:20:00:00:04 pub"),
		ac("proxy-pubproxy", "-n 10.0.1.4", "arp -s 10.0.1.4 b2:a0:20:00:00:04 pub proxy"),
	}
	conform.Run(t, cases, knownDifferences)
}
