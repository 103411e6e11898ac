package arp

// Completion of rarp's command line: its options; an operand is a host or,
// after -f, a file, so the shell completes file names.

import "github.com/rumpnet/rumpnet/internal/cli"

// completion is rarp's command line for the shell.
var completion = cli.Spec{
	LibXO:     true,
	Optstring: "andsfv",
	Operand: func(cli.Kernel, []string, string) cli.Reply {
		return cli.Reply{Files: true}
	},
}
