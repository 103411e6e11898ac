package tests

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestErrorMessages checks rifconfig's and rhalt's messages and exit codes
// against NetBSD's (err(3) format, NetBSD strerror texts).
func TestErrorMessages(t *testing.T) {
	e := newEnv(t)
	e.startServer()
	e.mustRif("virt0", "create")
	missing := "unix://" + e.dir + "/nosuch"

	tests := []struct {
		name     string
		url      string // "" = the running server
		tool     string // "" = rifconfig
		args     []string
		code     int
		stderr   string // exact, unless contains is set
		contains bool
	}{
		{"show missing", "", "", []string{"virt9"}, 1, "rifconfig: SIOCGIFFLAGS virt9: Device not configured\n", false},
		{"configure missing", "", "", []string{"virt9", "up"}, 1, "rifconfig: exec_matches: Device not configured\n", false},
		{"create existing", "", "", []string{"virt0", "create"}, 1, "rifconfig: clone_command: File exists\n", false},
		{"create unknown cloner", "", "", []string{"foo0", "create"}, 1, "rifconfig: clone_command: Invalid argument\n", false},
		{"destroy missing", "", "", []string{"virt9", "destroy"}, 1, "rifconfig: clone_command: Device not configured\n", false},
		{"linkstr on lo0", "", "", []string{"lo0", "linkstr", "x"}, 1, "rifconfig: SIOCSLINKSTR: ", true},
		{"destroy lo0", "", "", []string{"lo0", "destroy"}, 1, "rifconfig: clone_command: Operation not permitted\n", false},
		{"unsupported family", "", "", []string{"virt0", "atalk", "1.1"}, 1, "not supported", true},
		{"name too long", "", "", []string{"virt0123456789012", "create"}, 1, "usage: rifconfig", true},
		{"-l with -a", "", "", []string{"-l", "-a"}, 1, "usage: rifconfig", true},
		{"no server", missing, "", []string{"-a"}, 1, "rifconfig: rump client init: ", true},
		{"no server, configure", missing, "", []string{"virt0", "create"}, 1, "rifconfig: rump client init: ", true},
		{"rhalt, no server", missing, "rhalt", nil, 1, "rhalt: rump client init: ", true},
		{"rhalt, bad option", "", "rhalt", []string{"-x"}, 1, "usage: rhalt", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			url, tool := tt.url, tt.tool
			if url == "" {
				url = e.url
			}
			if tool == "" {
				tool = "rifconfig"
			}
			r := e.run([]string{"RUMP_SERVER=" + url}, append([]string{bin(tool)}, tt.args...)...)
			line := tool + " " + strings.Join(tt.args, " ")
			if r.code != tt.code {
				t.Errorf("%s: got exit %d (%v), want %d", line, r.code, r, tt.code)
			}
			if tt.contains && !strings.Contains(r.stderr, tt.stderr) || !tt.contains && r.stderr != tt.stderr {
				t.Errorf("%s: got stderr %q, want %q", line, r.stderr, tt.stderr)
			}
			if r.stdout != "" {
				t.Errorf("%s: got stdout %q, want none", line, r.stdout)
			}
		})
	}

	// None of that changed the kernel.
	if got, want := e.mustRif("-l"), "lo0 virt0\n"; got != want {
		t.Errorf("rifconfig -l: got %q, want %q", got, want)
	}
}

// TestUnreachableServerAllTools checks that every tool that talks to a
// kernel says the same thing, naming the socket, when it cannot reach it:
// no socket at the path, a stale socket nobody listens on, a socket this
// user may not connect to, and RUMP_SERVER unset. shmif_dumpbus reads a
// bus file and talks to no kernel, so it is not here.
func TestUnreachableServerAllTools(t *testing.T) {
	e := newEnv(t)
	if err := os.Chmod(e.dir, 0o755); err != nil {
		t.Fatal(err)
	}
	e.startServer() // 0600 and root's: uid nobody may not connect
	missing := "unix://" + e.dir + "/nosuch"
	stale := filepath.Join(e.dir, "stale")
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: stale, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	l.SetUnlinkOnClose(false)
	l.Close()

	tools := []struct {
		name  string
		args  []string
		unset bool // says RUMP_SERVER not set (rifconfig and rbrconfig act on the host instead)
	}{
		{"rifconfig", []string{"-a"}, false},
		{"rbrconfig", []string{"-a"}, false},
		{"rroute", []string{"-n", "show"}, true},
		{"rnetstat", []string{"-rn"}, true},
		{"rarp", []string{"-an"}, true},
		{"rndp", []string{"-an"}, true},
		{"rping", []string{"-c", "1", "127.0.0.1"}, true},
		{"rping6", []string{"-c", "1", "::1"}, true},
		{"rsysctl", []string{"-a"}, true},
		{"rhalt", nil, true},
		{"rifmcstat", nil, true},
		{"rtcpdump", []string{"-i", "lo0"}, true},
		{"rtraceroute", []string{"-n", "127.0.0.1"}, true},
		{"rtraceroute6", []string{"-n", "::1"}, true},
		// The session opens at the program's first socket call.
		{"rumphijack", []string{"bash", "-c", "exec 2>/dev/null 3<>/dev/tcp/127.0.0.1/9"}, true},
	}
	cases := []struct {
		name string
		url  string
		as   bool // run as uid nobody
		msg  string
	}{
		{"missing", missing, false, "rump client init: " + missing + ": No such file or directory (no such socket: is rump_server running?)"},
		{"stale", "unix://" + stale, false, "rump client init: unix://" + stale + ": Connection refused (stale socket: no rump_server is listening)"},
		{"permission", e.url, true, "rump client init: " + e.url + ": Permission denied (run as the user who started rump_server, or as root)"},
		{"unset", "", false, "RUMP_SERVER not set"},
	}
	for _, c := range cases {
		for _, tool := range tools {
			if c.url == "" && !tool.unset {
				continue
			}
			t.Run(c.name+"/"+tool.name, func(t *testing.T) {
				argv := append([]string{bin(tool.name)}, tool.args...)
				var r result
				if c.as {
					r = runAs(c.url, argv...)
				} else {
					r = e.run([]string{"RUMP_SERVER=" + c.url}, argv...)
				}
				want := tool.name + ": " + c.msg + "\n"
				if r.code != 1 || r.stderr != want {
					t.Errorf("RUMP_SERVER=%q %s: got %v, want exit 1, stderr %q", c.url, strings.Join(tool.args, " "), r, want)
				}
			})
		}
	}
}
