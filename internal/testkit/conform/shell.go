package conform

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/rumpnet/rumpnet/internal/cli"
	"github.com/rumpnet/rumpnet/pkg/cli/arp"
	"github.com/rumpnet/rumpnet/pkg/cli/brconfig"
	"github.com/rumpnet/rumpnet/pkg/cli/ifconfig"
	"github.com/rumpnet/rumpnet/pkg/cli/ndp"
	"github.com/rumpnet/rumpnet/pkg/cli/netstat"
	"github.com/rumpnet/rumpnet/pkg/cli/ping"
	"github.com/rumpnet/rumpnet/pkg/cli/route"
	"github.com/rumpnet/rumpnet/pkg/cli/sysctl"
	"github.com/rumpnet/rumpnet/pkg/client"
)

// Sh runs one command line against c, as NetBSD's scripts run rump.X: the
// first word names the tool (ifconfig, route, netstat, arp, ndp, brconfig,
// sysctl, ping, ping6), the rest are its arguments.
func Sh(t testing.TB, c *client.Client, line string) Result {
	w := strings.Fields(line)
	var out, errb bytes.Buffer
	tool := &cli.Tool{Name: "r" + w[0], Stdout: &out, Stderr: &errb}
	args := w[1:]
	// Some tools check for a server, brconfig reaches its rump backend,
	// only through the environment.
	t.Setenv(client.EnvServer, c.URL)
	var st int
	switch w[0] {
	case "ifconfig":
		st = ifconfig.Main(tool, c, args)
	case "route":
		st = route.Main(tool, func() route.Backend { return c }, args)
	case "netstat":
		st = netstat.Main(tool, func() netstat.Backend { return c }, args)
	case "arp":
		st = arp.Main(tool, func() arp.Backend { return c }, args)
	case "ndp":
		st = ndp.Main(tool, func() ndp.Backend { return c }, time.Now, args)
	case "brconfig":
		st = brconfig.Run(args, &out, &errb)
	case "sysctl":
		st = sysctl.Main(tool, c, args)
	case "ping":
		st = ping.Main(tool, c, ping.Inet, args, nil)
	case "ping6":
		st = ping.Main(tool, c, ping.Inet6, args, nil)
	default:
		panic("conform.Sh: unknown tool " + w[0])
	}
	return Result{Stdout: out.String(), Stderr: errb.String(), Status: st}
}

// Script returns a Case.Run that runs setup on a kernel from kernel, each
// line of which must succeed, then tool with the case's arguments.
func Script(kernel func(testing.TB) *client.Client, tool string, setup ...string) func(*testing.T, []string) Result {
	return func(t *testing.T, args []string) Result {
		c := kernel(t)
		for _, s := range setup {
			if r := Sh(t, c, s); r.Status != 0 {
				t.Fatalf("setup %q: status %d, stdout %q, stderr %q", s, r.Status, r.Stdout, r.Stderr)
			}
		}
		return Sh(t, c, tool+" "+strings.Join(args, " "))
	}
}
