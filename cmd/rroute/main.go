// Command rroute manipulates the routing tables of a rump kernel; see
// rroute(8).
package main

import (
	"os"

	"github.com/rumpnet/rumpnet/pkg/cli/route"
)

func main() { os.Exit(route.Run(os.Args[1:], os.Stdout, os.Stderr)) }
