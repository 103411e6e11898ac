// Command rump_server runs one rumpnet virtual kernel; see rump_server(1).
package main

import (
	"os"

	"github.com/rumpnet/rumpnet/pkg/cli/rumpserver"
)

func main() { os.Exit(rumpserver.Run(os.Args[1:], os.Stdout, os.Stderr)) }
