package tests

// rping and rping6 against a real rump kernel: the echo requests leave the
// kernel's stack through tap0 for the namespace's side of it, where
// icmpcap (testdata/icmpcap, run inside the namespace) reads them back.

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// rping runs rping (or rping6, for tool "rping6") against the env's server.
func (e *env) rping(tool string, args ...string) result {
	return e.run([]string{"RUMP_SERVER=" + e.url}, append([]string{bin(tool)}, args...)...)
}

// pingEnv is a server with virt0 at 10.0.0.2/24 and fc00::2/64 on tap0,
// whose namespace side has 10.0.0.1/24 and fc00::1/64.
func pingEnv(t *testing.T) *env {
	t.Helper()
	e := newEnv(t)
	e.startServer()
	e.mustRif("virt0", "create", "inet", "10.0.0.2/24", "up")
	e.mustRif("virt0", "inet6", "fc00::2/64")
	e.hostSide("tap0", "10.0.0.1/24")
	e.hostSide("tap0", "fc00::1/64")
	e.waitNoTentative("virt0")
	return e
}

// want fails the test unless r exited with status and its output matches
// the patterns ("" wants nothing on stderr).
func (e *env) want(r result, what string, status int, stdout, stderr string) {
	e.t.Helper()
	if r.code != status || !regexp.MustCompile(stdout).MatchString(r.stdout) ||
		(stderr == "" && r.stderr != "") || (stderr != "" && !regexp.MustCompile(stderr).MatchString(r.stderr)) {
		e.t.Errorf("%s: got %v\nwant exit %d, stdout =~ %q, stderr =~ %q", what, r, status, stdout, stderr)
	}
}

const rttRE = `\d+\.\d{3}`

func TestPingNamespace(t *testing.T) {
	e := pingEnv(t)
	r := e.rping("rping", "-n", "-c", "3", "-i", "0.2", "10.0.0.1")
	e.want(r, "rping -n -c 3 -i 0.2 10.0.0.1", 0, `^PING 10.0.0.1 \(10.0.0.1\): 56 data bytes\n`+
		`64 bytes from 10.0.0.1: icmp_seq=0 ttl=64 time=`+rttRE+` ms\n`+
		`64 bytes from 10.0.0.1: icmp_seq=1 ttl=64 time=`+rttRE+` ms\n`+
		`64 bytes from 10.0.0.1: icmp_seq=2 ttl=64 time=`+rttRE+` ms\n`+
		`\n----10.0.0.1 PING Statistics----\n`+
		`3 packets transmitted, 3 packets received, 0.0% packet loss\n`+
		`round-trip min/avg/max/stddev = `+rttRE+`/`+rttRE+`/`+rttRE+`/`+rttRE+` ms\n$`, "")

	r = e.rping("rping6", "-c", "3", "-i", "0.2", "fc00::1")
	e.want(r, "rping6 -c 3 -i 0.2 fc00::1", 0, `^PING6\(56=40\+8\+8 bytes\) fc00::2 --> fc00::1\n`+
		`16 bytes from fc00::1, icmp_seq=0 hlim=64 time=`+rttRE+` ms\n`+
		`16 bytes from fc00::1, icmp_seq=1 hlim=64 time=`+rttRE+` ms\n`+
		`16 bytes from fc00::1, icmp_seq=2 hlim=64 time=`+rttRE+` ms\n`+
		`\n--- fc00::1 ping6 statistics ---\n`+
		`3 packets transmitted, 3 packets received, 0.0% packet loss\n`+
		`round-trip min/avg/max/std-dev = `+rttRE+`/`+rttRE+`/`+rttRE+`/`+rttRE+` ms\n$`, "")

	// The namespace's link-local address, through the zone.
	ll := e.linkLocal("tap0")
	r = e.rping("rping6", "-c", "1", ll+"%virt0")
	e.want(r, "rping6 -c 1 "+ll+"%virt0", 0, `^PING6\(56=40\+8\+8 bytes\) fe80::b00a:[0-9a-f:]+%virt0 --> `+
		regexp.QuoteMeta(ll)+`%virt0\n16 bytes from `+regexp.QuoteMeta(ll)+`%virt0, icmp_seq=0 hlim=64 time=`, "")
	r = e.rping("rping6", "-c", "1", "-I", "virt0", ll)
	e.want(r, "rping6 -c 1 -I virt0 "+ll, 0, `1 packets received, 0.0% packet loss`, "")

	// The kernel's own addresses answer from its own stack.
	for _, tt := range []struct{ tool, dst string }{{"rping", "10.0.0.2"}, {"rping", "127.0.0.1"}, {"rping6", "fc00::2"}, {"rping6", "::1"}} {
		r := e.rping(tt.tool, "-n", "-c", "1", tt.dst)
		e.want(r, tt.tool+" -n -c 1 "+tt.dst, 0, `bytes from `+regexp.QuoteMeta(tt.dst)+`[:,] icmp_seq=0 [^\n]*\n\n[^\n]*\n1 packets transmitted, 1 packets received, 0.0% packet loss\n`, "")
	}
}

func TestPingNoReply(t *testing.T) {
	e := pingEnv(t)
	begin := time.Now()
	r := e.rping("rping", "-n", "-c", "2", "-i", "0.2", "-W", "1", "10.0.0.99")
	e.want(r, "rping to an address nobody has", 2, `^PING 10.0.0.99 \(10.0.0.99\): 56 data bytes\n\n`+
		`----10.0.0.99 PING Statistics----\n2 packets transmitted, 0 packets received, 100.0% packet loss\n$`, "")
	if d := time.Since(begin); d > 10*time.Second {
		t.Errorf("rping -W 1 took %v, want about 1.2s", d)
	}
	r = e.rping("rping", "-n", "-c", "2", "-i", "0.2", "-W", "0.5", "192.0.2.1")
	e.want(r, "rping without a route", 2, `2 packets transmitted, 0 packets received, 100.0% packet loss\n$`,
		`^rping: sendto: No route to host\nrping: sendto: No route to host\n$`)
	r = e.rping("rping6", "-c", "1", "-X", "2", "fc00::99")
	e.want(r, "rping6 to an address nobody has", 2, `^PING6\(56=40\+8\+8 bytes\) fc00::2 --> fc00::99\n\n`+
		`--- fc00::99 ping6 statistics ---\n1 packets transmitted, 0 packets received, 100.0% packet loss\n$`, "")
	r = e.rping("rping6", "-c", "1", "2001:db8::1")
	e.want(r, "rping6 without a route", 1, `^$`, `^rping6: UDP connect: No route to host\n$`)
	// The namespace goes quiet: no reply, whatever the deadline.
	e.ip("link", "set", "tap0", "down")
	r = e.rping("rping", "-n", "-i", "0.2", "-w", "1", "10.0.0.1")
	e.want(r, "rping -w 1 to a tap that is down", 2, `packets transmitted, 0 packets received, 100.0% packet loss\n$`, "")
}

func TestPingOptions(t *testing.T) {
	e := pingEnv(t)
	e.mustRif("virt0", "inet", "10.0.0.3/24", "alias")
	cap4 := e.capture("4", 2)

	r := e.rping("rping", "-n", "-q", "-c", "2", "-i", "0.2", "-s", "100", "-T", "7", "-t", "0x10", "-I", "10.0.0.3", "10.0.0.1")
	e.want(r, "rping -q -c 2 -s 100 -T 7 -t 0x10 -I 10.0.0.3", 0, `^PING 10.0.0.1 \(10.0.0.1\): 100 data bytes\n\n`+
		`----10.0.0.1 PING Statistics----\n2 packets transmitted, 2 packets received, 0.0% packet loss\n`+
		`round-trip min/avg/max/stddev = `, "")
	reqs := cap4.packets(t)
	if len(reqs) != 2 {
		t.Fatalf("echo requests seen in the namespace: got %d, want 2", len(reqs))
	}
	for _, p := range reqs {
		if p.src != "10.0.0.3" || p.ttl != 7 || p.tos != 0x10 || p.length != 20+8+100 {
			t.Errorf("echo request: got %+v, want src 10.0.0.3, ttl 7, tos 0x10, length 128", p)
		}
	}

	// Without -T the requests leave with ping(8)'s TTL 255, from the
	// first address; -I also takes an interface.
	cap4 = e.capture("4", 1)
	r = e.rping("rping", "-n", "-c", "1", "-s", "8", "-I", "virt0", "10.0.0.1")
	e.want(r, "rping -c 1 -s 8 -I virt0", 0, `^PING 10.0.0.1 \(10.0.0.1\): 8 data bytes\n16 bytes from 10.0.0.1: icmp_seq=0 ttl=64 time=`, "")
	if reqs := cap4.packets(t); len(reqs) != 1 || reqs[0].ttl != 255 || reqs[0].src != "10.0.0.2" || reqs[0].length != 36 {
		t.Errorf("echo request: got %+v, want one from 10.0.0.2, ttl 255, length 36", reqs)
	}

	r = e.rping("rping", "-c", "1", "-I", "10.0.0.9", "10.0.0.1")
	e.want(r, "rping -I with an address that is not the kernel's", 1, `^$`,
		`^rping: Can't set source interface/address: Can't assign requested address\n$`)
	r = e.rping("rping", "-n", "-o", "-i", "0.2", "10.0.0.1")
	e.want(r, "rping -o", 0, `\n1 packets transmitted, 1 packets received, 0.0% packet loss\n`, "")
	r = e.rping("rping", "-n", "-c", "3", "-i", "0.2", "-s", "0", "10.0.0.1")
	e.want(r, "rping -s 0", 0, `(16 bytes from 10.0.0.1: icmp_seq=\d ttl=64\n){3}\n`+
		`----10.0.0.1 PING Statistics----\n3 packets transmitted, 3 packets received, 0.0% packet loss\n$`, "")

	cap6 := e.capture("6", 2)
	r = e.rping("rping6", "-c", "2", "-i", "0.2", "-s", "56", "-h", "9", "-S", "fc00::2", "fc00::1")
	e.want(r, "rping6 -c 2 -s 56 -h 9 -S fc00::2", 0, `^PING6\(104=40\+8\+56 bytes\) fc00::2 --> fc00::1\n`+
		`64 bytes from fc00::1, icmp_seq=0 hlim=64 time=`, "")
	if reqs := cap6.packets(t); len(reqs) != 2 || reqs[0].ttl != 9 || reqs[0].length != 64 || reqs[0].src != "fc00::2" {
		t.Errorf("inet6 echo requests: got %+v, want 2 from fc00::2 with hop limit 9 and 64 bytes", reqs)
	}
	r = e.rping("rping6", "-c", "1", "-S", "fc00::9", "fc00::1")
	e.want(r, "rping6 -S with an address that is not the kernel's", 1, `^$`, `^rping6: bind: Can't assign requested address\n$`)
	r = e.rping("rping6", "-c", "1", "-I", "virt9", "fc00::1")
	e.want(r, "rping6 -I with no such interface", 1, `^$`, `^rping6: virt9: invalid interface name\n$`)

	r = e.run([]string{"RUMP_SERVER="}, bin("rping"), "-c", "1", "10.0.0.1")
	e.want(r, "rping without RUMP_SERVER", 1, `^$`, `^rping: RUMP_SERVER not set\n$`)
	r = e.rping("rping", "-c", "1")
	e.want(r, "rping without a host", 1, `^$`, `^usage: rping `)
}

// TestPingClientGoes terminates rping in the middle of endless runs and checks
// that the server stops each run: its goroutines and fds go back to what
// they were.
func TestPingClientGoes(t *testing.T) {
	e := pingEnv(t)
	s := e.servers[0]
	r := e.rping("rping", "-n", "-c", "1", "10.0.0.1")
	e.want(r, "warm-up rping", 0, `1 packets received`, "")
	fds0, gr0, err := serverCounts(s.c, s.pid)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 5; i++ {
		r := e.runTimeout(60*time.Second, nil, "timeout", "-s", "TERM", "0.5",
			"env", "RUMP_SERVER="+e.url, bin("rping"), "-n", "-i", "0.2", "10.0.0.1")
		if r.code != 124 {
			t.Fatalf("rping terminated after 0.5s: got %v, want timeout's 124", r)
		}
	}
	// An interrupt ends a run with its summary, as on NetBSD.
	r = e.runTimeout(60*time.Second, nil, "timeout", "--preserve-status", "-s", "INT", "0.7",
		"env", "RUMP_SERVER="+e.url, bin("rping"), "-n", "-i", "0.2", "10.0.0.1")
	if r.code != 0 || !strings.Contains(r.stdout, "\n----10.0.0.1 PING Statistics----\n") {
		t.Errorf("rping interrupted: got %v, want exit 0 and the summary", r)
	}
	var fds, gr int
	e.waitFor("server fds and goroutines settle after the runs", func() (bool, string) {
		fds, gr, err = serverCounts(s.c, s.pid)
		return err == nil && fds <= fds0+leakSlack && gr <= gr0+leakSlack,
			fmt.Sprintf("fds %d (baseline %d), goroutines %d (baseline %d), err %v", fds, fds0, gr, gr0, err)
	})
}

// linkLocal returns the namespace's link-local address on dev, once it is
// no longer tentative.
func (e *env) linkLocal(dev string) string {
	e.t.Helper()
	var addr string
	e.waitFor("link-local address on "+dev, func() (bool, string) {
		out := e.ip("-6", "-o", "addr", "show", "dev", dev, "scope", "link")
		m := regexp.MustCompile(`inet6 (fe80::[0-9a-f:]+)/64`).FindStringSubmatch(out)
		if m == nil || strings.Contains(out, "tentative") {
			return false, out
		}
		addr = m[1]
		return true, out
	})
	return addr
}

// echoPacket is an echo request as the namespace received it.
type echoPacket struct {
	src      string
	ttl, tos int // IPv6: hop limit, tos 0
	length   int // IPv4: the datagram; IPv6: the ICMPv6 message
}

var (
	icmpcapOnce sync.Once
	icmpcapErr  error
)

// capture is icmpcap (tests/testdata/icmpcap) running in the namespace.
type capture struct {
	cmd  *exec.Cmd
	out  *bufio.Scanner
	done chan struct{}
	rest []string
}

// capture starts icmpcap in the namespace, waiting for n echo requests of
// family ("4" or "6"), and returns once its socket is open.
func (e *env) capture(family string, n int) *capture {
	e.t.Helper()
	icmpcapOnce.Do(func() {
		build := exec.Command("go", "build", "-o", bin("icmpcap"), "./tests/testdata/icmpcap")
		build.Dir = moduleRoot
		if out, err := build.CombinedOutput(); err != nil {
			icmpcapErr = fmt.Errorf("go build icmpcap: %v: %s", err, out)
		}
	})
	if icmpcapErr != nil {
		e.t.Fatal(icmpcapErr)
	}
	args := []string{"netns", "exec", e.ns, bin("icmpcap"), "-n", strconv.Itoa(n), "-t", "20s"}
	if family == "6" {
		args = append(args, "-6")
	}
	c := &capture{cmd: exec.Command("ip", args...), done: make(chan struct{})}
	stdout, err := c.cmd.StdoutPipe()
	if err != nil {
		e.t.Fatal(err)
	}
	c.cmd.Stderr = os.Stderr
	if err := c.cmd.Start(); err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() {
		c.cmd.Process.Kill()
		<-c.done
	})
	c.out = bufio.NewScanner(stdout)
	ready := make(chan bool, 1)
	go func() {
		defer close(c.done)
		defer c.cmd.Wait()
		ready <- c.out.Scan() && c.out.Text() == "ready"
		for c.out.Scan() {
			c.rest = append(c.rest, c.out.Text())
		}
	}()
	if !<-ready {
		e.t.Fatalf("icmpcap in %s did not start", e.ns)
	}
	return c
}

// packets waits for icmpcap to finish and returns what it saw.
func (c *capture) packets(t *testing.T) []echoPacket {
	t.Helper()
	select {
	case <-c.done:
	case <-time.After(30 * time.Second):
		t.Fatal("icmpcap did not finish")
	}
	var ps []echoPacket
	for _, line := range c.rest {
		var p echoPacket
		if _, err := fmt.Sscan(line, &p.src, &p.ttl, &p.tos, &p.length); err != nil {
			t.Fatalf("icmpcap line %q: %v", line, err)
		}
		ps = append(ps, p)
	}
	return ps
}

// TestPingICMPErrors: a router's ICMP errors about the requests print as
// NetBSD's ping prints them; -Q leaves them out. The namespace is the
// router: it forwards, first without a route to 10.9/16, then with one.
func TestPingICMPErrors(t *testing.T) {
	e := pingEnv(t)
	e.mustRun(nil, "sysctl", "-qw", "net.ipv4.ip_forward=1")
	e.mustTool("rroute", "add", "-net", "10.9.0.0/16", "10.0.0.1")
	r := e.rping("rping", "-n", "-c", "1", "-W", "1", "10.9.0.1")
	e.want(r, "rping to a net the router has no route to", 2, `^PING 10.9.0.1 \(10.9.0.1\): 56 data bytes\n`+
		`\d+ bytes from 10.0.0.1: Destination Net Unreachable for icmp_seq=0\n\n`+
		`----10.9.0.1 PING Statistics----\n1 packets transmitted, 0 packets received, 100.0% packet loss\n$`, "")
	r = e.rping("rping", "-n", "-Q", "-c", "1", "-W", "1", "10.9.0.1")
	e.want(r, "rping -Q", 2, `^PING 10.9.0.1 \(10.9.0.1\): 56 data bytes\n\n`, "")
	e.ip("route", "add", "10.9.0.0/16", "dev", "tap0")
	r = e.rping("rping", "-n", "-c", "1", "-T", "1", "-W", "1", "10.9.0.1")
	e.want(r, "rping -T 1 through the router", 2, `\n\d+ bytes from 10.0.0.1: Time To Live exceeded for icmp_seq=0\n`, "")
	r = e.rping("rping", "-n", "-R", "-c", "1", "10.0.0.1")
	e.want(r, "rping -R to the namespace", 0, `\n64 bytes from 10.0.0.1: icmp_seq=0 ttl=64 time=`+rttRE+` ms\nRR: \t`, "")
}

// rxPackets is the count of frames the namespace has received on dev.
func (e *env) rxPackets(dev string) int {
	e.t.Helper()
	n, err := strconv.Atoi(strings.TrimSpace(e.mustRun(nil, "cat", "/sys/class/net/"+dev+"/statistics/rx_packets")))
	if err != nil {
		e.t.Fatalf("rx_packets of %s: %v", dev, err)
	}
	return n
}

// TestPingHostReplyRoute: the kernel answers a ping to its own address
// also when its route back to the source is through another interface
// (the receive path's echo fast path steps aside; the stack then answers
// through the interface the request came in on, unlike NetBSD).
func TestPingHostReplyRoute(t *testing.T) {
	tests := []struct {
		name  string
		route []string // rroute add arguments in the kernel, nil for none
		via   string   // the namespace's interface the replies arrive on, "" for either
	}{
		{"direct", nil, "tap0"},
		{"route back via virt1", []string{"-host", "10.0.0.1", "10.1.0.1"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := pingEnv(t)
			e.mustRif("virt1", "create", "inet", "10.1.0.2/24", "up")
			e.hostSide("tap1", "10.1.0.1/24")
			e.mustRun(nil, "sysctl", "-q", "-w", "net.ipv4.conf.all.rp_filter=0", "net.ipv4.conf.tap1.rp_filter=0")
			if tt.route != nil {
				e.mustTool("rroute", append([]string{"add"}, tt.route...)...)
			}
			e.ping("10.0.0.2") // neighbours resolved both ways
			before := 0
			if tt.via != "" {
				before = e.rxPackets(tt.via)
			}
			r := e.run(nil, "ping", "-n", "-c", "5", "-i", "0.2", "-W", "2", "10.0.0.2")
			e.want(r, "ping -c 5 10.0.0.2", 0, `5 packets transmitted, 5 received`, "")
			if tt.via == "" {
				return
			}
			if got := e.rxPackets(tt.via) - before; got < 5 {
				t.Errorf("frames received on %s during the pings: got %d, want at least the 5 replies", tt.via, got)
			}
		})
	}
}
