// Command shmif_dumpbus prints a shmif bus's header and frames, or writes
// them as pcap; see shmif_dumpbus(1).
package main

import (
	"os"

	"github.com/rumpnet/rumpnet/pkg/cli/dumpbus"
)

func main() { os.Exit(dumpbus.Run(os.Args[1:], os.Stdout, os.Stderr)) }
