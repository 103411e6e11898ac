package tests

import (
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
