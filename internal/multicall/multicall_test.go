package multicall

import (
	"bytes"
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/rumpnet/rumpnet/internal/cli"
	"github.com/rumpnet/rumpnet/pkg/client"
)

func run(argv ...string) (string, string, int) {
	var out, errb bytes.Buffer
	st := Main(argv, &out, &errb)
	return out.String(), errb.String(), st
}

// noServer points RUMP_SERVER at a socket nobody listens on.
func noServer(t *testing.T) {
	t.Setenv(client.EnvServer, "unix://"+filepath.Join(t.TempDir(), "none"))
}

// TestToolsListed keeps Tools sorted and in step with the completed tools.
func TestToolsListed(t *testing.T) {
	var names []string
	for _, tool := range Tools {
		names = append(names, tool.Name)
	}
	if !slices.IsSorted(names) {
		t.Errorf("Tools: got %q, want them sorted", names)
	}
	want := append(slices.Clone(cli.CompletedTools), "rumphijack")
	slices.Sort(want)
	if !slices.Equal(names, want) {
		t.Errorf("Tools: got %q, want %q", names, want)
	}
}

// mainCall returns "importpath.Func" of the call inside os.Exit in
// cmd/NAME/main.go.
func mainCall(t *testing.T, name string) string {
	t.Helper()
	path := filepath.Join("..", "..", "cmd", name, "main.go")
	f, err := parser.ParseFile(token.NewFileSet(), path, nil, 0)
	if err != nil {
		t.Fatalf("parse %s: %v", path, err)
	}
	imports := map[string]string{}
	for _, im := range f.Imports {
		p, _ := strconv.Unquote(im.Path.Value)
		imports[filepath.Base(p)] = p
	}
	var got string
	ast.Inspect(f, func(n ast.Node) bool {
		c, ok := n.(*ast.CallExpr)
		if !ok {
			return true
		}
		if s, ok := c.Fun.(*ast.SelectorExpr); ok {
			if x, ok := s.X.(*ast.Ident); ok && x.Name != "os" {
				got = imports[x.Name] + "." + s.Sel.Name
			}
		}
		return true
	})
	return got
}

// TestCommandsMatch checks that every cmd/NAME but rumpnet is a tool, and
// that its main calls the function Tools names for it.
func TestCommandsMatch(t *testing.T) {
	dirs, err := os.ReadDir(filepath.Join("..", "..", "cmd"))
	if err != nil {
		t.Fatal(err)
	}
	var cmds []string
	for _, d := range dirs {
		if d.IsDir() && d.Name() != Name {
			cmds = append(cmds, d.Name())
		}
	}
	var names []string
	for _, tool := range Tools {
		names = append(names, tool.Name)
		want := runtime.FuncForPC(reflect.ValueOf(tool.Run).Pointer()).Name()
		if got := mainCall(t, tool.Name); got != want {
			t.Errorf("cmd/%s/main.go: got it calling %s, want %s", tool.Name, got, want)
		}
	}
	if !slices.Equal(cmds, names) {
		t.Errorf("cmd/: got %q, want %q", cmds, names)
	}
}

// TestDispatch runs every tool in each of its forms: a link named after it
// (argv[0] a path), "rumpnet TOOL" and any other program name with the
// tool as its first argument; each form prints what the tool alone prints.
func TestDispatch(t *testing.T) {
	noServer(t)
	for _, tool := range Tools {
		wantOut, wantErr, wantSt := "", "", 0
		{
			var out, errb bytes.Buffer
			wantSt = tool.Run([]string{"--help"}, &out, &errb)
			wantOut, wantErr = out.String(), errb.String()
		}
		if wantSt != 0 || !strings.HasPrefix(strings.ToLower(wantOut), "usage:") {
			t.Errorf("%s --help: got %d, %q; want 0 and the usage", tool.Name, wantSt, wantOut)
		}
		forms := [][]string{
			{"/usr/local/bin/" + tool.Name, "--help"},
			{tool.Name, "--help"},
			{Name, tool.Name, "--help"},
			{"/opt/bin/rumpnet-1.0", tool.Name, "--help"},
		}
		for _, argv := range forms {
			out, errs, st := run(argv...)
			if st != wantSt || out != wantOut || errs != wantErr {
				t.Errorf("%q: got %d, %q, %q; want %d, %q, %q", argv, st, out, errs, wantSt, wantOut, wantErr)
			}
		}
		out, errs, st := run("/bin/"+tool.Name, "-Z")
		if st != 1 || out != "" || !strings.Contains(strings.ToLower(errs), "usage:") {
			t.Errorf("%s -Z: got %d, %q, %q; want 1, no stdout, the usage on stderr", tool.Name, st, out, errs)
		}
	}
}

// TestCompleteDispatch checks "rumpnet __complete TOOL ..." is the tool's
// own "TOOL __complete ...", and that the tools' names complete.
func TestCompleteDispatch(t *testing.T) {
	noServer(t)
	for _, req := range []string{"__complete", "__completeNoDesc"} {
		for _, tool := range Tools {
			if tool.Name == "rumphijack" {
				continue // completed by its scripts, not by itself
			}
			wantOut, _, wantSt := run(tool.Name, req, "-")
			out, _, st := run(Name, req, tool.Name, "-")
			if st != wantSt || out != wantOut {
				t.Errorf("rumpnet %s %s -: got %d, %q; want %d, %q", req, tool.Name, st, out, wantSt, wantOut)
			}
		}
	}
	names := []struct{ word, want string }{
		{"rif", "rifconfig\nrifmcstat\n:4\n"},
		{"rifconfig", "rifconfig\n:4\n"},
		{"rping", "rping\nrping6\n:4\n"},
		{"in", "install\n:4\n"},
	}
	for _, tt := range names {
		out, _, st := run(Name, "__completeNoDesc", tt.word)
		if st != 0 || out != tt.want {
			t.Errorf("rumpnet __completeNoDesc %s: got %d, %q; want 0, %q", tt.word, st, out, tt.want)
		}
	}
}

func TestRoot(t *testing.T) {
	tests := []struct {
		args     []string
		status   int
		stdout   string // contained in stdout
		stderr   string // contained in stderr
		noStdout bool
	}{
		{[]string{"--help"}, 0, "rifconfig     configure interfaces", "", false},
		{[]string{"-h"}, 0, "install", "", false},
		{[]string{"help", "rifconfig"}, 0, "usage: rifconfig", "", false},
		{nil, 1, "", "Tools:", true},
		{[]string{"-Z"}, 1, "", "usage: rumpnet", true},
		{[]string{"bogus"}, 1, "", `unknown command "bogus"`, true},
		{[]string{"install"}, 1, "", "usage: rumpnet", true},
		{[]string{"list", "x"}, 1, "", "usage: rumpnet", true},
	}
	for _, tt := range tests {
		out, errs, st := run(append([]string{Name}, tt.args...)...)
		if st != tt.status || !strings.Contains(out, tt.stdout) || !strings.Contains(errs, tt.stderr) || (tt.noStdout && out != "") {
			t.Errorf("rumpnet %q: got %d, %q, %q; want %d, stdout with %q, stderr with %q",
				tt.args, st, out, errs, tt.status, tt.stdout, tt.stderr)
		}
	}
	out, _, _ := run(Name, "list")
	var want strings.Builder
	for _, tool := range Tools {
		want.WriteString(tool.Name + "\n")
	}
	if out != want.String() {
		t.Errorf("rumpnet list: got %q, want %q", out, want.String())
	}
}

func TestInstall(t *testing.T) {
	dir := t.TempDir()
	exe := filepath.Join(dir, "rumpnet")
	if err := os.WriteFile(exe, []byte("#!/bin/true\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	other := t.TempDir()
	if err := os.WriteFile(filepath.Join(other, "rifconfig"), []byte("old"), 0o755); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		dir    string
		force  bool
		target string // of every link; "" when Install fails
		errno  syscall.Errno
	}{
		{dir, false, "rumpnet", 0},
		{dir, false, "rumpnet", 0}, // again: nothing to do
		{other, false, "", syscall.EEXIST},
		{other, true, exe, 0},
		{filepath.Join(dir, "none"), false, "", syscall.ENOENT},
		{exe, false, "", syscall.ENOTDIR},
	}
	for i, tt := range tests {
		err := Install(tt.dir, exe, tt.force)
		if tt.target == "" {
			if !errors.Is(err, tt.errno) {
				t.Errorf("%d: Install(%s, force %v): got %v, want %v", i, tt.dir, tt.force, err, tt.errno)
			}
			continue
		}
		if err != nil {
			t.Errorf("%d: Install(%s, force %v): got %v, want nil", i, tt.dir, tt.force, err)
			continue
		}
		for _, tool := range Tools {
			if got, err := os.Readlink(filepath.Join(tt.dir, tool.Name)); err != nil || got != tt.target {
				t.Errorf("%d: %s: got %q, %v; want a link to %q", i, tool.Name, got, err, tt.target)
			}
		}
		if ents, _ := os.ReadDir(tt.dir); len(ents) != len(Tools)+boolInt(tt.dir == dir) {
			t.Errorf("%d: %s: got %d entries, want the links and nothing left over", i, tt.dir, len(ents))
		}
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
