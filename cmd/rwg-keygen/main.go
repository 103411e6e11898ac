// Command rwg-keygen makes WireGuard keys; see rwg-keygen(8).
package main

import (
	"os"

	"github.com/rumpnet/rumpnet/pkg/cli/wgkeygen"
)

func main() { os.Exit(wgkeygen.Run(os.Args[1:], os.Stdout, os.Stderr)) }
