package sysctl

// Completion of rsysctl's command line: the kernel's variable names, a
// level at a time.

import "github.com/rumpnet/rumpnet/internal/cli"

// completion is rsysctl's command line for the shell.
var completion = cli.Spec{
	Optstring: "Aaenqw",
	LibXO:     true,
	Operand: func(k cli.Kernel, _ []string, word string) cli.Reply {
		return cli.SysctlWords(k.Sysctl(), word)
	},
}
