package traceroute

// Completion of rtraceroute's and rtraceroute6's command lines: their
// options.

import "github.com/rumpnet/rumpnet/internal/cli"

func completion(f Family) *cli.Spec { return &cli.Spec{Optstring: optstring(f)} }
