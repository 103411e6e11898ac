package ifconfig_test

import (
	"strings"
	"testing"

	"github.com/rumpnet/rumpnet/internal/testkit/conform"
	"github.com/rumpnet/rumpnet/internal/testkit/ktest"
)

// knownDifferences are the cases where rumpnet does not yet behave as
// NetBSD does: case → why. A case listed here that starts conforming fails
// the test, so the list shrinks as the kernel catches up.
var knownDifferences = map[string]string{}

// ifCase runs setup on a fresh kernel, then rifconfig with args.
func ifCase(name, args string, setup ...string) conform.Case {
	lines := make([]string, len(setup))
	for i, s := range setup {
		lines[i] = s
		if !strings.HasPrefix(s, "sysctl ") {
			lines[i] = "ifconfig " + s
		}
	}
	return conform.Case{Name: name, Args: args, Run: conform.Script(ktest.Client, "ifconfig", lines...)}
}

var up = []string{"virt0 create", "virt0 inet 10.0.0.1/24", "virt0 inet6 fc00::1/64", "virt0 up"}

// upNoDAD is up in a kernel without IPv4 DAD, as NetBSD's tests set up
// kernels whose addresses are not what they test: an alias is usable (flags
// 0) at once.
var upNoDAD = append([]string{"sysctl -w net.inet.ip.dad_count=0"}, up...)

func TestNetBSDConformance(t *testing.T) {
	cases := []conform.Case{
		ifCase("lo0-inet", "lo0 inet"),
		ifCase("lo0-inet6", "lo0 inet6"),
		ifCase("lo0-names-inet", "-N lo0 inet"),
		ifCase("names-inet6", "-N lo0 inet6"),
		ifCase("lo0-header", "lo0"),
		ifCase("lo0-atalk", "lo0 atalk"),
		ifCase("lo0-link", "lo0 link"),
		ifCase("lo0-verbose", "-v lo0"),
		ifCase("virt-create-header", "virt0", "virt0 create"),
		ifCase("all-broadcast", "-a -b", up...),
		ifCase("all-down", "-a -d", append(up, "virt0 down")...),
		ifCase("all-up-excludes-down", "-a -u", append(up, "virt0 down")...),
		ifCase("list", "-l", up...),
		ifCase("list-broadcast", "-l -b", up...),
		ifCase("carrier-lo0", "-s lo0"),
		ifCase("cloners", "-C"),
		ifCase("lifetimes", "-L virt0", append(up, "virt0 inet6 fc00::2 pltime 100")...),
		ifCase("link-active", "virt0", append(up, "virt0 link b2:a0:75:00:00:01 active")...),
		ifCase("link-delete-active", "virt0 link b2:a0:75:00:00:01 delete", append(up, "virt0 link b2:a0:75:00:00:01 active")...),
		ifCase("alias-shown", "virt0", append(upNoDAD, "virt0 inet 192.168.1.1/24 alias")...),
		ifCase("alias-removed", "virt0", append(up, "virt0 inet 192.168.1.1/24 alias", "virt0 inet 192.168.1.1/24 -alias")...),
		ifCase("broadcast-all-ones", "virt0 inet", append(upNoDAD, "virt0 inet 172.16.0.1 broadcast 255.255.255.255 alias")...),
		ifCase("anycast", "virt0 inet6", append(up, "virt0 inet6 fc00::2 anycast")...),
		ifCase("up-running", "virt0", up...),
		ifCase("inet-tentative-dad5", "virt0", "sysctl -w net.inet.ip.dad_count=5", "virt0 create", "virt0 inet 10.0.0.1/24 up"),
		ifCase("inet6-tentative-dad5", "virt0", "sysctl -w net.inet6.ip6.dad_count=5", "virt0 create", "virt0 inet6 fc00::1/24 up"),
		ifCase("inet-detached-on-down", "virt0", append(up, "-w 10", "virt0 down")...),
		ifCase("number-0-unconfigured", "0"),
		ifCase("number-1-silent", "1"),
		ifCase("number-3-unconfigured", "3", "virt0 create"),
		ifCase("show-missing", "nosuch0"),
		ifCase("configure-missing", "nosuch0 up"),
		ifCase("create-exists", "virt0 create", "virt0 create"),
		ifCase("create-bad-cloner", "foo0 create"),
		ifCase("destroy-missing", "virt9 destroy"),
	}
	conform.Run(t, cases, knownDifferences)
}
