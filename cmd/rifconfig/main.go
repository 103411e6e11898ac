// Command rifconfig configures the interfaces of a rump kernel; see
// rifconfig(8).
package main

import (
	"os"

	"github.com/rumpnet/rumpnet/pkg/cli/ifconfig"
)

func main() { os.Exit(ifconfig.Run(os.Args[1:], os.Stdout, os.Stderr)) }
