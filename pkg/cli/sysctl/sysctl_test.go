package sysctl

import (
	"bytes"
	"github.com/rumpnet/rumpnet/internal/testkit/golden"
	"regexp"
	"strings"
	"testing"

	"github.com/rumpnet/rumpnet/internal/cli"
	"github.com/rumpnet/rumpnet/internal/testkit/ktest"
)

func run(tr Tree, args ...string) (string, string, int) {
	var out, errb bytes.Buffer
	st := Main(&cli.Tool{Name: "rsysctl", Stdout: &out, Stderr: &errb}, tr, args)
	return out.String(), errb.String(), st
}

func TestRsysctl(t *testing.T) {
	c := ktest.Client(t)
	tests := []struct {
		args             string
		wantOut, wantErr string
		status           int
	}{
		{"net.inet.ip.ttl", "net.inet.ip.ttl = 64\n", "", 0},
		{"-n net.inet.ip.ttl", "64\n", "", 0},
		{"-e net.inet.ip.ttl", "net.inet.ip.ttl=64\n", "", 0},
		{"-w net.inet.ip.ttl=33", "net.inet.ip.ttl: 64 -> 33\n", "", 0},
		{"-n -w net.inet.ip.ttl=34", "33 -> 34\n", "", 0},
		{"-q -w net.inet.ip.ttl=0x40", "", "", 0},
		{"net.inet.ip.ttl", "net.inet.ip.ttl = 64\n", "", 0},
		{"net.inet.ip.ttl=3", "", "rsysctl: Must specify -w to set variables\n", 1},
		{"net.inet.ip.foo", "", "rsysctl: fourth level name 'foo' in 'net.inet.ip.foo' is invalid\n", 1},
		{"kern.foo", "", "rsysctl: second level name 'foo' in 'kern.foo' is invalid\n", 1},
		{"foo.bar", "", "rsysctl: top level name 'foo' in 'foo.bar' is invalid\n", 1},
		{"-q foo.bar", "", "", 1},
		{"-w kern.ostype=NetBSD", "", "rsysctl: kern.ostype: Operation not permitted\n", 1},
		{"-w net.inet.ip.ttl=0", "", "rsysctl: net.inet.ip.ttl: Invalid argument\n", 1},
		{"-w net.inet.ip.ttl=many", "", "rsysctl: net.inet.ip.ttl: Invalid argument\n", 1},
		{"-w net.inet.tcp.small_servers=2", "", "rsysctl: net.inet.tcp.small_servers: Invalid argument\n", 1},
		{"-w kern.hostname=rump1", "kern.hostname:  -> rump1\n", "", 0},
		{"kern.hostname kern.ostype", "kern.hostname = rump1\nkern.ostype = rumpnet\n", "", 0},
		// Bytes that are not UTF-8 are kept as given, as NetBSD keeps them.
		{"-w kern.hostname=\xffh\xc3", "kern.hostname: rump1 -> \xffh\xc3\n", "", 0},
		{"kern.hostname", "kern.hostname = \xffh\xc3\n", "", 0},
		{"-w kern.hostname=rump1", "kern.hostname: \xffh\xc3 -> rump1\n", "", 0},
		{"net.inet6.ip6", "net.inet6.ip6.auto_linklocal = 1\nnet.inet6.ip6.dad_count = 1\nnet.inet6.ip6.forwarding = 0\nnet.inet6.ip6.hlim = 64\nnet.inet6.ip6.neighborgcthresh = 2048\nnet.inet6.ip6.redirect = 1\n", "", 0},
		{"net.link.lo0.mtu", "net.link.lo0.mtu = 33624\n", "", 0},
		{"net.link.lo0.inet", `net.link.lo0.inet = [{"addr":"127.0.0.1/8","flags":0}]` + "\n", "", 0},
		{"", "", "usage:", 1},
		{"-a net.inet", "", "usage:", 1},
		{"-x net.inet", "", "usage:", 1},
	}
	for _, tt := range tests {
		out, errs, st := run(c, strings.Fields(tt.args)...)
		if out != tt.wantOut || st != tt.status || !strings.Contains(errs, tt.wantErr) || (tt.wantErr == "" && errs != "") {
			t.Errorf("rsysctl %s: got %q, %q, %d; want %q, %q, %d", tt.args, out, errs, st, tt.wantOut, tt.wantErr, tt.status)
		}
	}
}

// TestRoundTrip writes every writable setting the kernel documents and
// reads it back.
func TestRoundTrip(t *testing.T) {
	c := ktest.Client(t)
	for _, tt := range []struct{ name, value string }{
		{"kern.hostname", "k1"},
		{"net.inet.arp.keep", "60"},
		{"net.inet.icmp.errppslimit", "10"},
		{"net.inet.ip.dad_count", "2"},
		{"net.inet.ip.forwarding", "1"},
		{"net.inet.ip.ttl", "99"},
		{"net.inet.tcp.recvspace", "65536"},
		{"net.inet.tcp.sendspace", "65536"},
		{"net.inet.tcp.small_servers", "1"},
		{"net.inet.udp.recvspace", "16384"},
		{"net.inet.udp.sendspace", "16384"},
		{"net.inet.udp.small_servers", "1"},
		{"net.inet6.ip6.dad_count", "0"},
		{"net.inet6.ip6.forwarding", "1"},
		{"net.inet6.ip6.hlim", "7"},
	} {
		if _, errs, st := run(c, "-w", tt.name+"="+tt.value); st != 0 {
			t.Errorf("-w %s=%s: %s", tt.name, tt.value, errs)
		}
		if out, _, _ := run(c, "-n", tt.name); out != tt.value+"\n" {
			t.Errorf("%s: got %q, want %q", tt.name, out, tt.value)
		}
	}
	if _, errs, st := run(c, "-w", "net.inet.tcp.mssdflt=1000"); st != 1 || !strings.Contains(errs, "Operation not permitted") {
		t.Errorf("-w net.inet.tcp.mssdflt: got %q %d, want read-only", errs, st)
	}
}

func TestAllGolden(t *testing.T) {
	c := ktest.Client(t)
	out, errs, st := run(c, "-a")
	if st != 0 || errs != "" {
		t.Fatalf("-a: %d %q", st, errs)
	}
	// The goroutine count varies from run to run.
	got := regexp.MustCompile(`(?m)^debug.goroutines = \d+$`).ReplaceAllString(out, "debug.goroutines = N")
	golden.Check(t, "all", []byte(got))
}
