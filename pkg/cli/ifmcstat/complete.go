package ifmcstat

// Completion of rifmcstat's command line: it has no options and no
// operands, so nothing completes.

import "github.com/rumpnet/rumpnet/internal/cli"

// completion is rifmcstat's command line for the shell.
var completion = cli.Spec{}
