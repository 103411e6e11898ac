package ndp

// Completion of rndp's command line: an interface after -i, a file after
// -f.

import "github.com/rumpnet/rumpnet/internal/cli"

// completion is rndp's command line for the shell.
var completion = cli.Spec{
	LibXO:     true,
	Optstring: "acd:f:i:nstA:",
	OptArg: func(k cli.Kernel, opt byte, _ string) cli.Reply {
		switch opt {
		case 'i':
			return cli.Words(k.Interfaces()...)
		case 'f':
			return cli.Reply{Files: true}
		}
		return cli.Reply{}
	},
}
