package hijack

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// filteredTasks lists this process's threads that run under a seccomp
// filter.
func filteredTasks(t *testing.T) []string {
	t.Helper()
	paths, err := filepath.Glob("/proc/self/task/*/status")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			continue // the thread has exited
		}
		if strings.Contains(string(b), "\nSeccomp:\t2\n") {
			out = append(out, p)
		}
	}
	return out
}

func TestStartLeavesNoThreadFiltered(t *testing.T) {
	requireHost(t)
	if got := filteredTasks(t); len(got) != 0 {
		t.Skipf("this process runs under a filter already: %v", got)
	}
	cmd, lfd, err := Start([]string{"true"}, func(c *exec.Cmd) {})
	if err != nil {
		t.Fatal(err)
	}
	sup := New(lfd, newFake())
	stop := make(chan struct{})
	done := make(chan error, 1)
	go func() { done <- sup.Run(stop) }()
	cmd.Wait()
	close(stop)
	<-done
	sup.Close()
	deadline := time.Now().Add(30 * time.Second)
	for {
		got := filteredTasks(t)
		if len(got) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("got threads under the filter %v, want none once the program has started", got)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestSpawnStatus(t *testing.T) {
	requireHost(t)
	tests := []struct {
		name     string
		argv     []string
		exit     int
		signaled bool
	}{
		{"exit 0", []string{"true"}, 0, false},
		{"exit 3", []string{"sh", "-c", "exit 3"}, 3, false},
		{"killed", []string{"sh", "-c", "kill -9 $$"}, -1, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, lfd, err := Spawn(tt.argv, []*os.File{os.Stdin, os.Stdout, os.Stderr}, os.Environ())
			if err != nil {
				t.Fatal(err)
			}
			sup := New(lfd, newFake())
			stop := make(chan struct{})
			done := make(chan error, 1)
			go func() { done <- sup.Run(stop) }()
			ws, err := p.Wait()
			close(stop)
			<-done
			sup.Close()
			if err != nil || ws.ExitStatus() != tt.exit || ws.Signaled() != tt.signaled {
				t.Errorf("got status %d signaled %v (%v), want %d signaled %v", ws.ExitStatus(), ws.Signaled(), err, tt.exit, tt.signaled)
			}
			if err := p.Signal(0); err != os.ErrProcessDone {
				t.Errorf("Signal after Wait: got %v, want %v", err, os.ErrProcessDone)
			}
		})
	}
}

func TestSpawnNotFound(t *testing.T) {
	requireHost(t)
	_, _, err := Spawn([]string{"hijack-no-such-command"}, nil, nil)
	if !errors.Is(err, exec.ErrNotFound) {
		t.Errorf("got %v, want %v", err, exec.ErrNotFound)
	}
}
