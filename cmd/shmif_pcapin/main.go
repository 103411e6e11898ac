// Command shmif_pcapin writes the packets of a pcap file onto a shmif
// bus; see shmif_pcapin(1).
package main

import (
	"os"

	"github.com/rumpnet/rumpnet/pkg/cli/pcapin"
)

func main() { os.Exit(pcapin.Run(os.Args[1:], os.Stdout, os.Stderr)) }
