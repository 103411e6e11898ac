// Command rwgconfig configures the wg interfaces of a rump kernel; see
// rwgconfig(8).
package main

import (
	"os"

	"github.com/rumpnet/rumpnet/pkg/cli/wgconfig"
)

func main() { os.Exit(wgconfig.Run(os.Args[1:], os.Stdout, os.Stderr)) }
