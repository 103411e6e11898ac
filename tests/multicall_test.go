package tests

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestMultiCall installs the rumpnet binary's links and uses them as the
// tools: rump_server through its link detaches (it re-executes the
// binary under its own name) and serves rifconfig through its link, and
// the shell completes through the links and through rumpnet.
func TestMultiCall(t *testing.T) {
	e := newEnv(t)
	links := filepath.Join(e.dir, "bin")
	if err := os.Mkdir(links, 0o755); err != nil {
		t.Fatal(err)
	}
	// Installed as a user would: the binary in the directory, then its
	// links beside it.
	rumpnet := filepath.Join(links, "rumpnet")
	e.mustRun(nil, "cp", bin("rumpnet"), rumpnet)
	if r := e.run(nil, rumpnet, "install", links); r.code != 0 || r.stderr != "" {
		t.Fatalf("rumpnet install %s: got %v, want exit 0 and no stderr", links, r)
	}
	s := e.addServer(e.url)
	if r := e.run(nil, filepath.Join(links, "rump_server"), e.url); r.code != 0 || r.stderr != "" {
		t.Fatalf("rump_server (a link) %s: got %v, want exit 0 (detached and ready)", e.url, r)
	}
	info, err := s.c.Info()
	if err != nil {
		t.Fatalf("GET /v1/ after rump_server through a link: got %v, want the server's info", err)
	}
	s.pid = info.Pid
	e.setInetDAD(s)
	cmdline, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(info.Pid), "cmdline"))
	if got, want := strings.Split(string(cmdline), "\x00")[0], "rump_server"; err != nil || got != want {
		t.Errorf("detached server's argv[0]: got %q (%v), want %q", got, err, want)
	}
	server := []string{"RUMP_SERVER=" + e.url}
	runs := []struct {
		argv []string
		want string
	}{
		{[]string{filepath.Join(links, "rifconfig"), "-l"}, "lo0\n"},
		{[]string{rumpnet, "rifconfig", "-l"}, "lo0\n"},
		{[]string{filepath.Join(links, "rsysctl"), "-n", "net.inet.ip.dad_count"}, "0\n"},
	}
	for _, tt := range runs {
		if r := e.run(server, tt.argv...); r.code != 0 || r.stdout != tt.want || r.stderr != "" {
			t.Errorf("%q: got %v, want exit 0 and %q", tt.argv, r, tt.want)
		}
	}
	e.mustRif("virt0", "create")
	path := []string{"PATH=" + links + ":" + os.Getenv("PATH")}
	completions := []struct {
		tool, line string
		want       []string
	}{
		{"rifconfig", "rifconfig vi", []string{"virt0"}},
		{"rumpnet", "rumpnet rifconfig vi", []string{"virt0"}},
		{"rumpnet", "rumpnet rif", []string{"rifconfig", "rifmcstat"}},
	}
	for _, tt := range completions {
		if got := e.bashComplete(append(path, server...), tt.tool, tt.line); !slices.Equal(got, tt.want) {
			t.Errorf("%s<TAB> through the links: got %q, want %q", tt.line, got, tt.want)
		}
	}
	if r := e.run(server, filepath.Join(links, "rhalt")); r.code != 0 {
		t.Fatalf("rhalt (a link): got %v, want exit 0", r)
	}
	e.waitExited(s.pid)

	// Hard links: the file the server re-executes is the link itself.
	hard := filepath.Join(e.dir, "hard")
	if err := os.Mkdir(hard, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"rump_server", "rifconfig", "rhalt"} {
		if err := os.Link(rumpnet, filepath.Join(hard, name)); err != nil {
			t.Fatal(err)
		}
	}
	url := "unix://" + filepath.Join(e.dir, "k2")
	e.addServer(url)
	if r := e.run(nil, filepath.Join(hard, "rump_server"), url); r.code != 0 || r.stderr != "" {
		t.Fatalf("rump_server (a hard link) %s: got %v, want exit 0", url, r)
	}
	server = []string{"RUMP_SERVER=" + url}
	if r := e.run(server, filepath.Join(hard, "rifconfig"), "-l"); r.code != 0 || r.stdout != "lo0\n" {
		t.Errorf("rifconfig (a hard link) -l: got %v, want exit 0 and lo0", r)
	}
	if r := e.run(server, filepath.Join(hard, "rhalt")); r.code != 0 {
		t.Errorf("rhalt (a hard link): got %v, want exit 0", r)
	}
}
