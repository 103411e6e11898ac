package ifconfig

import (
	"bytes"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/rumpnet/rumpnet/internal/cli"
	"github.com/rumpnet/rumpnet/internal/testkit/ktest"
	"github.com/rumpnet/rumpnet/pkg/client"
)

// kernelClient starts an in-process kernel behind a control socket.
func kernelClient(t *testing.T) *client.Client { return ktest.Client(t) }

// noInetDAD turns IPv4 DAD off, as NetBSD's tests do where addresses are
// not what they test, so an alias shows flags 0 at once.
func noInetDAD(t *testing.T, c *client.Client) {
	t.Helper()
	if _, err := c.Set("net.inet.ip.dad_count", 0); err != nil {
		t.Fatal(err)
	}
}

func runMain(b Backend, args ...string) (string, string, int) {
	var out, errb bytes.Buffer
	st := Main(&cli.Tool{Name: "rifconfig", Stdout: &out, Stderr: &errb}, b, args)
	return out.String(), errb.String(), st
}

func TestMainAgainstKernel(t *testing.T) {
	c := kernelClient(t)
	noInetDAD(t, c)
	steps := []struct {
		args       string
		wantOut    string // regexp, matched against the whole output
		wantErr    string
		wantStatus int
	}{
		{"-l", "^lo0\n$", "", 0},
		{"-C", "^gre gif wg l2tp tap vlan bridge shmif virt lo\n$", "", 0},
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
		{"virt0 mtu 70000", "^$", "^rifconfig: SIOCSIFMTU: Invalid argument\n$", 0},
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
	if st != 1 || errs != "rifconfig: rump client init: "+c.URL+": No such file or directory (no such socket: is rump_server running?)\n" {
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

func TestMainFullKeywords(t *testing.T) {
	c := kernelClient(t)
	noInetDAD(t, c)
	steps := []struct {
		args       string
		wantOut    string
		wantErr    string
		wantStatus int
	}{
		{"virt0 create inet 10.0.0.2 255.255.255.128 up", "^$", "", 0},
		{"virt0 inet", `\tinet 10.0.0.2/25 broadcast 10.0.0.127 flags 0\n$`, "", 0},
		{"virt0 inet 10.0.0.3 0xffff0000", "^$", "", 0},
		{"virt0 inet", `\tinet 10.0.0.3/16 broadcast 10.0.255.255 flags 0\n$`, "", 0},
		{"virt0 inet 10.0.0.4 255.0.255.0", "^$", "^rifconfig: 255.0.255.0: bad value\n$", 1},
		{"virt0 -arp", "^$", "", 0},
		{"virt0", `^virt0: flags=0x88c3<UP,BROADCAST,RUNNING,NOARP,SIMPLEX,MULTICAST> mtu 1500\n`, "", 0},
		{"virt0 arp", "^$", "", 0},
		{"virt0", `^virt0: flags=0x8843<`, "", 0},
		{"virt0 link b2:0a:00:0b:0e:55", "^$", "", 0},
		{"virt0", `\taddress: b2:0a:[0-9a-f]{2}:0b:0e:00\n\tlink b2:0a:00:0b:0e:55\n`, "", 0},
		{"virt0 link b2:0a:00:0b:0e:55 active", "^$", "", 0},
		{"virt0", `\taddress: b2:0a:00:0b:0e:55\n\tlink b2:0a:[0-9a-f]{2}:0b:0e:00\n`, "", 0},
		{"virt0 link b2:0a:00:0b:0e:55 delete", "^$", "^rifconfig: SIOCDLIFADDR: Device busy\n$", 1},
		{"virt0 link zz:00", "^$", "^rifconfig: zz:00: bad value\n$", 1},
		{"virt0 alias 10.0.0.11/24", "^$", "", 0},
		{"virt0 inet", `\tinet 10.0.0.3/16 broadcast 10.0.255.255 flags 0\n\tinet 10.0.0.11/24 broadcast 10.0.0.255 flags 0\n$`, "", 0},
		// An index finds the interface but names none to show (t_ifconfig
		// ifconfig_number); with a command it configures that interface.
		{"1 inet", "^$", "", 0},
		{"1 mtu 33624", "^$", "", 0},
		{"9", "^$", "^rifconfig: SIOCGIFFLAGS: Device not configured\n$", 1},
		{"lo0 link", "^lo0: flags=0x8049<UP,LOOPBACK,RUNNING,MULTICAST> mtu 33624\n\tstatus: active\n$", "", 0},
		{"virt0 inet6 fc00::/64 eui64", "^$", "", 0},
		{"virt0 inet6", `\tinet6 fc00::b00a:[0-9a-f]+:fe0b:e00/64 flags 0x2<TENTATIVE>\n$`, "", 0},
		{"virt0 inet6 fc00::1/64 eui64", "^$", "^rifconfig: interface index is already filled, fc00::1\n$", 1},
		{"virt0 inet 10.0.0.9 eui64", "^$", "^rifconfig: eui64 address modifier not allowed for the AF\n$", 1},
		{"virt0 inet6 fc00::7/64 pltime 100 vltime 200", "^$", "", 0},
		{"-L virt0 inet6", `\tinet6 fc00::7/64 flags 0x2<TENTATIVE> pltime 100 vltime 200\n$`, "", 0},
		{"virt0 inet6 fc00::7/64 pltime 300 vltime 200", "^$", "^rifconfig: SIOCAIFADDR_IN6: Invalid argument\n$", 1},
		{"virt0 inet 10.0.0.9 pltime 5", "^$", "^rifconfig: inet6 address lifetime not allowed for the AF\n$", 1},
		{"virt0 inet6 fc00::7 deprecated", "^$", "", 0},
		{"virt0 inet6", `\tinet6 fc00::7/64 flags 0x1[02]<(TENTATIVE,)?DEPRECATED>\n$`, "", 0},
		{"virt0 inet6 fc00::7 -deprecated", "^$", "", 0},
		{"virt0 inet6 fc00::8 anycast", "^$", "", 0},
		{"virt0 inet6", `\tinet6 fc00::8/64 flags 0x1<ANYCAST>\n$`, "", 0},
		{"virt0 inet6 fc00::9 preference 3", "^$", "", 0},
		{"virt0 inet6", `\tinet6 fc00::9/64 flags 0x2<TENTATIVE> preference 3\n$`, "", 0},
		{"virt0 ip4csum", "^$", "^rifconfig: SIOCSIFCAP: Invalid argument\n$", 1},
		{"virt0 -tso4 -ip4csum-rx", "^$", "", 0},
		{"virt0 media autoselect", "^$", "^rifconfig: SIOCGIFMEDIA: Inappropriate ioctl for device\n$", 1},
		{"-m virt0", "^virt0: ", "", 0},
		{"-A -l", "^lo0 virt0\n$", "^rifconfig: -A is deprecated\n$", 0},
		{"-w 5", "^$", "", 0}, // DAD finishes within a second or two
		{"virt0 inet6", `scopeid 0x2 preference 0\n\tinet6 fc00::b00a[0-9a-f:]+/64 flags 0 preference 0\n`, "", 0},
		{"-w x", "^$", "^rifconfig: x: not a number\n$", 1},
		{"-w 1 -a", "^$", "usage: rifconfig", 1},
		{"-W 1", "^$", "usage: rifconfig", 1},
		{"-L -l", "^$", "usage: rifconfig", 1},
		{"virt0 trailers", "^$", "", 0},
		{"-h -v lo0", `\tinput: \d+ packets?, [0-9.]+[KMG]? bytes?\n`, "", 0},
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

func TestWaitTimesOut(t *testing.T) {
	c := kernelClient(t)
	// Addresses on an interface that is down are detached: -w is content,
	// -W waits for them.
	runMain(c, "virt0", "create", "inet6", "fc00::1/64")
	runMain(c, "virt0", "down")
	if out, _, _ := runMain(c, "virt0", "inet6"); !strings.Contains(out, "fc00::1/64 flags 0x8<DETACHED>") {
		t.Errorf("down interface: got %q, want fc00::1 DETACHED", out)
	}
	if _, errs, st := runMain(c, "-w", "1"); st != 0 {
		t.Errorf("-w 1: got status %d stderr %q, want 0", st, errs)
	}
	out, errs, st := runMain(c, "-w", "1", "-W", "1")
	if st != 1 || out != "" || errs != "rifconfig: timed out\n" {
		t.Errorf("-w 1 -W 1: got status %d stdout %q stderr %q, want 1 and \"timed out\"", st, out, errs)
	}
}
