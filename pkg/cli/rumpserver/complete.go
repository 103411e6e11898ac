package rumpserver

// Completion of rump_server's command line: its options, and file names
// for the url ("unix://" then a path) and the files the options name.

import "github.com/rumpnet/rumpnet/internal/cli"

// completion is rump_server's command line for the shell.
var completion = cli.Spec{
	Optstring: "svc:l:r:d:m:",
	OptArg: func(_ cli.Kernel, opt byte, _ string) cli.Reply {
		return cli.Reply{Files: opt == 'l'}
	},
	Operand: func(_ cli.Kernel, ops []string, word string) cli.Reply {
		if len(ops) > 0 {
			return cli.Reply{}
		}
		return cli.Reply{Words: []string{"unix://"}, NoSpace: true}
	},
}
