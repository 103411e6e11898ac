// Command rtcpdump captures the frames of an interface of the rump kernel
// RUMP_SERVER names; see rtcpdump(8).
package main

import (
	"os"

	"github.com/rumpnet/rumpnet/pkg/cli/tcpdump"
)

func main() { os.Exit(tcpdump.Run(os.Args[1:], os.Stdout, os.Stderr)) }
