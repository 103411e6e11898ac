// Package cli holds what every rump tool's command line shares: its run,
// with the shells' completion requests answered (BSD option syntax is
// parsed by getopt and keyword tables, not by a flag package), and the one error vocabulary the tools speak
// (report.go): OpError for a failed operation, UsageError for a command
// line not understood, and their err(3)-style printing. The vocabulary
// lives with Tool, not in a package of its own, because printing needs
// the tool's name and stderr, and every tool already imports this one.
//
// It must not know any one tool's options or output, nor import cobra
// (whose size and initialisation every call of a tool would pay).
package cli

import (
	"errors"
	"fmt"
	"io"
	"syscall"

	"github.com/rumpnet/rumpnet/pkg/api"
)

// Tool is one command-line program.
type Tool struct {
	Name   string
	Stdout io.Writer
	Stderr io.Writer
	// Usage is the usage text; Run prints it to Stdout for "--help".
	Usage string
	// Complete is how the command line completes (complete.go); nil
	// completes file names.
	Complete *Spec
}

// Run runs main and returns the exit status main returns. "--help" as the
// first argument prints t.Usage and returns 0 without running main;
// cobra's hidden "__complete" answers from t.Complete, also without running
// main.
//
// The tools once ran under a cobra root command with flag parsing off and
// no subcommands, which handed every command line but a completion request
// to main as it was. Run does the same without cobra (complete.go answers
// the request): building and executing the root, and linking cobra, were
// a measurable part of a tool's whole run (doc/performance.md, "A tool
// call").
func (t *Tool) Run(args []string, main func(args []string) int) int {
	if len(args) > 0 && args[0] == "--help" && t.Usage != "" {
		fmt.Fprint(t.Stdout, t.Usage)
		return 0
	}
	if len(args) > 0 && IsCompletion(args[0]) {
		return t.answer(t.Complete, args)
	}
	if args == nil {
		args = []string{}
	}
	return main(args)
}

// The completion requests, cobra's hidden commands the scripts call.
const (
	completeReq    = "__complete"
	completeNoDesc = "__completeNoDesc"
)

// IsCompletion reports whether arg is a completion request.
func IsCompletion(arg string) bool { return arg == completeReq || arg == completeNoDesc }

// Warn prints "name: what: strerror" for an error carrying an errno, as
// warn(3) does, and "name: what: err" otherwise. An *api.Explained was
// written for the person at the terminal and is printed as "name: message"
// ("rifconfig: unix:///tmp/k1: no reply within 30s").
func (t *Tool) Warn(err error, format string, a ...any) {
	var ex *api.Explained
	if errors.As(err, &ex) {
		t.Warnx("%s", ex.Msg)
		return
	}
	what := fmt.Sprintf(format, a...)
	var errno syscall.Errno
	msg := err.Error()
	if errors.As(err, &errno) {
		msg = api.Strerror(errno)
	}
	if what == "" {
		fmt.Fprintf(t.Stderr, "%s: %s\n", t.Name, msg)
		return
	}
	fmt.Fprintf(t.Stderr, "%s: %s: %s\n", t.Name, what, msg)
}

// Warnx prints "name: message", as warnx(3) does.
func (t *Tool) Warnx(format string, a ...any) {
	fmt.Fprintf(t.Stderr, "%s: %s\n", t.Name, fmt.Sprintf(format, a...))
}
