package dumpbus

// Completion of shmif_dumpbus's command line: its options, and file names
// for the bus and the pcap file.

import "github.com/rumpnet/rumpnet/internal/cli"

// completion is shmif_dumpbus's command line for the shell.
var completion = cli.Spec{
	Optstring: "hp:",
	OptArg:    func(cli.Kernel, byte, string) cli.Reply { return cli.Reply{Files: true} },
	Operand:   func(cli.Kernel, []string, string) cli.Reply { return cli.Reply{Files: true} },
}
