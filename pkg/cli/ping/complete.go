package ping

// Completion of rping's and rping6's command lines: their options, and for
// rping6 an interface after -I.

import "github.com/rumpnet/rumpnet/internal/cli"

// completion is the command line of the tool for family f.
func completion(f Family) *cli.Spec {
	if f == Inet6 {
		return &cli.Spec{
			Optstring: "c:Hh:I:i:noqS:s:X:",
			OptArg: func(k cli.Kernel, opt byte, _ string) cli.Reply {
				if opt == 'I' {
					return cli.Words(k.Interfaces()...)
				}
				return cli.Reply{}
			},
		}
	}
	return &cli.Spec{Optstring: "c:h:I:i:noqs:T:t:W:w:"}
}
