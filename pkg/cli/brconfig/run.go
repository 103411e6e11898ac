package brconfig

import (
	"io"
	"os"

	"github.com/rumpnet/rumpnet/internal/cli"
	"github.com/rumpnet/rumpnet/pkg/client"
	"github.com/rumpnet/rumpnet/pkg/hostbr"
)

const usage = `usage: rbrconfig -a
       rbrconfig bridge
       rbrconfig bridge command [args ...]
commands: up down add if [if ...] delete if [if ...] addr maxaddr n
       timeout secs static if mac deladdr mac flush flushall
       discover if -discover if learn if -learn if protect if -protect if
       stp if -stp if ipf -ipf maxage secs fwddelay secs hellotime secs
       priority n ifpriority if n ifpathcost if n
output: --libxo json|xml[,pretty] before the options shows as JSON or XML
`

// Run is rbrconfig's main. With RUMP_SERVER set it configures that rump
// kernel's bridges; unset or empty, the Linux host's (pkg/hostbr).
func Run(args []string, stdout, stderr io.Writer) int {
	t := &cli.Tool{Name: "rbrconfig", Stdout: stdout, Stderr: stderr,
		Usage: usage, Complete: &completion}
	return t.Run(args, func(args []string) int {
		if os.Getenv(client.EnvServer) == "" {
			return Main(t, &hostbr.Host{}, args)
		}
		return Main(t, rump{&client.Client{}}, args)
	})
}

// Main parses args, then runs them against b. It is Run without the choice
// of backend, for tests.
func Main(t *cli.Tool, b Backend, args []string) int {
	r, err := parse(args)
	if err != nil {
		t.ReportParse(err, usage)
		return 1
	}
	if err := execute(b, r, t.Stdout); err != nil {
		return t.Report(err)
	}
	return 0
}
