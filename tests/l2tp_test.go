package tests

// l2tp(4) between real processes: NetBSD's t_l2tp (two LACs bridge a LAN
// each onto an L2TPv3 pseudowire over a WAN bus, outer IPv4 and IPv6),
// wrong sessions and cookies dropped and counted, the outer packets as
// Linux's tcpdump decodes them on a host tap, and a Linux l2tp_ip
// Ethernet session against a rump l2tp where the host kernel has one.

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// l2tpLACAt makes url a LAC: l2tp0 on a tunnel src → dst with session
// my/peer, bridged with shmif1 on the LAN bus lan.
func (e *env) l2tpLACAt(url, lan, src, dst string, my, peer int) {
	e.t.Helper()
	e.mustRifAt(url, "shmif1", "create")
	e.mustRifAt(url, "shmif1", "linkstr", lan)
	e.mustRifAt(url, "shmif1", "up")
	e.mustRifAt(url, "l2tp0", "create")
	e.mustRifAt(url, "l2tp0", "tunnel", src, dst)
	e.mustRifAt(url, "l2tp0", "session", fmt.Sprint(my), fmt.Sprint(peer))
	e.mustRifAt(url, "l2tp0", "mtu", "1500", "up")
	e.mustRifAt(url, "bridge0", "create")
	e.mustRifAt(url, "bridge0", "up")
	e.mustBrAt(url, "bridge0", "add", "shmif1", "add", "l2tp0")
}

// l2tpClientAt starts a client on the LAN bus lan with address n of
// 192.168.1.0/24 and fc00:1::/64.
func (e *env) l2tpClientAt(name, lan string, n int) string {
	e.t.Helper()
	url := "unix://" + filepath.Join(e.dir, name)
	e.startServerAt(url)
	e.mustRifAt(url, "shmif0", "create")
	e.mustRifAt(url, "shmif0", "linkstr", lan)
	e.mustRifAt(url, "shmif0", "inet", fmt.Sprintf("192.168.1.%d/24", n), "up")
	e.mustRifAt(url, "shmif0", "inet6", fmt.Sprintf("fc00:1::%d/64", n))
	e.waitUsableAt(url, "shmif0")
	return url
}

// TestL2tpKernels follows NetBSD's t_l2tp: each inner family over each
// outer family, both ways; the status lines; counters, capture and
// netstat; a cookie on one side only drops the frames, counted; the
// interfaces destroyed while up in a bridge.
func TestL2tpKernels(t *testing.T) {
	requireTcpdump(t)
	e := newEnv(t)
	wan, lan1, lan2 := filepath.Join(e.dir, "wan"), filepath.Join(e.dir, "lan1"), filepath.Join(e.dir, "lan2")
	a, b := e.busKernel("lac1", wan, 1), e.busKernel("lac2", wan, 2)
	e.waitUsableAt(a, "shmif0")
	e.waitUsableAt(b, "shmif0")
	e.l2tpLACAt(a, lan1, "10.1.0.1", "10.1.0.2", 1234, 4321)
	e.l2tpLACAt(b, lan2, "10.1.0.2", "10.1.0.1", 4321, 1234)
	c1, c2 := e.l2tpClientAt("c1", lan1, 1), e.l2tpClientAt("c2", lan2, 2)

	out := e.mustRifAt(a, "l2tp0")
	want := regexp.MustCompile(`^l2tp0: flags=0x8951<UP,POINTOPOINT,RUNNING,PROMISC,SIMPLEX,MULTICAST> mtu 1500\n\taddress: [0-9a-f:]{17}\n` +
		`\ttunnel inet 10\.1\.0\.1 --> 10\.1\.0\.2\n\tlocal-session-id: 1234\n\tremote-session-id: 4321\n`)
	if !want.MatchString(out) {
		t.Errorf("rifconfig l2tp0: got %q, want %v", out, want)
	}
	for _, wan6 := range []bool{false, true} {
		if wan6 {
			e.mustRifAt(a, "l2tp0", "tunnel", "fd01::1", "fd01::2")
			e.mustRifAt(b, "l2tp0", "tunnel", "fd01::2", "fd01::1")
			if out := e.mustRifAt(a, "l2tp0"); !strings.Contains(out, "\ttunnel inet6 fd01::1 --> fd01::2\n") {
				t.Errorf("rifconfig l2tp0 after an inet6 tunnel: got %q", out)
			}
		}
		e.waitReach(c1, "192.168.1.2")
		e.rpingOK(c1, "192.168.1.2", 2)
		e.rpingOK(c2, "192.168.1.1", 2)
		e.waitReach(c1, "fc00:1::2")
		e.rpingOK(c2, "fc00:1::1", 2)
	}
	// The capture on l2tp0 sees the inner Ethernet frames.
	cmd, stdout, stderr, done := e.startCaptureAt(a, "-i", "l2tp0", "-c", "2", "-n", "-e", "icmp")
	e.sendUntil(done, func() { e.toolAt(c1, "rping", "-n", "-c", "1", "-w", "2", "192.168.1.2") })
	if !cmd.ProcessState.Success() || !regexp.MustCompile(`ethertype IPv4 \(0x0800\).*192\.168\.1\.1 > 192\.168\.1\.2: ICMP echo request`).MatchString(stdout.String()) {
		t.Errorf("rtcpdump -e -i l2tp0: got %q, stderr %q, want the inner echo request with its Ethernet header", stdout, stderr)
	}
	if n := e.mustRun([]string{"RUMP_SERVER=" + a}, bin("rnetstat"), "-i"); !regexp.MustCompile(`(?m)^l2tp0 +1500 `).MatchString(n) {
		t.Errorf("rnetstat -i: got %q, want an l2tp0 row with mtu 1500", n)
	}
	// A cookie on one side only: A drops what B sends without it, and
	// counts it.
	e.mustRifAt(a, "l2tp0", "cookie", "4", "12648430", "8", "48879")
	e.rpingFails(c2, "192.168.1.1")
	if out := e.mustRifAt(a, "-v", "l2tp0"); !regexp.MustCompile(`input: .*\d+ errors?`).MatchString(out) {
		t.Errorf("rifconfig -v l2tp0 on A after frames without its cookie: got %q, want input errors", out)
	}
	e.mustRifAt(b, "l2tp0", "cookie", "8", "48879", "4", "12648430")
	e.waitReach(c1, "192.168.1.2")
	if out := e.mustRifAt(a, "l2tp0"); !strings.Contains(out, "\tlocal-cookie: 12648430\n\tremote-cookie: 48879\n") {
		t.Errorf("rifconfig l2tp0: got %q, want the cookie lines", out)
	}
	// Destroyed while up and a bridge member.
	e.mustRifAt(a, "l2tp0", "destroy")
	e.mustRifAt(b, "l2tp0", "destroy")
	e.rpingFails(c1, "192.168.1.2")
	if out := e.mustBrAt(a, "bridge0"); strings.Contains(out, "l2tp0") {
		t.Errorf("rbrconfig bridge0 after l2tp0 was destroyed: got %q", out)
	}
}

// l2tpOnVirt configures the default server as the rump end of a tunnel
// over virt0 (tap0 on the host at 10.0.0.1): l2tp0 at 192.168.9.2/24.
func (e *env) l2tpOnVirt() {
	e.t.Helper()
	e.startServer()
	e.mustRif("virt0", "create")
	e.mustRif("virt0", "inet", "10.0.0.2/24", "up")
	e.hostSide("tap0", "10.0.0.1/24")
	e.mustRif("l2tp0", "create")
	e.mustRif("l2tp0", "tunnel", "10.0.0.2", "10.0.0.1")
	e.mustRif("l2tp0", "session", "1234", "4321")
	e.mustRif("l2tp0", "inet", "192.168.9.2", "netmask", "255.255.255.0", "up")
}

// TestL2tpWireFormatTcpdump: Linux's tcpdump on the host tap sees the
// outer packets as IP protocol 115 carrying the session, the cookie and
// the frame. tcpdump 4.99 decodes L2TP over UDP only; over IP it prints
// the protocol number.
func TestL2tpWireFormatTcpdump(t *testing.T) {
	requireTcpdump(t)
	e := newEnv(t)
	e.l2tpOnVirt()
	e.mustRif("l2tp0", "cookie", "4", "12648430", "4", "48879")
	cmd := exec.Command("ip", "netns", "exec", e.ns, "tcpdump", "-i", "tap0", "-n", "-l", "-x", "-c", "1", "ip proto 115")
	stdout, stderr := new(lockedBuffer), new(lockedBuffer)
	cmd.Stdout, cmd.Stderr = stdout, stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() { cmd.Process.Kill(); <-done })
	e.sendUntil(done, func() { e.rping("rping", "-n", "-c", "1", "-w", "1", "192.168.9.1") })
	got := stdout.String()
	// The peer's session (4321 = 0x10e1) and cookie (48879 = 0xbeef)
	// follow the 20-byte IP header, then the frame.
	if !regexp.MustCompile(`IP 10\.0\.0\.2 > 10\.0\.0\.1: +ip-proto-115 \d+`).MatchString(got) ||
		!regexp.MustCompile(`0x0010:  0a00 0001 0000 10e1 0000 beef`).MatchString(got) {
		t.Errorf("tcpdump -x on tap0: got %q (stderr %q), want ip-proto-115 with session 4321 and cookie 48879", got, stderr)
	}
}

// TestL2tpLinuxInterop: a Linux L2TPv3 Ethernet session over IP
// (l2tp_ip, l2tp_eth) and the rump l2tp0 ping each other.
func TestL2tpLinuxInterop(t *testing.T) {
	e := newEnv(t)
	e.l2tpOnVirt()
	r := e.run(nil, "ip", "l2tp", "add", "tunnel", "tunnel_id", "1", "peer_tunnel_id", "1",
		"encap", "ip", "local", "10.0.0.1", "remote", "10.0.0.2")
	if r.code != 0 {
		if strings.Contains(r.stderr, "RTNETLINK answers: No such file or directory") {
			t.Skipf("the host kernel has no L2TP driver: ip l2tp add tunnel: RTNETLINK answers: No such file or directory")
		}
		t.Fatalf("ip l2tp add tunnel: got %v", r)
	}
	e.ip("l2tp", "add", "session", "name", "l2tpeth0", "tunnel_id", "1", "session_id", "4321",
		"peer_session_id", "1234", "l2spec_type", "none")
	e.hostSide("l2tpeth0", "192.168.9.1/24")
	e.ping("192.168.9.2")
	e.rpingOK(e.url, "192.168.9.1", 2)
}
