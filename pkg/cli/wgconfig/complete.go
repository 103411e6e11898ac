package wgconfig

// Completion of rwgconfig's command line: a wg interface, then the
// commands and their targets.

import "github.com/rumpnet/rumpnet/internal/cli"

var completion = cli.Spec{Operand: operand}

func operand(k cli.Kernel, ops []string, _ string) cli.Reply {
	switch len(ops) {
	case 0:
		return cli.Words(cli.InterfacesLike(k, "wg")...)
	case 1:
		return cli.Words("show", "set", "add", "delete")
	case 2:
		switch ops[1] {
		case "show":
			return cli.Words("all", "peer", "private-key")
		case "set":
			return cli.Words("private-key", "listen-port")
		case "add", "delete":
			return cli.Words("peer")
		}
	case 3:
		if ops[1] == "set" && ops[2] == "private-key" {
			return cli.Reply{Files: true}
		}
	}
	if len(ops) >= 5 && ops[1] == "add" {
		return cli.Words("--endpoint=", "--allowed-ips=", "--preshared-key=")
	}
	return cli.Reply{}
}
