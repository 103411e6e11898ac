// Command rtraceroute6 traces the route packets take from the rump kernel
// RUMP_SERVER names; see rtraceroute(8).
package main

import (
	"os"

	"github.com/rumpnet/rumpnet/pkg/cli/traceroute"
)

func main() { os.Exit(traceroute.Run6(os.Args[1:], os.Stdout, os.Stderr)) }
