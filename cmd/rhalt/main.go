// Command rhalt stops the rump kernel RUMP_SERVER names; see rhalt(1).
package main

import (
	"os"

	"github.com/rumpnet/rumpnet/pkg/cli/halt"
)

func main() { os.Exit(halt.Run(os.Args[1:], os.Stdout, os.Stderr)) }
