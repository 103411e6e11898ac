package ifconfig

import (
	"bytes"
	"net"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/rumpnet/rumpnet/internal/cli"
	"github.com/rumpnet/rumpnet/internal/framepipe"
	"github.com/rumpnet/rumpnet/pkg/client"
	"github.com/rumpnet/rumpnet/pkg/ctlserver"
	"github.com/rumpnet/rumpnet/pkg/rumpif"
)

// kernelClient starts an in-process kernel (virt interfaces on in-memory
// wires) behind a control socket and returns a client for it.
func kernelClient(t *testing.T) *client.Client {
	t.Helper()
	k, err := rumpif.New(rumpif.Options{OpenTap: func(string) (rumpif.FrameDevice, error) {
		a, _ := framepipe.New()
		return a, nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(k.Close)
	path := filepath.Join(t.TempDir(), "s")
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	s := ctlserver.New(k, nil)
	go s.Serve(l)
	t.Cleanup(func() { l.Close() })
	return &client.Client{URL: "unix://" + path}
}

func runMain(b Backend, args ...string) (string, string, int) {
	var out, errb bytes.Buffer
	st := Main(&cli.Tool{Name: "rifconfig", Stdout: &out, Stderr: &errb}, b, args)
	return out.String(), errb.String(), st
}

func TestMainAgainstKernel(t *testing.T) {
	c := kernelClient(t)
	steps := []struct {
		args       string
		wantOut    string // regexp, matched against the whole output
		wantErr    string
		wantStatus int
	}{
		{"-l", "^lo0\n$", "", 0},
		{"-C", "^lo virt\n$", "", 0},
		{"virt0 create", "^$", "", 0},
		{"virt0 create", "^$", "^rifconfig: clone_command: File exists\n$", 1},
		{"foo0 create", "^$", "^rifconfig: clone_command: Invalid argument\n$", 1},
		{"virt9 destroy", "^$", "^rifconfig: clone_command: Device not configured\n$", 1},
		{"virt9", "^$", "^rifconfig: SIOCGIFFLAGS virt9: Device not configured\n$", 1},
		{"virt9 up", "^$", "^rifconfig: exec_matches: Device not configured\n$", 1},
		{"virt0", `^virt0: flags=0x8802<BROADCAST,SIMPLEX,MULTICAST> mtu 1500\n\taddress: b2:0a:[0-9a-f]{2}:0b:0e:00\n\tstatus: active\n$`, "", 0},
		{"virt0 inet 10.0.0.2/24 up", "^$", "", 0},
		{"virt0 inet", `^virt0: flags=0x8843<UP,BROADCAST,RUNNING,SIMPLEX,MULTICAST> mtu 1500\n\taddress: .*\n\tstatus: active\n\tinet 10.0.0.2/24 broadcast 10.0.0.255 flags 0\n$`, "", 0},
		{"virt0 10.1.2.3", "^$", "", 0}, // replaces, classful /8
		{"virt0 inet 10.0.0.5/24 alias", "^$", "", 0},
		{"virt0 inet", `\tinet 10.1.2.3/8 broadcast 10.255.255.255 flags 0\n\tinet 10.0.0.5/24 broadcast 10.0.0.255 flags 0\n$`, "", 0},
		{"virt0 inet 10.0.0.5 -alias", "^$", "", 0},
		{"virt0 inet 10.0.0.5 delete", "^$", "^rifconfig: SIOCDIFADDR: Can't assign requested address\n$", 1},
		{"virt0 inet6 fc00::2/64", "^$", "", 0},
		{"virt0 inet6", `\tinet6 fe80::b00a:[0-9a-f:]+%virt0/64 flags 0x2<TENTATIVE> scopeid 0x2\n\tinet6 fc00::2/64 flags 0x2<TENTATIVE>\n$`, "", 0},
		{"virt0 mtu 9000", "^$", "^rifconfig: SIOCSIFMTU: Invalid argument\n$", 0},
		{"virt0 mtu 1400 metric 4", "^$", "", 0},
		{"virt0 linkstr tap3", "^$", "^rifconfig: SIOCSLINKSTR: Device busy\n$", 1},
		{"-l -u", "^lo0 virt0\n$", "", 0},
		{"virt0 down", "^$", "", 0},
		{"-l -d", "^virt0\n$", "", 0},
		{"virt0 linkstr tap3", "^$", "", 0},
		{"virt0 inet", `^virt0: flags=0x8802<BROADCAST,SIMPLEX,MULTICAST> metric 4 mtu 1400\n\taddress: .*\n\tlinkstr: tap3\n\tstatus: active\n`, "", 0},
		{"virt0 -linkstr", "^$", "", 0},
		{"-s virt0", "^$", "", 1},
		{"-s lo0", "^$", "", 0},
		{"-a -s", "^lo0: ", "", 0},
		{"virt0 up", "^$", "^rifconfig: SIOCSIFFLAGS: Device not configured\n$", 1},
		{"virt0 atalk 1.2", "^$", "not supported", 1},
		{"-z lo0", `input: \d+ packets?`, "", 0},
		{"-v lo0", `\tinput: 0 packets, 0 bytes\n\toutput: 0 packets, 0 bytes\n`, "", 0},
		{"virt0 destroy", "^$", "", 0},
		{"-l", "^lo0\n$", "", 0},
		{"-l -C", "^$", "^rifconfig: .*\nusage: rifconfig", 1},
	}
	for _, s := range steps {
		out, errs, st := runMain(c, strings.Fields(s.args)...)
		if st != s.wantStatus || !regexp.MustCompile(s.wantOut).MatchString(out) ||
			(s.wantErr == "" && errs != "") || (s.wantErr != "" && !regexp.MustCompile(s.wantErr).MatchString(errs)) {
			t.Errorf("rifconfig %s:\ngot status %d, stdout %q, stderr %q\nwant status %d, stdout =~ %q, stderr =~ %q",
				s.args, st, out, errs, s.wantStatus, s.wantOut, s.wantErr)
		}
	}
}

func TestNoServer(t *testing.T) {
	c := &client.Client{URL: "unix://" + filepath.Join(t.TempDir(), "none")}
	_, errs, st := runMain(c, "-a")
	if st != 1 || errs != "rifconfig: rump client init: No such file or directory\n" {
		t.Errorf("got status %d, stderr %q; want 1 and the rump client init message", st, errs)
	}
}

func TestFailedCreateLeavesNothing(t *testing.T) {
	c := kernelClient(t)
	// The MTU only warns, but linkstr while up fails after the create.
	_, errs, st := runMain(c, "virt0", "create", "up", "linkstr", "tap9")
	if st != 1 || errs != "rifconfig: SIOCSLINKSTR: Device busy\n" {
		t.Fatalf("got status %d stderr %q, want 1 and SIOCSLINKSTR: Device busy", st, errs)
	}
	if out, _, _ := runMain(c, "-l"); out != "lo0\n" {
		t.Errorf("after the failed command: -l got %q, want \"lo0\\n\"", out)
	}
}
