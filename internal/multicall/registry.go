// Package multicall is the list of rumpnet's tools, name to main, and the
// rumpnet(1) multi-call program built on it: one binary that is every tool,
// chosen by the name it is run under (a link called rifconfig runs
// rifconfig) or by its first argument (rumpnet rifconfig -a).
//
// It must not change what a tool does: under any name or form, a tool
// gets exactly the arguments, output streams and exit status it would get
// as a binary of its own. It must not be imported by a tool's own
// cmd/NAME, which would then carry every other tool as well.
package multicall

import (
	"io"

	"github.com/rumpnet/rumpnet/pkg/cli/arp"
	"github.com/rumpnet/rumpnet/pkg/cli/brconfig"
	"github.com/rumpnet/rumpnet/pkg/cli/dumpbus"
	"github.com/rumpnet/rumpnet/pkg/cli/halt"
	"github.com/rumpnet/rumpnet/pkg/cli/ifconfig"
	"github.com/rumpnet/rumpnet/pkg/cli/ifmcstat"
	"github.com/rumpnet/rumpnet/pkg/cli/ndp"
	"github.com/rumpnet/rumpnet/pkg/cli/netstat"
	"github.com/rumpnet/rumpnet/pkg/cli/pcapin"
	"github.com/rumpnet/rumpnet/pkg/cli/ping"
	"github.com/rumpnet/rumpnet/pkg/cli/route"
	"github.com/rumpnet/rumpnet/pkg/cli/rumphijack"
	"github.com/rumpnet/rumpnet/pkg/cli/rumpserver"
	"github.com/rumpnet/rumpnet/pkg/cli/sysctl"
	"github.com/rumpnet/rumpnet/pkg/cli/tcpdump"
	"github.com/rumpnet/rumpnet/pkg/cli/traceroute"
	"github.com/rumpnet/rumpnet/pkg/cli/wgconfig"
	"github.com/rumpnet/rumpnet/pkg/cli/wgkeygen"
)

// Name is the multi-call program's own name.
const Name = "rumpnet"

// Tool is one program: its name, a line saying what it does, and its
// main, which returns the exit status. cmd/NAME calls the same Run.
type Tool struct {
	Name    string
	Summary string
	Run     func(args []string, stdout, stderr io.Writer) int
}

// Tools are every tool, sorted by name.
var Tools = []Tool{
	{"rarp", "show and change the ARP table", arp.Run},
	{"rbrconfig", "configure bridges", brconfig.Run},
	{"rhalt", "stop a rump kernel", halt.Run},
	{"rifconfig", "configure interfaces", ifconfig.Run},
	{"rifmcstat", "show multicast group memberships", ifmcstat.Run},
	{"rndp", "show and change the IPv6 neighbour cache", ndp.Run},
	{"rnetstat", "show network status", netstat.Run},
	{"rping", "send ICMP echo requests", ping.Run},
	{"rping6", "send ICMPv6 echo requests", ping.Run6},
	{"rroute", "manipulate the routing tables", route.Run},
	{"rsysctl", "read and write kernel settings", sysctl.Run},
	{"rtcpdump", "capture an interface's frames", tcpdump.Run},
	{"rtraceroute", "trace the route of IPv4 packets", traceroute.Run},
	{"rtraceroute6", "trace the route of IPv6 packets", traceroute.Run6},
	{"rump_server", "run a rump kernel", rumpserver.Run},
	{"rumphijack", "run a program on a rump kernel's sockets", rumphijack.Run},
	{"rwg-keygen", "make WireGuard keys", wgkeygen.Run},
	{"rwgconfig", "configure WireGuard interfaces", wgconfig.Run},
	{"shmif_dumpbus", "print or capture a shmif bus", dumpbus.Run},
	{"shmif_pcapin", "write a pcap file's packets onto a shmif bus", pcapin.Run},
}

// Lookup returns the tool called name.
func Lookup(name string) (Tool, bool) {
	for _, t := range Tools {
		if t.Name == name {
			return t, true
		}
	}
	return Tool{}, false
}
