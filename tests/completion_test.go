package tests

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// bashComplete sources completion/bash/TOOL in bash -c, completes line
// (the cursor at its end) as bash would at a tab, and returns COMPREPLY.
func (e *env) bashComplete(extraEnv []string, tool, line string) []string {
	e.t.Helper()
	script := filepath.Join(moduleRoot, "completion", "bash", tool)
	prog := `source "$1" || exit 2
compopt() { :; } # only in a completion bash runs at a tab
COMP_LINE=$2; COMP_POINT=${#COMP_LINE}
read -ra COMP_WORDS <<<"$COMP_LINE"
[[ $COMP_LINE == *" " ]] && COMP_WORDS+=("")
COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
fn=$(complete -p "$3" | sed -n 's/.*-F \([^ ]*\) .*/\1/p')
"$fn" "$3" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
printf '%s\n' "${COMPREPLY[@]}"`
	env := append([]string{"PATH=" + binDir + ":" + os.Getenv("PATH")}, extraEnv...)
	r := e.run(env, "bash", "-c", prog, "bash", script, line, tool)
	if r.code != 0 || r.stderr != "" {
		e.t.Fatalf("bash completion of %q: got %v, want exit 0 and no stderr", line, r)
	}
	var ws []string
	for _, w := range strings.Split(r.stdout, "\n") {
		if w = strings.TrimSpace(w); w != "" {
			ws = append(ws, w)
		}
	}
	return ws
}

// TestBashCompletion sources the installed bash scripts against a running
// server: interface names come from the kernel, keywords from the tool,
// and with no server there are keywords only, silently.
func TestBashCompletion(t *testing.T) {
	e := newEnv(t)
	e.startServer()
	e.mustRif("virt0", "create")
	e.mustRif("virt1", "create")
	e.mustRif("bridge0", "create")
	server := []string{"RUMP_SERVER=" + e.url}
	none := []string{"RUMP_SERVER=unix://" + filepath.Join(e.dir, "none")}
	tests := []struct {
		env  []string
		tool string
		line string
		want []string
	}{
		{server, "rifconfig", "rifconfig vi", []string{"virt0", "virt1"}},
		{server, "rifconfig", "rifconfig virt0 -al", []string{"-alias"}},
		{server, "rbrconfig", "rbrconfig bridge0 add v", []string{"virt0", "virt1"}},
		{server, "rsysctl", "rsysctl net.inet.ip.tt", []string{"net.inet.ip.ttl"}},
		{server, "rroute", "rroute fl", []string{"flush", "flushall"}},
		{none, "rifconfig", "rifconfig vi", nil},
		{none, "rifconfig", "rifconfig virt0 dest", []string{"destroy"}},
		{server, "rumphijack", "rumphijack -", []string{"-v"}},
	}
	for _, tt := range tests {
		if got := e.bashComplete(tt.env, tt.tool, tt.line); !slices.Equal(got, tt.want) {
			t.Errorf("%s<TAB>: got %q, want %q", tt.line, got, tt.want)
		}
	}
}
