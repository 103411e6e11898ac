// Command rifmcstat shows the multicast group memberships of a rump
// kernel's interfaces; see rifmcstat(8).
package main

import (
	"os"

	"github.com/rumpnet/rumpnet/pkg/cli/ifmcstat"
)

func main() { os.Exit(ifmcstat.Run(os.Args[1:], os.Stdout, os.Stderr)) }
