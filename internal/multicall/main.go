package multicall

// Dispatch. The name the program runs under decides first, busybox's way:
// a link called rifconfig is rifconfig, before any of rumpnet's own
// command line is built, so that a tool through a link costs what the tool
// costs (rumphijack, which stands between a program and its start, most of
// all). Under any other name the program is rumpnet, and its first
// argument names the tool; "rumpnet __complete TOOL ..." is rewritten to
// "TOOL __complete ...", so the tool itself answers the shell. What is left
// (--help, install, list, help, the completion of a tool's name) is
// rumpnet's own cobra root command.

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"syscall"

	"github.com/rumpnet/rumpnet/internal/cli"
	"github.com/spf13/cobra"
)

// Main is rumpnet's main. argv is the whole command line, argv[0]
// included, since it names the tool; Main returns the exit status.
func Main(argv []string, stdout, stderr io.Writer) int {
	if len(argv) == 0 {
		argv = []string{Name}
	}
	args := argv[1:]
	if t, ok := Lookup(filepath.Base(argv[0])); ok {
		return t.Run(args, stdout, stderr)
	}
	if len(args) > 0 {
		if t, ok := Lookup(args[0]); ok {
			return t.Run(args[1:], stdout, stderr)
		}
	}
	// The last word is the one being completed: "rumpnet __complete rping"
	// completes the tool's name, which the root does.
	if len(args) > 2 && isComplete(args[0]) {
		if t, ok := Lookup(args[1]); ok {
			return t.Run(append([]string{args[0]}, args[2:]...), stdout, stderr)
		}
	}
	return runRoot(args, stdout, stderr)
}

// isComplete reports whether arg is one of cobra's hidden completion
// requests.
func isComplete(arg string) bool {
	return arg == cobra.ShellCompRequestCmd || arg == cobra.ShellCompNoDescRequestCmd
}

const long = `rumpnet is every rumpnet tool in one binary. Run a tool as
"rumpnet TOOL [arg ...]", or through a link named after it, which is what
"rumpnet install DIR" makes: "rifconfig -a" through the link is
"rumpnet rifconfig -a".`

// runRoot runs rumpnet's own command line.
func runRoot(args []string, stdout, stderr io.Writer) int {
	t := &cli.Tool{Name: Name, Stdout: stdout, Stderr: stderr}
	root := &cobra.Command{
		Use:                   Name + " TOOL [arg ...]",
		DisableFlagsInUseLine: true,
		Short:                 "every rumpnet tool in one binary",
		Long:                  long,
		SilenceErrors:         true,
		SilenceUsage:          true,
		CompletionOptions:     cobra.CompletionOptions{DisableDefaultCmd: true},
		Args:                  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			c.SetOut(stderr)
			c.Usage()
			return errNoTool
		},
	}
	root.AddGroup(&cobra.Group{ID: "tools", Title: "Tools:"},
		&cobra.Group{ID: "own", Title: "Commands:"})
	for _, tool := range Tools {
		root.AddCommand(toolCommand(tool, stdout, stderr))
	}
	root.AddCommand(installCommand(t), listCommand(stdout))
	root.SetHelpCommandGroupID("own")
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	if err := root.Execute(); err != nil {
		var st exitStatus
		if errors.As(err, &st) {
			return int(st)
		}
		var ie *installError
		if errors.As(err, &ie) {
			t.Warn(ie.err, "%s", ie.path)
			if errors.Is(ie.err, syscall.EEXIST) {
				fmt.Fprintf(stderr, "%s: -f replaces files that are not links to this binary\n", Name)
			}
			return 1
		}
		if err != errNoTool {
			t.Warnx("%v", err)
			fmt.Fprintf(stderr, "usage: %s TOOL [arg ...]\n", Name)
		}
		return 1
	}
	return 0
}

// errNoTool is rumpnet with no tool; the usage has been printed.
var errNoTool = errors.New("no tool")

// toolCommand is tool as a subcommand of the root, for the help's list
// and the completion of its name; Main runs a tool before the root is
// built, so its Run is reached only as "rumpnet -- TOOL". "rumpnet help
// TOOL" prints the tool's own usage.
func toolCommand(tool Tool, stdout, stderr io.Writer) *cobra.Command {
	c := &cobra.Command{
		Use:                tool.Name,
		Short:              tool.Summary,
		GroupID:            "tools",
		DisableFlagParsing: true,
		RunE: func(_ *cobra.Command, args []string) error {
			if st := tool.Run(args, stdout, stderr); st != 0 {
				return exitStatus(st)
			}
			return nil
		},
	}
	c.SetHelpFunc(func(*cobra.Command, []string) { tool.Run([]string{"--help"}, stdout, stderr) })
	return c
}

// exitStatus is a tool's non-zero status, already reported by the tool.
type exitStatus int

func (e exitStatus) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

// listCommand prints every tool's name, one a line.
func listCommand(stdout io.Writer) *cobra.Command {
	return &cobra.Command{
		Use:     "list",
		Short:   "print the tools' names, one a line",
		GroupID: "own",
		Args:    cobra.NoArgs,
		Run: func(*cobra.Command, []string) {
			for _, t := range Tools {
				fmt.Fprintln(stdout, t.Name)
			}
		},
	}
}
