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
	"golang.org/x/sys/unix"
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

// TestShutdownWithin checks that a shutdown step that never finishes does
// not hold the process: shutdownWithin gives up after its deadline, or at
// once on a second signal.
func TestShutdownWithin(t *testing.T) {
	stuck := make(chan struct{})
	t.Cleanup(func() { close(stuck) })
	tests := []struct {
		name   string
		steps  func()
		signal bool
		want   bool
	}{
		{"finishes", func() {}, false, true},
		{"stuck", func() { <-stuck }, false, false},
		{"stuck, second signal", func() { <-stuck }, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sigs := make(chan os.Signal, 1)
			d := time.Hour // the stuck case without a signal shortens it
			if !tt.want && !tt.signal {
				d = 50 * time.Millisecond
			}
			if tt.signal {
				sigs <- syscall.SIGTERM
			}
			done := make(chan bool, 1)
			go func() { done <- shutdownWithin(d, sigs, tt.steps) }()
			select {
			case got := <-done:
				if got != tt.want {
					t.Errorf("got %v, want %v", got, tt.want)
				}
			case <-time.After(30 * time.Second):
				t.Fatalf("shutdownWithin did not return")
			}
		})
	}
}

// TestCloseOnExecAll checks that a descriptor the process inherited without
// close-on-exec gets the flag, so the detached server does not keep it.
func TestCloseOnExecAll(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	fd := int(w.Fd())
	if _, err := unix.FcntlInt(uintptr(fd), unix.F_SETFD, 0); err != nil {
		t.Fatal(err)
	}
	if err := closeOnExecAll(); err != nil {
		t.Fatal(err)
	}
	flags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0)
	if err != nil {
		t.Fatal(err)
	}
	if flags&unix.FD_CLOEXEC == 0 {
		t.Errorf("fd %d flags: got %#x, want FD_CLOEXEC set", fd, flags)
	}
}
