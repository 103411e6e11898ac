package netstat_test

import (
	"testing"

	"github.com/rumpnet/rumpnet/internal/testkit/conform"
	"github.com/rumpnet/rumpnet/internal/testkit/ktest"
)

// knownDifferences are the cases where rumpnet does not yet behave as
// NetBSD does: case → why. A listed case that starts conforming fails the
// test, so the list shrinks as the kernel catches up.
var knownDifferences = map[string]string{}

// NetBSD's t_flags setup_local: 10.0.0.2/24 and fc00::2 on one interface
// (shmif0 there, virt0 here), up.
var local = []string{
	"sysctl -w net.inet6.ip6.dad_count=0",
	"sysctl -w net.inet.ip.dad_count=0",
	"ifconfig virt0 create",
	"ifconfig virt0 10.0.0.2/24",
	"ifconfig virt0 inet6 fc00::2",
	"ifconfig virt0 up",
}

func ns(name, args string, extra ...string) conform.Case {
	setup := append(append([]string(nil), local...), extra...)
	return conform.Case{Name: name, Args: args, Run: conform.Script(ktest.Client, "netstat", setup...)}
}

func TestNetBSDConformance(t *testing.T) {
	cases := []conform.Case{
		ns("header", "-rn"),
		ns("flags-lo", "-rn"),
		ns("flags-local-host", "-rn"),
		ns("flags-connected", "-rn"),
		ns("flags-default", "-rn", "route add default 10.0.0.1"),
		ns("flags-static-host", "-rn", "route add 10.0.1.1 10.0.0.1"),
		ns("flags-static-net", "-rn", "route add -net 10.0.2.0/24 10.0.0.1"),
		ns("flags6-lo-fe80", "-rn -f inet6"),
		ns("flags6-lo-v6", "-rn -f inet6"),
		ns("flags6-local-host", "-rn -f inet6"),
		ns("flags6-connected", "-rn -f inet6"),
		ns("flags6-default", "-rn -f inet6", "route add -inet6 default fc00::1"),
		ns("flags6-static-net", "-rn -f inet6", "route add -inet6 -net fc00::/24 fc00::1"),
		ns("netmask-route", "-rn -f inet", "ifconfig virt0 inet 172.16.0.1 netmask 255.255.255.0 alias"),
		ns("prefixlen-route", "-rn -f inet6", "ifconfig virt0 inet6 fc00::1 prefixlen 70"),
	}
	conform.Run(t, cases, knownDifferences)
}
