package multicall_test

// The import graph of every program under cmd/: no tool links net/http,
// crypto/tls or encoding/xml (the control interface's HTTP/1.1 is
// pkg/client's own, --libxo xml is internal/xo's own, and their
// initialisation and size would be paid by every call of a tool),
// and no program but rumpnet links the multi-call registry, which would
// link every other tool into it, or cobra, which only rumpnet's own
// command line uses (a tool answers the shells' completion requests
// itself, internal/cli).

import (
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/rumpnet/rumpnet/internal/multicall"
)

// goTool returns the go command, or skips the test without one.
func goTool(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	if _, err := exec.LookPath("/usr/local/go/bin/go"); err == nil {
		return "/usr/local/go/bin/go"
	}
	t.Skip("no go command to list the import graph with")
	return ""
}

// deps returns each main package under cmd/ with its dependencies.
func deps(t *testing.T) map[string][]string {
	t.Helper()
	cmd := exec.Command(goTool(t), "list", "-f", "{{.ImportPath}} {{join .Deps \" \"}}", "../../cmd/...")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	m := map[string][]string{}
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(l)
		m[filepath.Base(f[0])] = f[1:]
	}
	return m
}

func TestToolDeps(t *testing.T) {
	all := deps(t)
	registry := "github.com/rumpnet/rumpnet/internal/multicall"
	for _, tool := range append(multicall.Tools, multicall.Tool{Name: multicall.Name}) {
		d, ok := all[tool.Name]
		if !ok {
			t.Errorf("%s: got no cmd/%s, want one", tool.Name, tool.Name)
			continue
		}
		for _, pkg := range []string{"net/http", "crypto/tls", "encoding/xml"} {
			if slices.Contains(d, pkg) {
				t.Errorf("%s: got %s among its dependencies, want it not linked", tool.Name, pkg)
			}
		}
		if tool.Name == multicall.Name {
			continue
		}
		for _, pkg := range []string{registry, "github.com/spf13/cobra"} {
			if slices.Contains(d, pkg) {
				t.Errorf("%s: got %s among its dependencies, want it only in %s", tool.Name, pkg, multicall.Name)
			}
		}
	}
}
