package halt

// Completion of rhalt's command line: its options; it has no operands.

import "github.com/rumpnet/rumpnet/internal/cli"

// completion is rhalt's command line for the shell.
var completion = cli.Spec{Optstring: "dhn"}
