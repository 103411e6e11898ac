// Command rndp shows and changes the IPv6 neighbour cache of a rump
// kernel; see rndp(8).
package main

import (
	"os"

	"github.com/rumpnet/rumpnet/pkg/cli/ndp"
)

func main() { os.Exit(ndp.Run(os.Args[1:], os.Stdout, os.Stderr)) }
