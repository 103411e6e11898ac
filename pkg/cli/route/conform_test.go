package route_test

import (
	"testing"

	"github.com/rumpnet/rumpnet/internal/testkit/conform"
	"github.com/rumpnet/rumpnet/internal/testkit/ktest"
)

// knownDifferences are the cases where rumpnet does not yet behave as
// NetBSD does: case → why. A listed case that starts conforming fails the
// test, so the list shrinks as the kernel catches up.
var knownDifferences = map[string]string{}

// Both ends of NetBSD's route_command_get: 10.0.1.2/24 and fc00:0:0:1::2/64
// on one interface (virt0 here, shmif0 there), default routes via .1.
var endpoint = []string{
	"sysctl -w net.inet6.ip6.dad_count=0",
	"ifconfig virt0 create",
	"ifconfig virt0 inet 10.0.1.2 netmask 0xffffff00",
	"ifconfig virt0 inet6 fc00:0:0:1::2",
	"ifconfig virt0 up",
	"route add default 10.0.1.1",
	"route add -inet6 default fc00:0:0:1::1",
}

// The host of route_command_add: 10.0.0.1/24, fc00::1/64.
var host = []string{
	"sysctl -w net.inet6.ip6.dad_count=0",
	"ifconfig virt0 create",
	"ifconfig virt0 10.0.0.1/24",
	"ifconfig virt0 inet6 fc00::1/64",
	"route add -net 10.0.1.0/24 10.0.0.2",
	"route add -inet6 -net fc00:1::0/64 fc00::2",
}

func rt(name, args string, setup ...string) conform.Case {
	return conform.Case{Name: name, Args: args, Run: conform.Script(ktest.Client, "route", setup...)}
}

func TestNetBSDConformance(t *testing.T) {
	cases := []conform.Case{
		rt("get-local", "-n get 10.0.1.2", endpoint...),
		rt("get-neighbor", "-n get 10.0.1.1", endpoint...),
		rt("get-remote", "-n get 10.0.2.2", endpoint...),
		rt("get6-local", "-n get -inet6 fc00:0:0:1::2", endpoint...),
		rt("get6-neighbor", "-n get -inet6 fc00:0:0:1::1", endpoint...),
		rt("get6-remote", "-n get -inet6 fc00:0:0:2::2", endpoint...),
		rt("get-header", "-n get 10.0.1.1", endpoint...),
		rt("add-link-iface", "add -net 10.0.0.1/32 -link -cloning -iface virt0", "ifconfig virt0 create", "ifconfig virt0 192.168.0.1"),
		rt("add-default-ifa", "add default -ifa 10.0.0.1 10.0.0.2", "ifconfig virt0 create", "ifconfig virt0 10.0.0.1/24"),
		rt("add6-default", "add -inet6 default fc00:0:0:1::1", "ifconfig virt0 create", "ifconfig virt0 inet6 fc00:0:0:1::2/64 up"),
		rt("add6-reject-v4", "add -inet6 ::0.0.0.0 -prefixlen 104 ::1 -reject"),
		rt("change-reject", "change -inet6 default -reject", endpoint...),
		rt("add-net-gw-in-subnet", "add -net 10.0.5.0/24 10.0.0.2", host...),
		rt("add-host-gw-in-subnet", "add -host 10.0.2.1 10.0.0.3", host...),
		rt("add-connected-iface", "add -net 10.0.3.0/24 -connected -link -iface virt0", host...),
		rt("add-unreachable-gw", "add -net 10.0.1.0/26 10.0.5.1", host...),
		rt("add-gw-behind-gateway", "add -net 10.0.6.0/24 10.0.1.1", host...),
		rt("add6-unreachable-gw", "add -inet6 -net fc00::4/128 fc00:5::1", host...),
		rt("add6-gw-behind-gateway", "add -inet6 -net fc00:6::0/64 fc00:1::1", host...),
		rt("add-net-message", "add -net 10.0.2.0/24 10.0.0.2", host...),
	}
	conform.Run(t, cases, knownDifferences)
}
