package tests

// gif(4) and gre(4) between real processes, after NetBSD's t_gif: two
// rump kernels on a shmif bus (outer 10.1.0.N and fd01::N) tunnel both
// inner families over both outer ones, configured with rifconfig; a
// deleted tunnel carries nothing; a gif nested in another sends nothing.
// The outer packets on a host tap are what tcpdump decodes as IP in IP,
// GRE and GRE in UDP. Against Linux's ipip, sit, ip6tnl, gre and ip6gre
// when the host kernel has those drivers.

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/rumpnet/rumpnet/internal/testkit"
)

// tunnelEnds are the outer addresses of kernel n (1 or 2).
func tunnelOuter(n int, outer6 bool) string {
	if outer6 {
		return fmt.Sprintf("fd01::%d", n)
	}
	return fmt.Sprintf("10.1.0.%d", n)
}

// tunnelUp makes ifname at url a tunnel from kernel n to the other one,
// with inner 172.16.N.1 -> 172.16.M.1 and fc03::N -> fc03::M.
func (e *env) tunnelUp(url, ifname string, n int, outer6 bool, extra ...string) {
	e.t.Helper()
	m := 3 - n
	src, dst := tunnelOuter(n, outer6), tunnelOuter(m, outer6)
	if len(extra) > 0 { // GRE in UDP
		src, dst = src+",4754", dst+",4754"
	}
	e.mustRifAt(url, ifname, "create")
	if len(extra) > 0 {
		e.mustRifAt(url, append([]string{ifname}, extra...)...)
	}
	e.mustRifAt(url, ifname, "tunnel", src, dst)
	e.mustRifAt(url, ifname, "inet", fmt.Sprintf("172.16.%d.1/32", n), fmt.Sprintf("172.16.%d.1", m))
	e.mustRifAt(url, ifname, "inet6", fmt.Sprintf("fc03::%d/128", n), fmt.Sprintf("fc03::%d", m))
	e.waitUsableAt(url, ifname)
}

func TestTunnelTwoKernels(t *testing.T) {
	for _, tc := range []struct {
		ifname string
		outer6 bool
		extra  []string
	}{
		{"gif0", false, nil},
		{"gif0", true, nil},
		{"gre0", false, nil},
		{"gre0", true, nil},
		{"gre0", false, []string{"link0", "link2"}},
		{"gre0", true, []string{"link0", "link2"}},
	} {
		t.Run(fmt.Sprintf("%s/outer6=%v/%s", tc.ifname, tc.outer6, strings.Join(tc.extra, "+")), func(t *testing.T) {
			e := newEnv(t)
			bus := filepath.Join(e.dir, "bus")
			a, b := e.busKernel("a", bus, 1), e.busKernel("b", bus, 2)
			e.waitUsableAt(a, "shmif0")
			e.waitUsableAt(b, "shmif0")
			e.tunnelUp(a, tc.ifname, 1, tc.outer6, tc.extra...)
			e.tunnelUp(b, tc.ifname, 2, tc.outer6, tc.extra...)
			e.rpingOK(a, "172.16.2.1", 2)
			e.rpingOK(b, "172.16.1.1", 2)
			e.rpingOK(a, "fc03::2", 2)
			e.rpingOK(b, "fc03::1", 2)
			if _, err := exec.LookPath("tcpdump"); err == nil {
				// Four packets, so that a request and its reply stand
				// together among them even if the capture began between
				// the two.
				cmd, stdout, stderr, done := e.startCaptureAt(a, "-i", tc.ifname, "-c", "4", "-n", "icmp")
				e.sendUntil(done, func() { e.toolAt(a, "rping", "-n", "-c", "1", "172.16.2.1") })
				want := regexp.MustCompile(`IP 172\.16\.1\.1 > 172\.16\.2\.1: ICMP echo request, .*\n.*IP 172\.16\.2\.1 > 172\.16\.1\.1: ICMP echo reply`)
				if !cmd.ProcessState.Success() || !want.MatchString(stdout.String()) || !strings.Contains(stderr.String(), "NULL") {
					t.Errorf("rtcpdump -i %s: got %v, %q, %q; want an echo request and its reply, link-type NULL", tc.ifname, cmd.ProcessState, stdout, stderr)
				}
			}
			out := e.mustRifAt(a, tc.ifname)
			fam := "inet"
			if tc.outer6 {
				fam = "inet6"
			}
			want := fmt.Sprintf("\ttunnel %s %s --> %s\n", fam, tunnelOuter(1, tc.outer6), tunnelOuter(2, tc.outer6))
			if tc.extra != nil {
				want = fmt.Sprintf("\ttunnel %s %s,4754 --> %s,4754\n", fam, tunnelOuter(1, tc.outer6), tunnelOuter(2, tc.outer6))
			}
			if !strings.Contains(out, want) || !strings.Contains(out, "<UP,POINTOPOINT,RUNNING,") {
				t.Errorf("rifconfig %s: got %q, want %q and UP,POINTOPOINT,RUNNING", tc.ifname, out, want)
			}
			// A route through the tunnel, to an address of b's lo0
			// (t_gif's LAN behind the router).
			e.mustRifAt(b, "lo0", "inet", "192.168.2.1/32", "alias")
			e.mustRun([]string{"RUMP_SERVER=" + a}, bin("rroute"), "add", "-inet", "192.168.2.0/24", "172.16.2.1")
			e.rpingOK(a, "192.168.2.1", 2)
			if ns := e.toolAt(a, "rnetstat", "-i"); !strings.Contains(ns.stdout, tc.ifname) {
				t.Errorf("rnetstat -i: got %v, want a %s line", ns, tc.ifname)
			}
			// A deleted tunnel carries nothing.
			e.mustRifAt(a, tc.ifname, "deletetunnel")
			if r := e.toolAt(a, "rping", "-n", "-c", "1", "-w", "1", "172.16.2.1"); r.code == 0 {
				t.Errorf("rping after deletetunnel: got %v, want no reply", r)
			}
			// Destroyable while up.
			e.mustRifAt(b, tc.ifname, "destroy")
		})
	}
}

// TestGifNested is t_gif's recursive test: gif1's outer packets would go
// through gif0, beyond NetBSD's default nesting of one.
func TestGifNested(t *testing.T) {
	e := newEnv(t)
	bus := filepath.Join(e.dir, "bus")
	a, b := e.busKernel("a", bus, 1), e.busKernel("b", bus, 2)
	e.waitUsableAt(a, "shmif0")
	e.waitUsableAt(b, "shmif0")
	e.tunnelUp(a, "gif0", 1, false)
	e.tunnelUp(b, "gif0", 2, false)
	e.rpingOK(a, "172.16.2.1", 1)
	e.mustRifAt(a, "gif1", "create")
	e.mustRifAt(a, "gif1", "tunnel", "172.16.1.1", "172.16.2.1")
	e.mustRifAt(a, "gif1", "inet", "172.16.101.1/32", "172.16.102.1")
	if r := e.toolAt(a, "rping", "-n", "-c", "1", "-w", "1", "172.16.102.1"); r.code == 0 {
		t.Errorf("rping through the nested gif1: got %v, want no reply", r)
	}
	e.mustRifAt(a, "gif1", "destroy")
	e.rpingOK(a, "172.16.2.1", 1) // the outer tunnel still works
}

// TestTunnelWireFormat sends through a tunnel whose other end is the
// host tap and checks that tcpdump decodes the outer packets.
func TestTunnelWireFormat(t *testing.T) {
	if _, err := exec.LookPath("tcpdump"); err != nil {
		testkit.Skip(t, "tcpdump not installed: apt-get install tcpdump (scripts/setup.sh does)")
	}
	for _, tc := range []struct {
		ifname, filter string
		extra          []string
		want           string
	}{
		{"gif0", "ip proto 4 and greater 110", nil, `IP 10\.0\.0\.2 > 10\.0\.0\.1: IP 10\.1\.0\.1 > 10\.1\.0\.2: ICMP echo request`},
		{"gre0", "ip proto 47 and greater 110", nil, `IP 10\.0\.0\.2 > 10\.0\.0\.1: GREv0, length \d+: IP 10\.1\.0\.1 > 10\.1\.0\.2: ICMP echo request`},
		// The filters take frames of 110 bytes and more: the pings, not the
		// IGMP reports the stack also sends through the tunnel.
		// tcpdump 4.99 has no GRE in UDP decoder (no -T gre): it shows the
		// UDP datagram, and the test reads the GRE header and the inner
		// IPv4 header's first byte from its bytes (-x).
		{"gre0", "udp port 4754 and greater 110", []string{"link0", "link2"}, `IP 10\.0\.0\.2\.4754 > 10\.0\.0\.1\.4754: UDP, length 88`},
	} {
		t.Run(tc.ifname+strings.Join(tc.extra, "+"), func(t *testing.T) {
			e := newEnv(t)
			e.startServer()
			e.mustRif("virt0", "create")
			e.mustRif("virt0", "inet", "10.0.0.2/24", "up")
			e.hostSide("tap0", "10.0.0.1/24")
			e.ip("link", "set", "tap0", "up")
			src, dst := "10.0.0.2", "10.0.0.1"
			e.mustRif(tc.ifname, "create")
			if tc.extra != nil {
				e.mustRif(append([]string{tc.ifname}, tc.extra...)...)
				src, dst = src+",4754", dst+",4754"
			}
			e.mustRif(tc.ifname, "tunnel", src, dst)
			e.mustRif(tc.ifname, "inet", "10.1.0.1/32", "10.1.0.2")
			cmd := exec.Command("ip", "netns", "exec", e.ns, "tcpdump", "-i", "tap0", "-n", "-l", "-x", "-c", "1", tc.filter)
			stdout, stderr := new(lockedBuffer), new(lockedBuffer)
			cmd.Stdout, cmd.Stderr = stdout, stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			done := make(chan struct{})
			go func() { cmd.Wait(); close(done) }()
			t.Cleanup(func() { cmd.Process.Kill(); <-done })
			e.sendUntil(done, func() { e.rping("rping", "-n", "-c", "1", "-w", "1", "10.1.0.2") })
			if !regexp.MustCompile(tc.want).MatchString(stdout.String()) {
				t.Errorf("tcpdump %s on tap0: got %q (stderr %q), want %q", tc.filter, stdout, stderr, tc.want)
			}
			if tc.extra != nil {
				// After the outer IPv4 (20 bytes) and UDP (8) headers: GRE
				// version 0 without options, protocol type IPv4, then IPv4.
				if got, want := hexAt(stdout.String(), 28, 5), "0000080045"; got != want {
					t.Errorf("GRE in UDP bytes 28..32: got %s, want %s", got, want)
				}
			}
		})
	}
}

// TestTunnelLinuxInterop: a Linux tunnel in the namespace on the host
// tap and the rump kernel's gif or gre on virt0 ping each other.
func TestTunnelLinuxInterop(t *testing.T) {
	for _, tc := range []struct {
		linux, ifname string
		outer6        bool
		inner         string // "4" or "6"
	}{
		{"ipip", "gif0", false, "4"},
		{"sit", "gif0", false, "6"},
		{"ip6tnl", "gif0", true, "4"},
		{"ip6tnl", "gif0", true, "6"},
		{"gre", "gre0", false, "4"},
		{"gre", "gre0", false, "6"},
		{"ip6gre", "gre0", true, "4"},
		{"ip6gre", "gre0", true, "6"},
	} {
		t.Run(fmt.Sprintf("%s/inner%s", tc.linux, tc.inner), func(t *testing.T) {
			e := newEnv(t)
			e.startServer()
			e.mustRif("virt0", "create")
			e.mustRif("virt0", "inet", "10.0.0.2/24", "up")
			e.mustRif("virt0", "inet6", "fc00::2/64")
			e.hostSide("tap0", "10.0.0.1/24")
			e.hostSide("tap0", "fc00::1/64")
			e.ip("link", "set", "tap0", "up")
			local, remote := "10.0.0.1", "10.0.0.2"
			if tc.outer6 {
				local, remote = "fc00::1", "fc00::2"
			}
			args := []string{"link", "add", "tun1", "type", tc.linux, "local", local, "remote", remote}
			if tc.linux == "ip6tnl" {
				args = append(args, "mode", "any")
			}
			if r := e.run(nil, append([]string{"ip"}, args...)...); r.code != 0 {
				if strings.Contains(r.stderr, "Unknown device type") {
					t.Skipf("the host kernel has no %s driver: ip link add ... type %s: Unknown device type", tc.linux, tc.linux)
				}
				t.Fatalf("ip %s: got %v", strings.Join(args, " "), r)
			}
			e.ip("link", "set", "tun1", "up")
			e.waitNoTentative("virt0")
			e.mustRif(tc.ifname, "create")
			e.mustRif(tc.ifname, "tunnel", remote, local)
			if tc.inner == "4" {
				e.ip("addr", "add", "10.1.0.1", "peer", "10.1.0.2", "dev", "tun1")
				e.mustRif(tc.ifname, "inet", "10.1.0.2/32", "10.1.0.1")
				e.ping("10.1.0.2")
				e.rpingOK(e.url, "10.1.0.1", 2)
			} else {
				e.ip("addr", "add", "fc03::1", "peer", "fc03::2", "dev", "tun1", "nodad")
				e.mustRif(tc.ifname, "inet6", "fc03::2/128", "fc03::1")
				e.waitNoTentative(tc.ifname)
				e.ping("fc03::2")
				e.rpingOK(e.url, "fc03::1", 2)
			}
		})
	}
}

// hexAt returns n bytes from offset off of the packet tcpdump -x printed,
// as hex digits.
func hexAt(out string, off, n int) string {
	var b strings.Builder
	for _, m := range regexp.MustCompile(`(?m)^\s+0x[0-9a-f]+:\s+(.*)$`).FindAllStringSubmatch(out, -1) {
		b.WriteString(strings.ReplaceAll(m[1], " ", ""))
	}
	h := b.String()
	if len(h) < 2*(off+n) {
		return h
	}
	return h[2*off : 2*(off+n)]
}
