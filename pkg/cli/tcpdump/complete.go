package tcpdump

// Completion of rtcpdump's command line: an interface after -i, a
// direction after -Q, a file after -F and -w.

import "github.com/rumpnet/rumpnet/internal/cli"

// completion is rtcpdump's command line for the shell.
var completion = cli.Spec{
	Optstring: optstring + "h", // -h is --help, as tcpdump's is
	OptArg: func(k cli.Kernel, opt byte, _ string) cli.Reply {
		switch opt {
		case 'i':
			return cli.Words(k.Interfaces()...)
		case 'Q':
			return cli.Words("in", "out", "inout")
		case 'F', 'w':
			return cli.Reply{Files: true}
		}
		return cli.Reply{}
	},
	Operand: func(cli.Kernel, []string, string) cli.Reply {
		return cli.Words("host", "net", "port", "ether", "ip", "ip6", "arp", "tcp", "udp", "icmp", "icmp6",
			"src", "dst", "and", "or", "not")
	},
}
