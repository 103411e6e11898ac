package tests

import (
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"
	"time"
)

// startCapture starts rtcpdump against the env's server; done is closed
// when it exits.
func (e *env) startCapture(args ...string) (cmd *exec.Cmd, stdout, stderr *lockedBuffer, done chan struct{}) {
	e.t.Helper()
	return e.startCaptureAt(e.url, args...)
}

// startCaptureAt starts rtcpdump against the server at url.
func (e *env) startCaptureAt(url string, args ...string) (cmd *exec.Cmd, stdout, stderr *lockedBuffer, done chan struct{}) {
	e.t.Helper()
	cmd = exec.Command(bin("rtcpdump"), args...)
	cmd.Env = append(cmd.Environ(), "RUMP_SERVER="+url)
	stdout, stderr = new(lockedBuffer), new(lockedBuffer)
	cmd.Stdout, cmd.Stderr = stdout, stderr
	if err := cmd.Start(); err != nil {
		e.t.Fatal(err)
	}
	done = make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	e.t.Cleanup(func() { cmd.Process.Kill(); <-done })
	return cmd, stdout, stderr, done
}

// pingUntil pings the namespace's side once at a time until done closes
// (or a generous deadline passes).
func (e *env) pingUntil(done chan struct{}) {
	e.t.Helper()
	e.sendUntil(done, func() { e.rping("rping", "-n", "-c", "1", "10.0.0.1") })
}

// sendUntil calls send (which sends one ping and waits for its answer)
// until done closes, or fails the test after a generous deadline.
func (e *env) sendUntil(done chan struct{}, send func()) {
	e.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		select {
		case <-done:
			return
		default:
		}
		if time.Now().After(deadline) {
			e.t.Fatal("rtcpdump did not end while rping ran")
		}
		send()
	}
}

func TestCaptureRtcpdump(t *testing.T) {
	requireTcpdump(t)
	e := pingEnv(t)
	cmd, stdout, stderr, done := e.startCapture("-i", "virt0", "-c", "2", "-n", "icmp")
	e.pingUntil(done)
	if !cmd.ProcessState.Success() {
		t.Fatalf("rtcpdump: got %v, stderr %s", cmd.ProcessState, stderr)
	}
	want := regexp.MustCompile(`^\d\d:\d\d:\d\d\.\d{6} IP 10\.0\.0\.2 > 10\.0\.0\.1: ICMP echo request, id \d+, seq 0, length 64\n` +
		`\d\d:\d\d:\d\d\.\d{6} IP 10\.0\.0\.1 > 10\.0\.0\.2: ICMP echo reply, id \d+, seq 0, length 64\n$`)
	if !want.MatchString(stdout.String()) {
		t.Errorf("stdout: got %q, want an echo request and its reply", stdout)
	}
	wantErr := regexp.MustCompile(`listening on virt0, link-type EN10MB \(Ethernet\), snapshot length 262144 bytes\n` +
		`2 packets captured\n\d+ packets received by filter\n0 packets dropped by kernel\n$`)
	if !wantErr.MatchString(stderr.String()) {
		t.Errorf("stderr: got %q, want the listening line and the counts", stderr)
	}
}

func TestCaptureWriteFile(t *testing.T) {
	requireTcpdump(t)
	e := pingEnv(t)
	file := filepath.Join(t.TempDir(), "v.pcap")
	cmd, _, stderr, done := e.startCapture("-i", "virt0", "-c", "2", "-w", file, "-Q", "out", "icmp")
	e.pingUntil(done)
	if !cmd.ProcessState.Success() {
		t.Fatalf("rtcpdump -w: got %v, stderr %s", cmd.ProcessState, stderr)
	}
	r := e.run(nil, "tcpdump", "-n", "-r", file)
	want := regexp.MustCompile(`^(\S+ IP 10\.0\.0\.2 > 10\.0\.0\.1: ICMP echo request[^\n]*\n){2}$`)
	if r.code != 0 || !want.MatchString(r.stdout) {
		t.Errorf("tcpdump -r: got %v, want two echo requests out", r)
	}
}

func requireTcpdump(t *testing.T) {
	if _, err := exec.LookPath("tcpdump"); err != nil {
		t.Skip("tcpdump is not installed (scripts/setup.sh installs it)")
	}
}
