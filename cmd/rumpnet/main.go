// Command rumpnet is every rumpnet tool in one binary, chosen by the name
// it runs under or by its first argument; see rumpnet(1).
package main

import (
	"os"

	"github.com/rumpnet/rumpnet/internal/multicall"
)

func main() { os.Exit(multicall.Main(os.Args, os.Stdout, os.Stderr)) }
