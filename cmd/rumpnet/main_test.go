package main

// The multi-call binary as a process, run through links named after each
// tool. The test binary is that binary: with envRunMain set it runs main
// instead of the tests, so a link to it is a link to rumpnet.

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rumpnet/rumpnet/internal/multicall"
	"github.com/rumpnet/rumpnet/pkg/client"
)

const envRunMain = "RUMPNET_TEST_RUN_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(envRunMain) == "1" {
		main()
	}
	os.Exit(m.Run())
}

// links makes a directory with a link to this binary under every tool's
// name, and one called rumpnet.
func links(t *testing.T) string {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, tool := range append(multicall.Tools, multicall.Tool{Name: multicall.Name}) {
		if err := os.Symlink(exe, filepath.Join(dir, tool.Name)); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

type result struct {
	stdout, stderr string
	status         int
}

func run(t *testing.T, path string, args ...string) result {
	t.Helper()
	cmd := exec.Command(path, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	cmd.Env = append(os.Environ(), envRunMain+"=1",
		client.EnvServer+"=unix://"+filepath.Join(t.TempDir(), "none"))
	err := cmd.Run()
	r := result{out.String(), errb.String(), 0}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		r.status = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run %s: %v", path, err)
	}
	return r
}

func TestLinks(t *testing.T) {
	dir := links(t)
	for _, tool := range multicall.Tools {
		t.Run(tool.Name, func(t *testing.T) {
			t.Parallel()
			checkLink(t, dir, tool.Name)
		})
	}
}

// checkLink runs the tool name through its link and through rumpnet in
// dir, with --help and with an option it does not have.
func checkLink(t *testing.T, dir, name string) {
	t.Helper()
	rumpnet := filepath.Join(dir, multicall.Name)
	link := filepath.Join(dir, name)
	tests := []struct {
		argv   []string
		status int
		usage  string // "stdout" or "stderr": where the usage goes
	}{
		{[]string{link, "--help"}, 0, "stdout"},
		{[]string{link, "-Z"}, 1, "stderr"},
		{[]string{rumpnet, name, "--help"}, 0, "stdout"},
		{[]string{rumpnet, name, "-Z"}, 1, "stderr"},
	}
	for _, tt := range tests {
		r := run(t, tt.argv[0], tt.argv[1:]...)
		where, other := r.stdout, r.stderr
		if tt.usage == "stderr" {
			where, other = r.stderr, r.stdout
		}
		lower := strings.ToLower(where)
		if r.status != tt.status || !strings.HasPrefix(strings.TrimPrefix(lower, name+": unknown option -- z\n"), "usage:") ||
			!strings.Contains(where, name) || other != "" {
			t.Errorf("%s %q: got %d, stdout %q, stderr %q; want %d and the usage on %s only",
				filepath.Base(tt.argv[0]), tt.argv[1:], r.status, r.stdout, r.stderr, tt.status, tt.usage)
		}
	}
}

// TestLinkCompletes checks a link answers the shell's completion request
// as the tool does: its scripts call the name the user typed.
func TestLinkCompletes(t *testing.T) {
	dir := links(t)
	tests := []struct {
		argv []string
		want string
	}{
		{[]string{"rroute", "__completeNoDesc", "fl"}, "flush\nflushall\n:4\n"},
		{[]string{"rifconfig", "__completeNoDesc", "virt0", "dest"}, "destroy\n:4\n"},
		{[]string{"rumpnet", "__completeNoDesc", "rroute", "fl"}, "flush\nflushall\n:4\n"},
		{[]string{"rumpnet", "__completeNoDesc", "rping"}, "rping\nrping6\n:4\n"},
	}
	for _, tt := range tests {
		r := run(t, filepath.Join(dir, tt.argv[0]), tt.argv[1:]...)
		if r.status != 0 || r.stdout != tt.want {
			t.Errorf("%q: got %d, %q; want 0, %q", tt.argv, r.status, r.stdout, tt.want)
		}
	}
}
