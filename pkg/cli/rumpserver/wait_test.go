package rumpserver

import (
	"os/exec"
	"syscall"
	"testing"
)

// TestWaitStatus: wait says how a child ended as os.ProcessState does, in
// the message of a server that exits during its start.
func TestWaitStatus(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	tests := []struct {
		script string
		want   string
	}{
		{"exit 0", "exit status 0"},
		{"exit 3", "exit status 3"},
		{"kill -9 $$", "signal: killed"},
		{"kill -15 $$", "signal: terminated"},
	}
	for _, tt := range tests {
		pid, err := syscall.ForkExec(sh, []string{"sh", "-c", tt.script}, &syscall.ProcAttr{})
		if err != nil {
			t.Fatal(err)
		}
		if got := wait(pid); got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.script, got, tt.want)
		}
	}
}
