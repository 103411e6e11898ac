package brconfig

// Completion of rbrconfig's command line: a bridge of the kernel, then the
// words of the command table (keywords.go), and an interface where a
// command takes a member.

import (
	"github.com/rumpnet/rumpnet/internal/cli"
)

// completion is rbrconfig's command line for the shell.
var completion = cli.Spec{
	Optstring: "a",
	LibXO:     true,
	Operand:   completeOperand,
}

// memberArgs are the commands whose first argument is a member interface.
var memberArgs = map[string]bool{
	"add": true, "delete": true, "discover": true, "-discover": true,
	"learn": true, "-learn": true, "protect": true, "-protect": true,
	"stp": true, "-stp": true, "ifpriority": true, "ifpathcost": true,
	"static": true,
}

func completeOperand(k cli.Kernel, ops []string, _ string) cli.Reply {
	if len(ops) == 0 {
		return cli.Words(cli.InterfacesLike(k, "bridge")...)
	}
	var names []string
	for _, c := range commands {
		names = append(names, c.name)
	}
	// The last command word and how many words follow it.
	for i := len(ops) - 1; i >= 1; i-- {
		c, ok := lookupCommand(ops[i])
		if !ok {
			continue
		}
		after := len(ops) - 1 - i
		switch {
		case after == 0 && memberArgs[c.name]:
			return cli.Words(cli.InterfacesLike(k)...)
		case after < c.nargs:
			return cli.Reply{} // the command's value
		case c.more:
			return cli.Words(append(names, cli.InterfacesLike(k)...)...)
		}
		break
	}
	return cli.Words(names...)
}
