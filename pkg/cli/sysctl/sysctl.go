// Package sysctl is rsysctl(8), NetBSD's sysctl(8) for a rump kernel: it
// reads and writes the kernel's tree of named settings over the control
// socket, with sysctl's syntax, output and messages.
//
// It parses, then connects, then prints; it must not know what any node
// means.
package sysctl

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"syscall"

	"github.com/rumpnet/rumpnet/internal/cli"
	"github.com/rumpnet/rumpnet/internal/getopt"
	"github.com/rumpnet/rumpnet/internal/xo"
	"github.com/rumpnet/rumpnet/pkg/api"
	"github.com/rumpnet/rumpnet/pkg/client"
)

const usage = `usage:	rsysctl [--libxo style] [-ne] variable ...
	rsysctl [--libxo style] [-ne] [-q] -w variable=value ...
	rsysctl [--libxo style] [-ne] -a
	rsysctl [--libxo style] [-ne] -A
`

// Tree is what rsysctl needs from a kernel; client.Client is one.
type Tree interface {
	Get(name string) (api.Node, error)
	Set(name string, value any) (api.SetReply, error)
	List(prefix string) ([]api.Node, error)
}

// options is a parsed command line.
type options struct {
	all, names, quiet, write, equals bool
	args                             []string
	xo                               xo.Options // --libxo
	// out collects the --libxo document (xo.go); nil for text.
	out *xoOut
}

func parse(args []string) (options, error) {
	var o options
	xopt, args, err := xo.Parse(args)
	if err != nil {
		return o, &cli.UsageError{Msg: err.Error()}
	}
	o.xo = xopt
	opts, rest, err := getopt.Parse("Aaenqw", args)
	if err != nil {
		return o, &cli.UsageError{Msg: err.Error()}
	}
	for _, op := range opts {
		switch op.Flag {
		case 'A', 'a':
			o.all = true
		case 'e':
			o.equals = true
		case 'n':
			o.names = true
		case 'q':
			o.quiet = true
		case 'w':
			o.write = true
		}
	}
	o.args = rest
	if o.all == (len(rest) > 0) || o.all && o.write {
		return o, &cli.UsageError{}
	}
	return o, nil
}

// Run is rsysctl's main.
func Run(args []string, stdout, stderr io.Writer) int {
	t := &cli.Tool{Name: "rsysctl", Stdout: stdout, Stderr: stderr,
		Usage: usage, Complete: &completion}
	return t.Run(args, func(args []string) int {
		if t.Server() == "" {
			return 1
		}
		return Main(t, &client.Client{}, args)
	})
}

// Main runs rsysctl against tr.
func Main(t *cli.Tool, tr Tree, args []string) int {
	o, err := parse(args)
	if err != nil {
		t.ReportParse(err, usage)
		return 1
	}
	if o.xo.Style == xo.Text {
		return o.run(t, tr)
	}
	o.out = newXOOut(o.xo)
	status := o.run(t, tr)
	if err := o.out.finish(t.Stdout, status == 0); err != nil {
		return t.Report(err)
	}
	return status
}

// run reads or writes what the command line names.
func (o options) run(t *cli.Tool, tr Tree) int {
	if !o.write {
		for _, a := range o.args {
			if strings.Contains(a, "=") {
				t.Warnx("Must specify -w to set variables")
				return 1
			}
		}
	}
	if o.all {
		nodes, err := tr.List("")
		if err != nil {
			return t.Report(err)
		}
		for _, n := range nodes {
			o.print(t.Stdout, n, false)
		}
		return 0
	}
	status := 0
	for _, a := range o.args {
		var st int
		if o.write && strings.Contains(a, "=") {
			name, value, _ := strings.Cut(a, "=")
			st = o.set(t, tr, name, value)
		} else {
			st = o.show(t, tr, a)
		}
		status = max(status, st)
	}
	return status
}

// show prints one node, or every printable node below an inner one.
func (o options) show(t *cli.Tool, tr Tree, name string) int {
	n, err := tr.Get(name)
	if err == nil {
		o.print(t.Stdout, n, true)
		return 0
	}
	if !errors.Is(err, syscall.ENOENT) {
		return t.Report(cli.Fail(name, err))
	}
	nodes, lerr := tr.List(name)
	if lerr != nil {
		return o.invalid(t, tr, name, lerr)
	}
	for _, n := range nodes {
		o.print(t.Stdout, n, false)
	}
	return 0
}

// set writes one node and prints "name: old -> new".
func (o options) set(t *cli.Tool, tr Tree, name, value string) int {
	n, err := tr.Get(name)
	if err != nil {
		if errors.Is(err, syscall.ENOENT) {
			return o.invalid(t, tr, name, err)
		}
		return t.Report(cli.Fail(name, err))
	}
	var v any = value
	switch n.Type {
	case "int":
		i, perr := strconv.ParseInt(value, 0, 64)
		if perr != nil {
			t.Warnx("%s: %s", name, api.Strerror(syscall.EINVAL))
			return 1
		}
		v = i
	case "struct":
		v = json.RawMessage(value)
		if !json.Valid([]byte(value)) {
			t.Warnx("%s: %s", name, api.Strerror(syscall.EINVAL))
			return 1
		}
	}
	r, err := tr.Set(name, v)
	if err != nil {
		return t.Report(cli.Fail(name, err))
	}
	if o.out != nil {
		if !o.quiet {
			o.out.change(name, n.Type, r.Old, r.New)
		}
		return 0
	}
	if !o.quiet {
		prefix := name + ": "
		if o.names {
			prefix = ""
		}
		fmt.Fprintf(t.Stdout, "%s%s -> %s\n", prefix, display(n.Type, r.Old), display(n.Type, r.New))
	}
	return 0
}

// print writes "name = value" (sysctl's format); structures are shown only
// when asked for by name.
func (o options) print(w io.Writer, n api.Node, explicit bool) {
	if n.Type == "struct" && !explicit {
		return
	}
	if o.out != nil {
		o.out.value(n.Name, n.Type, n.Value)
		return
	}
	v := display(n.Type, n.Value)
	switch {
	case o.names:
		fmt.Fprintln(w, v)
	case o.equals:
		fmt.Fprintf(w, "%s=%s\n", n.Name, v)
	default:
		fmt.Fprintf(w, "%s = %s\n", n.Name, v)
	}
}

// display renders a JSON value the way sysctl prints it: numbers and
// strings bare, anything else compact JSON. A string's bytes are printed as
// they are, also when they are not UTF-8 (sent as {"b64": ...}).
func display(typ string, raw json.RawMessage) string {
	if typ == "string" {
		if s, err := api.DecodeString(raw); err == nil {
			return s
		}
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	return string(raw)
}

// levelNames name a node's depth in messages, as sysctl does.
var levelNames = []string{"top", "second", "third", "fourth", "fifth", "sixth",
	"seventh", "eighth", "ninth", "tenth", "eleventh", "twelfth"}

// invalid reports a name that is not in the tree the way sysctl does: the
// first component that matches nothing, and its depth.
func (o options) invalid(t *cli.Tool, tr Tree, name string, err error) int {
	if o.quiet {
		return 1
	}
	all, lerr := tr.List("")
	if lerr != nil {
		return t.Report(cli.Fail(name, lerr))
	}
	known := map[string]bool{}
	for _, n := range all {
		parts := strings.Split(n.Name, ".")
		for i := range parts {
			known[strings.Join(parts[:i+1], ".")] = true
		}
	}
	parts := strings.Split(name, ".")
	depth := 0
	for depth < len(parts)-1 && known[strings.Join(parts[:depth+1], ".")] {
		depth++
	}
	level := "unknown"
	if depth < len(levelNames) {
		level = levelNames[depth]
	}
	t.Warnx("%s level name '%s' in '%s' is invalid", level, parts[depth], name)
	return 1
}
