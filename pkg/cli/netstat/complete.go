package netstat

// Completion of rnetstat's command line: an interface after -I, a family
// after -f, a protocol after -p, a file after -M and -N.

import "github.com/rumpnet/rumpnet/internal/cli"

// completion is rnetstat's command line for the shell.
var completion = cli.Spec{
	LibXO:     true,
	Optstring: "AabBdf:ghI:iLlM:mN:nP:p:qrSsTtuvw:X",
	OptArg: func(k cli.Kernel, opt byte, _ string) cli.Reply {
		switch opt {
		case 'I':
			return cli.Words(k.Interfaces()...)
		case 'f':
			return cli.Words("inet", "inet6", "local", "unix")
		case 'p':
			var ws []string
			for _, p := range protos {
				ws = append(ws, p.name)
			}
			return cli.Words(ws...)
		case 'M', 'N':
			return cli.Reply{Files: true}
		}
		return cli.Reply{}
	},
}
