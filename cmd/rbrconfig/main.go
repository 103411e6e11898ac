// Command rbrconfig configures the bridges of a rump kernel or of the Linux
// host; see rbrconfig(8).
package main

import (
	"os"

	"github.com/rumpnet/rumpnet/pkg/cli/brconfig"
)

func main() { os.Exit(brconfig.Run(os.Args[1:], os.Stdout, os.Stderr)) }
