package rumphijack

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/rumpnet/rumpnet/pkg/hijack"
)

func TestParse(t *testing.T) {
	tests := []struct {
		args []string
		want config
		err  string
	}{
		{[]string{"curl", "-v", "http://x/"}, config{argv: []string{"curl", "-v", "http://x/"}}, ""},
		{[]string{"-v", "nc", "-l", "80"}, config{verbose: true, argv: []string{"nc", "-l", "80"}}, ""},
		{[]string{"--", "-weird"}, config{argv: []string{"-weird"}}, ""},
		{[]string{}, config{}, "no command"},
		{[]string{"-v"}, config{}, "no command"},
		{[]string{"-x", "true"}, config{}, "unknown option -- x"},
	}
	for _, tt := range tests {
		got, err := parse(tt.args)
		if tt.err != "" {
			if err == nil || err.Error() != tt.err {
				t.Errorf("parse(%q): got error %v, want %q", tt.args, err, tt.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("parse(%q): got %+v, %v, want %+v", tt.args, got, err, tt.want)
		}
	}
}

func TestRunErrors(t *testing.T) {
	never := func(context.Context, string) (hijack.Backend, error) {
		t.Fatal("the session was opened")
		return nil, nil
	}
	tests := []struct {
		name   string
		args   []string
		server string
		want   string
	}{
		{"usage", []string{}, "unix:///nonexistent", "rumphijack: no command\nusage: rumphijack [-v] command [arg ...]\n"},
		{"no server", []string{"true"}, "", "rumphijack: RUMP_SERVER not set\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("RUMP_SERVER", tt.server)
			var stdout, stderr bytes.Buffer
			if got := RunWith(tt.args, &stdout, &stderr, never); got != 1 {
				t.Errorf("got status %d, want 1", got)
			}
			if got := stderr.String(); got != tt.want {
				t.Errorf("got stderr %q, want %q", got, tt.want)
			}
		})
	}
}

func TestRunNoSession(t *testing.T) {
	if err := hijack.CheckHost(); err != nil {
		t.Skipf("host kernel cannot run the supervisor: %v", err)
	}
	t.Setenv("RUMP_SERVER", "unix:///nonexistent/sock")
	var stdout, stderr bytes.Buffer
	if got := Run([]string{"true"}, &stdout, &stderr); got != 1 {
		t.Errorf("got status %d, want 1", got)
	}
	if got := stderr.String(); !strings.HasPrefix(got, "rumphijack: rump client init: ") {
		t.Errorf("got stderr %q, want rump client init's error", got)
	}
}

// idle is a session that is never asked anything but to close.
type idle struct{ hijack.Backend }

func (idle) Close() error { return nil }

func TestRunCannotExec(t *testing.T) {
	if err := hijack.CheckHost(); err != nil {
		t.Skipf("host kernel cannot run the supervisor: %v", err)
	}
	open := func(context.Context, string) (hijack.Backend, error) { return idle{}, nil }
	dir := t.TempDir()
	sock := filepath.Join(dir, "sock") // exists, but is never opened
	if err := os.WriteFile(sock, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		argv   []string
		status int
		want   string
	}{
		{"not found", []string{"rumphijack-no-such-command"}, 127, "rumphijack: rumphijack-no-such-command: No such file or directory\n"},
		{"directory", []string{dir}, 126, "rumphijack: " + dir + ": Is a directory\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("RUMP_SERVER", "unix://"+sock)
			var stdout, stderr bytes.Buffer
			if got := RunWith(tt.argv, &stdout, &stderr, open); got != tt.status {
				t.Errorf("got status %d, want %d", got, tt.status)
			}
			if got := stderr.String(); got != tt.want {
				t.Errorf("got stderr %q, want %q", got, tt.want)
			}
		})
	}
}
