// Command rumphijack runs a program with its Internet sockets on the rump
// kernel RUMP_SERVER names; see rumphijack(1).
package main

import (
	"os"

	"github.com/rumpnet/rumpnet/pkg/cli/rumphijack"
)

func main() { os.Exit(rumphijack.Run(os.Args[1:], os.Stdout, os.Stderr)) }
