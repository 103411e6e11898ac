// Command gencompletion writes the tools' shell completion scripts into
// the directory it is given (go generate runs it for completion/).
//
// It must not write anywhere else.
package main

import (
	"fmt"
	"os"

	"github.com/rumpnet/rumpnet/internal/cli/scripts"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: gencompletion dir")
		os.Exit(1)
	}
	if err := scripts.WriteScripts(os.Args[1]); err != nil {
		fmt.Fprintf(os.Stderr, "gencompletion: %v\n", err)
		os.Exit(1)
	}
}
