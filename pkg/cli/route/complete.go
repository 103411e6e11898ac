package route

// Completion of rroute's command line: a command, then its qualifiers, and
// an interface after -ifp.

import (
	"strings"

	"github.com/rumpnet/rumpnet/internal/cli"
)

// completion is rroute's command line for the shell.
var completion = cli.Spec{
	LibXO:     true,
	Optstring: "dfLnqSsTtv",
	Operand:   completeOperand,
}

var (
	routeCommands = []string{"add", "change", "delete", "flush", "flushall", "get", "monitor", "show"}
	showWords     = []string{"-host", "-inet", "-inet6", "-link", "-llinfo"}
	routeWords    = []string{
		"-net", "-host", "-inet", "-inet6", "-link", "-interface", "-iface",
		"-static", "-nostatic", "-reject", "-noreject", "-blackhole", "-noblackhole",
		"-cloning", "-nocloning", "-connected", "-noconnected", "-proxy",
		"-ifa", "-ifp", "-gateway", "-dst", "-netmask", "-prefixlen", "-mtu",
	}
)

func completeOperand(k cli.Kernel, ops []string, _ string) cli.Reply {
	if len(ops) == 0 {
		return cli.Words(routeCommands...)
	}
	switch ops[0] {
	case "add", "change", "delete", "get":
		last := ops[len(ops)-1]
		if len(ops) > 1 && last == "-ifp" {
			return cli.Words(k.Interfaces()...)
		}
		if w, ok := strings.CutPrefix(last, "-"); len(ops) > 1 && ok && withArg[w] {
			return cli.Reply{} // the qualifier's value
		}
		return cli.Words(routeWords...)
	case "flush", "flushall", "show":
		return cli.Words(showWords...)
	case "monitor":
		if len(ops) == 1 {
			return cli.Words("-c")
		}
	}
	return cli.Reply{}
}
