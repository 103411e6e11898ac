// Command rping sends ICMP echo requests from the rump kernel RUMP_SERVER
// names; see rping(8).
package main

import (
	"os"

	"github.com/rumpnet/rumpnet/pkg/cli/ping"
)

func main() { os.Exit(ping.Run(os.Args[1:], os.Stdout, os.Stderr)) }
