package tests

// rtcpdump -c N -w FILE on each kind of interface, read back with the
// host's tcpdump -r: a ping's echo request and reply, with the addresses
// of the two ends, and exactly N frames although the pings go on.

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// captureSite is an interface to capture on and the ping that crosses it.
type captureSite struct {
	e        *env
	url      string // the capturing kernel
	ifname   string
	src, dst string // the echo request's addresses
	linkType string // as tcpdump -r names it
	ping     func() // one echo request, waiting for its reply
}

// loSite is a kernel pinging its own 127.0.0.1: lo0 shows each packet once,
// as sent.
func loSite(t *testing.T) captureSite {
	e := newEnv(t)
	e.startServer()
	return captureSite{e: e, url: e.url, ifname: "lo0", src: "127.0.0.1", dst: "127.0.0.1",
		linkType: `NULL \(BSD loopback\)`,
		ping:     func() { e.rping("rping", "-n", "-c", "1", "-w", "2", "127.0.0.1") }}
}

// virtSite is the kernel's virt0 pinging the namespace's end of its tap.
func virtSite(t *testing.T) captureSite {
	e := pingEnv(t)
	return captureSite{e: e, url: e.url, ifname: "virt0", src: "10.0.0.2", dst: "10.0.0.1",
		linkType: `EN10MB \(Ethernet\)`,
		ping:     func() { e.rping("rping", "-n", "-c", "1", "-w", "2", "10.0.0.1") }}
}

// shmifSite is two kernels on one bus, the first pinging the second.
func shmifSite(t *testing.T) captureSite {
	e := newEnv(t)
	bus := filepath.Join(e.dir, "bus")
	a := e.busKernel("a", bus, 1)
	e.busKernel("b", bus, 2)
	return captureSite{e: e, url: a, ifname: "shmif0", src: "10.1.0.1", dst: "10.1.0.2",
		linkType: `EN10MB \(Ethernet\)`,
		ping:     func() { e.toolAt(a, "rping", "-n", "-c", "1", "-w", "2", "10.1.0.2") }}
}

// bridgeSite is a kernel bridging virt0 and virt1, whose taps are in two
// namespaces of one subnet; the first namespace pings the second through
// bridge0.
func bridgeSite(t *testing.T) captureSite {
	e := newEnv(t)
	r := &router{env: e, a: e.peerNamespace("a"), b: e.peerNamespace("b")}
	e.startServer()
	e.mustRif("virt0", "create", "up")
	e.mustRif("virt1", "create", "up")
	e.mustRif("bridge0", "create")
	e.mustBrAt(e.url, "bridge0", "add", "virt0", "add", "virt1", "up")
	for _, side := range []struct{ tap, ns, v4 string }{
		{"tap0", r.a, "10.0.1.1/24"},
		{"tap1", r.b, "10.0.1.3/24"},
	} {
		e.ip("link", "set", side.tap, "netns", side.ns)
		r.mustIn(side.ns, "ip", "addr", "add", side.v4, "dev", side.tap)
		r.mustIn(side.ns, "ip", "link", "set", side.tap, "up")
	}
	return captureSite{e: e, url: e.url, ifname: "bridge0", src: "10.0.1.1", dst: "10.0.1.3",
		linkType: `EN10MB \(Ethernet\)`,
		ping:     func() { r.in(r.a, "ping", "-n", "-c", "1", "-W", "2", "10.0.1.3") }}
}

// echoLines is what tcpdump -r -n prints for n frames of pings from src to
// dst answered in turn: request, reply, request ...
func echoLines(n int, src, dst string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString("^")
	for i := range n {
		from, to, kind := src, dst, "request"
		if i%2 == 1 {
			from, to, kind = dst, src, "reply"
		}
		fmt.Fprintf(&b, `\d\d:\d\d:\d\d\.\d{6} IP %s > %s: ICMP echo %s, id \d+, seq \d+, length 64\n`,
			regexp.QuoteMeta(from), regexp.QuoteMeta(to), kind)
	}
	b.WriteString("$")
	return regexp.MustCompile(b.String())
}

func TestCaptureFileInterfaces(t *testing.T) {
	for _, tt := range []struct {
		name  string
		site  func(t *testing.T) captureSite
		count int
	}{
		{"lo0", loSite, 2},
		{"virt", virtSite, 3},
		{"shmif", shmifSite, 2},
		{"bridge", bridgeSite, 4},
	} {
		t.Run(tt.name, func(t *testing.T) {
			requireTcpdump(t)
			s := tt.site(t)
			e := s.e
			file := filepath.Join(e.dir, "c.pcap")
			cmd, _, stderr, done := e.startCaptureAt(s.url, "-i", s.ifname, "-c", fmt.Sprint(tt.count), "-w", file, "icmp")
			e.waitFor("rtcpdump listening", func() (bool, string) {
				select {
				case <-done:
					return true, ""
				default:
				}
				return strings.Contains(stderr.String(), "listening on"), stderr.String()
			})
			e.sendUntil(done, s.ping)
			if !cmd.ProcessState.Success() {
				t.Fatalf("rtcpdump -c %d -w: got %v, stderr %s", tt.count, cmd.ProcessState, stderr)
			}
			if want := fmt.Sprintf("\n%d packets captured\n", tt.count); !strings.Contains(stderr.String(), want) {
				t.Errorf("rtcpdump stderr: got %q, want %q", stderr, want)
			}
			r := e.run(nil, "tcpdump", "-n", "-r", file)
			if want := echoLines(tt.count, s.src, s.dst); r.code != 0 || !want.MatchString(r.stdout) {
				t.Errorf("tcpdump -n -r: got %v, want %d lines of echo requests %s > %s answered in turn",
					r, tt.count, s.src, s.dst)
			}
			if want := regexp.MustCompile(`link-type ` + s.linkType); !want.MatchString(r.stderr) {
				t.Errorf("tcpdump -n -r stderr: got %q, want link-type %s", r.stderr, s.linkType)
			}
		})
	}
}
