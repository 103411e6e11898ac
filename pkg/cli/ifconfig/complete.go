package ifconfig

// Completion of rifconfig's command line: an interface of the kernel, then
// the words of the parameter table (keywords.go), the address families and
// the capability words.

import (
	"maps"
	"slices"

	"github.com/rumpnet/rumpnet/internal/cli"
)

// completion is rifconfig's command line for the shell.
var completion = cli.Spec{
	Optstring: "AabCdhLlmNsuvw:W:z",
	LibXO:     true,
	Operand:   completeOperand,
}

func completeOperand(k cli.Kernel, ops []string, _ string) cli.Reply {
	if len(ops) == 0 {
		return cli.Words(k.Interfaces()...)
	}
	if len(ops) >= 2 {
		if kw, ok := lookupKeyword(ops[len(ops)-1]); ok && kw.nargs > 0 {
			return cli.Reply{} // the keyword's value
		}
	}
	ws := []string{"inet", "inet6", "link"}
	for _, kw := range keywords {
		ws = append(ws, kw.name)
	}
	for _, w := range slices.Sorted(maps.Keys(capWords)) {
		ws = append(ws, w, "-"+w)
	}
	return cli.Words(ws...)
}
