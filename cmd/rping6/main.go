// Command rping6 sends ICMPv6 echo requests from the rump kernel
// RUMP_SERVER names; see rping6(8).
package main

import (
	"os"

	"github.com/rumpnet/rumpnet/pkg/cli/ping"
)

func main() { os.Exit(ping.Run6(os.Args[1:], os.Stdout, os.Stderr)) }
