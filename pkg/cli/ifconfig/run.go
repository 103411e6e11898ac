package ifconfig

import (
	"io"
	"os"

	"github.com/rumpnet/rumpnet/internal/cli"
	"github.com/rumpnet/rumpnet/pkg/client"
	"github.com/rumpnet/rumpnet/pkg/hostif"
)

const usage = `usage: rifconfig interface [create] [af] [address [dest_addr | netmask]] [parameters]
       rifconfig interface destroy
       rifconfig [-hLmNvz] interface [af]
       rifconfig -a [-bdhLmNsuvz] [af]
       rifconfig -l [-bdsu]
       rifconfig -s interface
       rifconfig -w secs [-W secs]
       rifconfig -C
parameters: up down arp -arp debug -debug link0 -link0 link1 -link1 link2 -link2
       alias -alias delete netmask mask prefixlen n broadcast addr metric n mtu n
       preference n linkstr str -linkstr user name (with create)
       vlan n vlanif interface -vlanif
       tunnel src dst deletetunnel session local remote deletesession
       cookie llen lcookie rlen rcookie deletecookie
       inet6: anycast -anycast deprecated -deprecated pltime n vltime n eui64 tentative
       link address [active | delete]
       ip4csum tcp4csum udp4csum tcp6csum udp6csum tso4 tso6 (and -forms, -rx, -tx)
output: --libxo json|xml[,pretty] before the options shows as JSON or XML
`

var _ Backend = (*client.Client)(nil)

// Run is rifconfig's main. With RUMP_SERVER set it configures that rump
// kernel; unset or empty, the Linux host (pkg/hostif).
func Run(args []string, stdout, stderr io.Writer) int {
	t := &cli.Tool{Name: "rifconfig", Stdout: stdout, Stderr: stderr,
		Usage: usage, Complete: &completion}
	return t.Run(args, func(args []string) int {
		if os.Getenv(client.EnvServer) == "" {
			return Main(t, &hostif.Host{}, args)
		}
		return Main(t, &client.Client{}, args)
	})
}

// Main parses args, then runs them against b. It is Run without the choice
// of backend, for tests.
func Main(t *cli.Tool, b Backend, args []string) int {
	r, err := parseWith(args, func(msg string) { t.Warnx("%s", msg) })
	if err != nil {
		t.ReportParse(err, usage)
		return 1
	}
	status, err := execute(t, b, r, t.Stdout)
	if err != nil {
		return t.Report(err)
	}
	return status
}
