package sysctl_test

import (
	"testing"

	"github.com/rumpnet/rumpnet/internal/testkit/conform"
	"github.com/rumpnet/rumpnet/internal/testkit/ktest"
)

// knownDifferences are the cases where rumpnet does not yet behave as
// NetBSD does: case → why. A case listed here that starts conforming fails
// the test, so the list shrinks as the kernel catches up.
var knownDifferences = map[string]string{}

// sc runs setup on a fresh kernel, then rsysctl with args.
func sc(name, args string, setup ...string) conform.Case {
	return conform.Case{Name: name, Args: args, Run: conform.Script(ktest.Client, "sysctl", setup...)}
}

func TestNetBSDConformance(t *testing.T) {
	cases := []conform.Case{
		sc("read", "net.inet.ip.forwarding"),
		sc("value-only", "-n net.inet.ip.forwarding"),
		sc("equals", "-e net.inet.ip.ttl"),
		sc("write", "-w net.inet.ip.forwarding=1"),
		sc("write-quiet", "-q -w net.inet.ip.forwarding=1"),
		sc("write-read-back", "-n net.inet.ip.forwarding", "sysctl -w net.inet.ip.forwarding=1"),
		sc("write-off-read-back", "-n net.inet.ip.forwarding", "sysctl -w net.inet.ip.forwarding=0"),
		sc("ip-dad-count-default", "-n net.inet.ip.dad_count"),
		sc("ip6-dad-count-default", "-n net.inet6.ip6.dad_count"),
		sc("arp-keep-default", "-n net.inet.arp.keep"),
		sc("ttl-default", "-n net.inet.ip.ttl"),
		sc("hlim-default", "-n net.inet6.ip6.hlim"),
		sc("all", "-a"),
		sc("prefix", "net.inet.ip"),
		sc("unknown-name", "net.inet.nosuch"),
		sc("set-without-w", "net.inet.ip.ttl=32"),
		sc("write-not-integer", "-w net.inet.ip.ttl=abc"),
	}
	conform.Run(t, cases, knownDifferences)
}
