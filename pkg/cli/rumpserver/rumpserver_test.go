package rumpserver

import (
	"bytes"
	"errors"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rumpnet/rumpnet/pkg/client"
)

func TestParseArgs(t *testing.T) {
	tests := []struct {
		args []string
		want Options
		bad  bool
	}{
		{[]string{"unix://k"}, Options{URL: "unix://k"}, false},
		{[]string{"-sv", "-c", "2", "unix://k"}, Options{Foreground: true, Verbose: true, NCPU: 2, URL: "unix://k"}, false},
		{[]string{"-lrumpnet", "-l", "rumpnet_virtif", "unix://k"}, Options{Libs: []string{"rumpnet", "rumpnet_virtif"}, URL: "unix://k"}, false},
		{[]string{"-r", "64m", "unix://k"}, Options{MemLimit: 64 << 20, URL: "unix://k"}, false},
		{nil, Options{}, true},
		{[]string{"unix://a", "unix://b"}, Options{}, true},
		{[]string{"-c", "0", "unix://k"}, Options{}, true},
		{[]string{"-d", "x", "unix://k"}, Options{}, true},
		{[]string{"-x", "unix://k"}, Options{}, true},
		{[]string{"-r", "lots", "unix://k"}, Options{}, true},
	}
	for _, tt := range tests {
		got, err := parseArgs(tt.args)
		if (err != nil) != tt.bad {
			t.Errorf("parseArgs(%q): got error %v, want error %v", tt.args, err, tt.bad)
			continue
		}
		if !tt.bad && !reflect.DeepEqual(got, tt.want) {
			t.Errorf("parseArgs(%q): got %+v, want %+v", tt.args, got, tt.want)
		}
	}
}

func TestListen(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "k")
	l, err := listen(path)
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("socket mode: got %v (%v), want 0600", st.Mode().Perm(), err)
	}
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	if _, err := listen(path); !errors.Is(err, syscall.EADDRINUSE) {
		t.Errorf("second listen on a live socket: got %v, want EADDRINUSE", err)
	}
	l.Close() // leaves the file: a stale socket
	l2, err := listen(path)
	if err != nil {
		t.Fatalf("listen on a stale socket: %v", err)
	}
	l2.Close()

	plain := filepath.Join(dir, "plain")
	os.WriteFile(plain, nil, 0o644)
	if _, err := listen(plain); !errors.Is(err, syscall.EEXIST) {
		t.Errorf("listen on a regular file: got %v, want EEXIST", err)
	}
	if _, err := os.Stat(plain); err != nil {
		t.Errorf("regular file removed: %v", err)
	}
	if _, err := listen(filepath.Join(dir, "nodir", "k")); !errors.Is(err, syscall.ENOENT) {
		t.Errorf("listen in a missing directory: got %v, want ENOENT", err)
	}
}

func TestRunForegroundAndHalt(t *testing.T) {
	path := filepath.Join(t.TempDir(), "k")
	url := "unix://" + path
	var stderr bytes.Buffer
	done := make(chan int, 1)
	go func() { done <- Run([]string{"-s", "-l", "rumpnet_netinet", url}, &bytes.Buffer{}, &stderr) }()
	c := &client.Client{URL: url}
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := net.Dial("unix", path); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("server never listened; stderr %q", stderr.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
	info, err := c.Info()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(info.Cloners, " ") != "lo" {
		t.Errorf("cloners with -l rumpnet_netinet: got %v, want [lo]", info.Cloners)
	}
	if err := c.Halt(); err != nil {
		t.Fatal(err)
	}
	if st := <-done; st != 0 {
		t.Errorf("exit status %d, want 0; stderr %q", st, stderr.String())
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("socket left behind: %v", err)
	}
}

func TestRunErrors(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		args []string
		want string
	}{
		{nil, "usage: rump_server"},
		{[]string{"-s", "tcp://1.2.3.4:5/"}, "Protocol not supported"},
		{[]string{"-s", "unix://" + strings.Repeat("x", 120)}, "File name too long"},
		{[]string{"-s", "unix://" + filepath.Join(dir, "no", "k")}, "No such file or directory"},
		{[]string{"-s", "-l", "rumpnet_nosuch", "unix://" + filepath.Join(dir, "k")}, `rump_server: boot: unknown component "rumpnet_nosuch": No such file or directory`},
	}
	for _, tt := range tests {
		var stderr bytes.Buffer
		if st := Run(tt.args, &bytes.Buffer{}, &stderr); st == 0 || !strings.Contains(stderr.String(), tt.want) {
			t.Errorf("rump_server %q: got status %d stderr %q, want non-zero and %q", tt.args, st, stderr.String(), tt.want)
		}
	}
}
