package ping

import (
	"bytes"
	"github.com/rumpnet/rumpnet/internal/testkit/ktest"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rumpnet/rumpnet/internal/cli"
	"github.com/rumpnet/rumpnet/internal/testkit/framepipe"
	"github.com/rumpnet/rumpnet/pkg/api"
	"github.com/rumpnet/rumpnet/pkg/client"
	"github.com/rumpnet/rumpnet/pkg/rump"
)

// linkedKernels starts two in-process kernels whose virt0 interfaces share
// an in-memory wire (10.0.0.1 and fc00::1, 10.0.0.2 and fc00::2) and
// serves the first on a control socket; it returns a client for it.
func linkedKernels(t *testing.T) *client.Client {
	t.Helper()
	a, b := framepipe.New()
	var ks []*rump.Kernel
	for i, dev := range []*framepipe.End{a, b} {
		k, err := rump.New(rump.Options{OpenTap: func(string) (rump.FrameDevice, error) { return dev, nil }})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(k.Close)
		if err := k.Create("virt0"); err != nil {
			t.Fatal(err)
		}
		for _, addr := range [][]string{{"10.0.0.1/24", "fc00::1/64"}, {"10.0.0.2/24", "fc00::2/64"}}[i] {
			if err := k.AddAddr("virt0", api.IfAddr{Addr: addr}); err != nil {
				t.Fatal(err)
			}
		}
		ks = append(ks, k)
	}
	for _, k := range ks {
		waitAssigned(t, k)
	}
	return ktest.Serve(t, ks[0])
}

// waitAssigned waits until no inet6 address of k's virt0 is tentative.
func waitAssigned(t *testing.T, k *rump.Kernel) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		v, _ := k.Interface("virt0")
		tentative := false
		for _, a := range v.Inet6 {
			tentative = tentative || a.Flags&api.IN6_IFF_TENTATIVE != 0
		}
		if !tentative {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("addresses still tentative: %+v", v.Inet6)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func runMain(b Backend, f Family, args string, intr <-chan os.Signal) (string, string, int) {
	var out, errb bytes.Buffer
	name := map[Family]string{Inet: "rping", Inet6: "rping6"}[f]
	st := Main(&cli.Tool{Name: name, Stdout: &out, Stderr: &errb}, b, f, strings.Fields(args), intr)
	return out.String(), errb.String(), st
}

const (
	rtt   = `\d+\.\d{3}`
	stats = `round-trip min/avg/max/stddev = ` + rtt + `/` + rtt + `/` + rtt + `/` + rtt + ` ms\n`
)

func TestMainAgainstKernel(t *testing.T) {
	c := linkedKernels(t)
	tests := []struct {
		family     Family
		args       string
		wantOut    string // regexp, matched against the whole output
		wantErr    string // regexp; "" wants nothing
		wantStatus int
	}{
		{Inet, "-n -c 3 -i 0.01 10.0.0.2", `^PING 10.0.0.2 \(10.0.0.2\): 56 data bytes\n` +
			`64 bytes from 10.0.0.2: icmp_seq=0 ttl=64 time=` + rtt + ` ms\n` +
			`64 bytes from 10.0.0.2: icmp_seq=1 ttl=64 time=` + rtt + ` ms\n` +
			`64 bytes from 10.0.0.2: icmp_seq=2 ttl=64 time=` + rtt + ` ms\n` +
			`\n----10.0.0.2 PING Statistics----\n3 packets transmitted, 3 packets received, 0.0% packet loss\n` + stats + `$`, "", 0},
		{Inet, "-q -n -c 2 -i 0.01 10.0.0.2", `^PING 10.0.0.2 \(10.0.0.2\): 56 data bytes\n\n----10.0.0.2 PING Statistics----\n` +
			`2 packets transmitted, 2 packets received, 0.0% packet loss\n` + stats + `$`, "", 0},
		{Inet, "-n -c 1 -s 0 10.0.0.2", `^PING 10.0.0.2 \(10.0.0.2\): 0 data bytes\n16 bytes from 10.0.0.2: icmp_seq=0 ttl=64\n` +
			`\n----10.0.0.2 PING Statistics----\n1 packets transmitted, 1 packets received, 0.0% packet loss\n$`, "", 0},
		{Inet, "-n -c 1 -s 1000 -T 9 -t 0x10 10.0.0.2", `\n1008 bytes from 10.0.0.2: icmp_seq=0 ttl=64 time=`, "", 0},
		{Inet, "-n -o -i 0.01 10.0.0.2", `icmp_seq=0 .*\n\n----10.0.0.2 PING Statistics----\n1 packets transmitted, 1 packets received, 0.0% packet loss\n`, "", 0},
		{Inet, "-n -c 1 -I 10.0.0.1 -h 10.0.0.2", `1 packets received`, "", 0},
		{Inet, "-n -c 1 -I virt0 10.0.0.2", `1 packets received`, "", 0},
		{Inet, "-n -c 1 127.0.0.1", `^PING 127.0.0.1 \(127.0.0.1\): 56 data bytes\n64 bytes from 127.0.0.1: icmp_seq=0 ttl=64 time=`, "", 0},
		{Inet, "-n -R -c 2 -i 0.01 10.0.0.2", `\n64 bytes from 10.0.0.2: icmp_seq=0 ttl=64 time=` + rtt + ` ms\nRR: \t10.0.0.2\n` +
			`(\t\S+\n)*64 bytes from 10.0.0.2: icmp_seq=1 ttl=64 time=` + rtt + ` ms\t\(same route\)\n`, "", 0},
		{Inet, "-n -D -c 1 -s 1472 10.0.0.2", `\n1480 bytes from 10.0.0.2: icmp_seq=0 `, "", 0},
		{Inet, "-n -D -c 1 -W 0.2 -s 1473 10.0.0.2", `1 packets transmitted, 0 packets received, 100.0% packet loss\n$`,
			`^rping: sendto: Message too long\n$`, 2},
		{Inet, "-n -c 2 -i 0.01 -W 0.2 10.0.0.99", `^PING 10.0.0.99 \(10.0.0.99\): 56 data bytes\n\n----10.0.0.99 PING Statistics----\n` +
			`2 packets transmitted, 0 packets received, 100.0% packet loss\n$`, "", 2},
		{Inet, "-n -w 0.3 -i 0.05 10.0.0.99", `packets transmitted, 0 packets received, 100.0% packet loss\n$`, "", 2},
		{Inet, "-n -c 2 -i 0.01 -W 0.1 192.0.2.1", `^PING 192.0.2.1 \(192.0.2.1\): 56 data bytes\n\n----192.0.2.1 PING Statistics----\n` +
			`2 packets transmitted, 0 packets received, 100.0% packet loss\n$`,
			`^rping: sendto: No route to host\nrping: sendto: No route to host\n$`, 2},
		{Inet, "-c 1 -I 10.0.0.9 10.0.0.2", `^$`, `^rping: Can't set source interface/address: Can't assign requested address\n$`, 1},
		{Inet, "-c 1 -I nosuchif.invalid 10.0.0.2", `^$`, `^rping: Cannot resolve "nosuchif.invalid" \(.*\)\n$`, 1},
		{Inet, "-c 1 ::1", `^$`, `^rping: Cannot resolve "::1" \(Unknown host\)\n$`, 1},
		{Inet6, "-c 2 -i 0.01 fc00::2", `^PING6\(56=40\+8\+8 bytes\) fc00::1 --> fc00::2\n` +
			`16 bytes from fc00::2, icmp_seq=0 hlim=64 time=` + rtt + ` ms\n` +
			`16 bytes from fc00::2, icmp_seq=1 hlim=64 time=` + rtt + ` ms\n` +
			`\n--- fc00::2 ping6 statistics ---\n2 packets transmitted, 2 packets received, 0.0% packet loss\n` +
			`round-trip min/avg/max/std-dev = ` + rtt + `/` + rtt + `/` + rtt + `/` + rtt + ` ms\n$`, "", 0},
		{Inet6, "-c 1 -s 56 -h 3 -S fc00::1 -I virt0 fc00::2", `^PING6\(104=40\+8\+56 bytes\) fc00::1 --> fc00::2\n64 bytes from fc00::2, icmp_seq=0 hlim=64 time=`, "", 0},
		{Inet6, "-c 1 -q ::1", `^PING6\(56=40\+8\+8 bytes\) ::1 --> ::1\n\n--- ::1 ping6 statistics ---\n1 packets transmitted, 1 packets received, 0.0% packet loss\n`, "", 0},
		{Inet6, "-c 1 -X 0.3 fc00::99", `^PING6.*\n\n--- fc00::99 ping6 statistics ---\n1 packets transmitted, 0 packets received, 100.0% packet loss\n$`, "", 2},
		{Inet6, "-c 1 2001:db8::1", `^$`, `^rping6: UDP connect: No route to host\n$`, 1},
		{Inet6, "-w -c 1 -X 0.5 fc00::2", `^PING6\(72=40\+8\+24 bytes\) fc00::1 --> fc00::2\n\n--- fc00::2 ping6 statistics ---\n` +
			`1 packets transmitted, 0 packets received, 100.0% packet loss\n$`, "", 2},
		{Inet6, "-c 1 -g fc00::2 fc00::2", `^$`, `^rping6: setsockopt\(IPV6_NEXTHOP\): Operation not supported\n$`, 1},
		{Inet6, "-c 1 -S fc00::9 fc00::2", `^$`, `^rping6: bind: Can't assign requested address\n$`, 1},
		{Inet6, "-c 1 -S nosuch fc00::2", `^$`, `^rping6: invalid source address: hostname nor servname provided, or not known\n$`, 1},
		{Inet6, "-c 1 -I virt9 fc00::2", `^$`, `^rping6: virt9: invalid interface name\n$`, 1},
		{Inet6, "-c 1 fe80::1%virt9", `^$`, `^rping6: hostname nor servname provided, or not known\n$`, 1},
		{Inet6, "-c 1 10.0.0.2", `^$`, `^rping6: hostname nor servname provided, or not known\n$`, 1},
		{Inet6, "-c 1 -i 0 -X 0.5 ::1", `1 packets received`, `^rping6: too small interval, raised to 0.001\n$`, 0},
		{Inet, "", `^$`, `^usage: rping \[-DnoQqRv\]`, 1},
		{Inet, "-z 10.0.0.2", `^$`, `^rping: unknown option -- z\nusage: rping `, 1},
		{Inet, "-c 0 10.0.0.2", `^$`, `^rping: Bad/invalid number of packets: 0\n$`, 1},
		{Inet6, "-h 300 fc00::2", `^$`, `^rping6: illegal hoplimit -- 300\n$`, 1},
		{Inet6, "fc00::1 fc00::2", `^$`, `^usage: rping6 `, 1},
	}
	for _, tt := range tests {
		out, errs, st := runMain(c, tt.family, tt.args, nil)
		if st != tt.wantStatus || !regexp.MustCompile(tt.wantOut).MatchString(out) ||
			(tt.wantErr == "" && errs != "") || (tt.wantErr != "" && !regexp.MustCompile(tt.wantErr).MatchString(errs)) {
			t.Errorf("%s %s:\ngot status %d, stdout %q, stderr %q\nwant status %d, stdout =~ %q, stderr =~ %q",
				map[Family]string{Inet: "rping", Inet6: "rping6"}[tt.family], tt.args, st, out, errs, tt.wantStatus, tt.wantOut, tt.wantErr)
		}
	}
}

// TestInterrupt stops an endless run the way SIGINT does: the summary is
// printed, the status says replies came, and nothing is left running.
func TestInterrupt(t *testing.T) {
	c := linkedKernels(t)
	once := func() {
		// Interrupt once the first reply is printed: before it, ping would
		// rightly end with status 2 (no reply).
		intr := make(chan os.Signal, 1)
		var errb bytes.Buffer
		out := &replyWatcher{replied: make(chan struct{})}
		go func() {
			select {
			case <-out.replied:
			case <-time.After(30 * time.Second):
			}
			intr <- os.Interrupt
		}()
		st := Main(&cli.Tool{Name: "rping", Stdout: out, Stderr: &errb}, c, Inet, strings.Fields("-n -i 0.01 10.0.0.2"), intr)
		if errs := errb.String(); st != 0 || errs != "" || !strings.Contains(out.String(), "\n----10.0.0.2 PING Statistics----\n") {
			t.Fatalf("interrupted rping: got status %d, stdout %q, stderr %q; want 0 and the summary", st, out.String(), errs)
		}
	}
	once()
	time.Sleep(50 * time.Millisecond)
	before := runtime.NumGoroutine()
	for i := 0; i < 5; i++ {
		once()
	}
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before+2 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if after := runtime.NumGoroutine(); after > before+2 {
		t.Errorf("goroutines: got %d after 5 interrupted runs, want at most %d", after, before+2)
	}
}

func TestNoServer(t *testing.T) {
	c := &client.Client{URL: "unix://" + filepath.Join(t.TempDir(), "none")}
	_, errs, st := runMain(c, Inet, "-c 1 10.0.0.2", nil)
	if st != 1 || errs != "rping: rump client init: "+c.URL+": No such file or directory (no such socket: is rump_server running?)\n" {
		t.Errorf("got status %d, stderr %q; want 1 and rump client init", st, errs)
	}
}

// replyWatcher is ping's standard output that closes replied once a reply
// line has been written.
type replyWatcher struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	replied chan struct{}
	closed  bool
}

func (w *replyWatcher) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if !w.closed && strings.Contains(w.buf.String(), " bytes from ") {
		w.closed = true
		close(w.replied)
	}
	return len(p), nil
}

func (w *replyWatcher) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}
