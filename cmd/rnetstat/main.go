// Command rnetstat shows the network status of a rump kernel; see
// rnetstat(1).
package main

import (
	"os"

	"github.com/rumpnet/rumpnet/pkg/cli/netstat"
)

func main() { os.Exit(netstat.Run(os.Args[1:], os.Stdout, os.Stderr)) }
