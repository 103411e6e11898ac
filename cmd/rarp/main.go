// Command rarp shows and changes the ARP table of a rump kernel; see
// rarp(8).
package main

import (
	"os"

	"github.com/rumpnet/rumpnet/pkg/cli/arp"
)

func main() { os.Exit(arp.Run(os.Args[1:], os.Stdout, os.Stderr)) }
