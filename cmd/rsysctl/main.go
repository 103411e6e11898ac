// Command rsysctl reads and writes a rump kernel's settings; see rsysctl(8).
package main

import (
	"os"

	"github.com/rumpnet/rumpnet/pkg/cli/sysctl"
)

func main() { os.Exit(sysctl.Run(os.Args[1:], os.Stdout, os.Stderr)) }
