package tests

// vlan(4) and tap(4) between real processes: two kernels on a shmif bus
// through vlan 10 while vlans 20 and 21 stay apart, the tagged frames as
// Linux's tcpdump decodes them on a host tap, a Linux VLAN subinterface
// talking to a rump vlan (where the host kernel has 802.1Q), and a bridge
// whose kernel address is a tap.

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// vlanOn configures vlan ifname with tag on parent at url, with inet
// address addr4 and inet6 address addr6, up.
func (e *env) vlanOn(url, ifname string, tag int, parent, addr4, addr6 string) {
	e.t.Helper()
	e.mustRifAt(url, ifname, "create")
	e.mustRifAt(url, ifname, "vlan", fmt.Sprint(tag), "vlanif", parent)
	e.mustRifAt(url, ifname, "inet", addr4, "up")
	if addr6 != "" {
		e.mustRifAt(url, ifname, "inet6", addr6)
	}
}

func TestVlanShmifKernels(t *testing.T) {
	requireTcpdump(t)
	e := newEnv(t)
	bus := filepath.Join(e.dir, "bus")
	a, b := e.busKernel("a", bus, 1), e.busKernel("b", bus, 2)
	e.vlanOn(a, "vlan0", 10, "shmif0", "10.0.10.1/24", "fc10::1/64")
	e.vlanOn(b, "vlan0", 10, "shmif0", "10.0.10.2/24", "fc10::2/64")
	e.vlanOn(a, "vlan1", 20, "shmif0", "10.0.20.1/24", "")
	e.vlanOn(b, "vlan1", 21, "shmif0", "10.0.20.2/24", "")
	e.waitUsableAt(a, "vlan0")
	e.waitUsableAt(b, "vlan0")

	out := e.mustRifAt(a, "vlan0")
	if !regexp.MustCompile(`^vlan0: flags=0x8843<UP,BROADCAST,RUNNING,SIMPLEX,MULTICAST> mtu 1496\n\tvlan: 10 parent: shmif0\n\taddress: `).MatchString(out) {
		t.Errorf("rifconfig vlan0: got %q, want flags, mtu 1496 and the vlan line", out)
	}
	// The capture on vlan0 sees the ping untagged, as the vlan's own (the
	// first request may go before the capture starts).
	cmd, stdout, stderr, done := e.startCaptureAt(a, "-i", "vlan0", "-c", "3", "-n", "icmp")
	e.sendUntil(done, func() { e.toolAt(a, "rping", "-n", "-c", "1", "-w", "2", "10.0.10.2") })
	if !cmd.ProcessState.Success() || !strings.Contains(stdout.String(), "IP 10.0.10.1 > 10.0.10.2: ICMP echo request") {
		t.Errorf("rtcpdump -i vlan0: got %q, stderr %q, want the echo request", stdout, stderr)
	}
	e.rpingOK(a, "10.0.10.2", 2)
	e.rpingOK(a, "fc10::2", 2)
	e.rpingFails(a, "10.0.20.2")

	// On the bus the frames carry their tag (NetBSD's t_vlan reads it so).
	file := filepath.Join(e.dir, "bus.pcap")
	e.mustRun(nil, bin("shmif_dumpbus"), "-p", file, bus)
	r := e.run(nil, "tcpdump", "-n", "-e", "-r", file)
	for _, want := range []string{"vlan 10, p 0, ethertype IPv4", "10.0.10.1 > 10.0.10.2: ICMP echo request", "vlan 20, p 0", "vlan 21, p 0"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("tcpdump -e of the bus: got %v, want %q", r, want)
		}
	}
	if n := e.mustRun([]string{"RUMP_SERVER=" + a}, bin("rnetstat"), "-i"); !regexp.MustCompile(`(?m)^vlan0 +1496 `).MatchString(n) {
		t.Errorf("rnetstat -i: got %q, want a vlan0 row with mtu 1496", n)
	}
	// Destroying the parent while its vlans are up unconfigures them.
	e.mustRifAt(b, "shmif0", "destroy")
	if out := e.mustRifAt(b, "vlan0"); strings.Contains(out, "shmif0") || !strings.HasPrefix(out, "vlan0: flags=0\n") {
		t.Errorf("vlan0 after its parent was destroyed: got %q, want it unconfigured", out)
	}
	e.mustRifAt(a, "vlan0", "destroy")
	e.mustRifAt(b, "vlan0", "destroy")
}

// hostTapMAC returns the namespace side's link address of tap.
func (e *env) hostTapMAC(tap string) string {
	e.t.Helper()
	return strings.TrimSpace(e.mustRun(nil, "cat", "/sys/class/net/"+tap+"/address"))
}

// TestVlanWireFormatTcpdump: Linux's tcpdump on the host tap decodes the
// rump vlan's frames as 802.1Q "vlan 10" frames carrying the ping. The
// host has no VLAN driver to answer, so the rump kernel is given the
// host's link address statically.
func TestVlanWireFormatTcpdump(t *testing.T) {
	requireTcpdump(t)
	e := newEnv(t)
	e.startServer()
	e.mustRif("virt0", "create", "up")
	e.vlanOn(e.url, "vlan0", 10, "virt0", "10.0.10.2/24", "")
	e.ip("link", "set", "tap0", "up")
	e.mustRun([]string{"RUMP_SERVER=" + e.url}, bin("rarp"), "-s", "10.0.10.1", e.hostTapMAC("tap0"))
	cmd := exec.Command("ip", "netns", "exec", e.ns, "tcpdump", "-i", "tap0", "-e", "-n", "-l", "-c", "1", "vlan 10 and icmp")
	stdout, stderr := new(lockedBuffer), new(lockedBuffer)
	cmd.Stdout, cmd.Stderr = stdout, stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() { cmd.Process.Kill(); <-done })
	e.sendUntil(done, func() { e.rping("rping", "-n", "-c", "1", "-w", "1", "10.0.10.1") })
	want := regexp.MustCompile(`ethertype 802\.1Q \(0x8100\), length \d+: vlan 10, p 0, ethertype IPv4 \(0x0800\),.* 10\.0\.10\.2 > 10\.0\.10\.1: ICMP echo request`)
	if !want.MatchString(stdout.String()) {
		t.Errorf("tcpdump -e on tap0: got %q (stderr %q), want a vlan 10 frame carrying the echo request", stdout, stderr)
	}
}

// TestVlanLinuxInterop: a Linux VLAN subinterface of the host tap and the
// rump vlan on virt0 ping each other in both families.
func TestVlanLinuxInterop(t *testing.T) {
	e := newEnv(t)
	e.startServer()
	e.mustRif("virt0", "create", "up")
	e.ip("link", "set", "tap0", "up")
	if r := e.run(nil, "ip", "link", "add", "link", "tap0", "name", "tap0.10", "type", "vlan", "id", "10"); r.code != 0 {
		if strings.Contains(r.stderr, "Unknown device type") {
			t.Skipf("the host kernel has no 802.1Q driver: ip link add ... type vlan: Unknown device type")
		}
		t.Fatalf("ip link add tap0.10 type vlan id 10: got %v", r)
	}
	e.hostSide("tap0.10", "10.0.10.1/24")
	e.hostSide("tap0.10", "fc10::1/64")
	e.vlanOn(e.url, "vlan0", 10, "virt0", "10.0.10.2/24", "fc10::2/64")
	e.waitNoTentative("vlan0")
	e.ping("10.0.10.2")
	e.ping("fc10::2")
	e.rpingOK(e.url, "10.0.10.1", 2)
	e.rpingOK(e.url, "fc10::1", 2)
}

// TestTapBridge follows NetBSD's t_tap (tap_bridge): a tap in a bridge
// is the kernel's own address there, reached over the bridge's other
// member; destroyed while up, it leaves the bridge.
func TestTapBridge(t *testing.T) {
	e := newEnv(t)
	e.startServer("-lrumpnet", "-lrumpnet_net", "-lrumpnet_netinet", "-lrumpnet_netinet6",
		"-lrumpnet_virtif", "-lrumpnet_bridge", "-lrumpnet_tap")
	if got, want := e.mustRif("-C"), "tap bridge virt lo\n"; got != want {
		t.Errorf("rifconfig -C: got %q, want %q", got, want)
	}
	e.mustRif("virt0", "create", "up")
	e.mustRif("tap0", "create")
	e.mustRif("tap0", "inet", "10.0.0.2/24", "up")
	e.mustRif("tap0", "inet6", "fc00::2/64")
	e.mustRif("bridge0", "create")
	e.mustRun([]string{"RUMP_SERVER=" + e.url}, bin("rbrconfig"), "bridge0", "add", "virt0", "add", "tap0", "up")
	e.hostSide("tap0", "10.0.0.1/24")
	e.hostSide("tap0", "fc00::1/64")
	e.waitNoTentative("tap0")
	e.ping("10.0.0.2")
	e.ping("fc00::2")
	e.mustRif("tap0", "destroy")
	if out := e.mustRun([]string{"RUMP_SERVER=" + e.url}, bin("rbrconfig"), "bridge0"); strings.Contains(out, "tap0") {
		t.Errorf("rbrconfig bridge0 after tap0 was destroyed: got %q, want no tap0", out)
	}
}

// vlanTCPVerified sends 8 MiB under rumphijack from the kernel at from to
// the kernel at to, address dst, port 7400, and fails the test unless the
// receiver's digest of what arrived is the sender's of what it sent.
func (e *env) vlanTCPVerified(from, to, dst string) {
	e.t.Helper()
	srv := e.hijackBackgroundAt(to, "python3", "-c", `
import hashlib, socket
l = socket.socket(); l.bind(("0.0.0.0", 7400)); l.listen(1)
c, _ = l.accept(); h = hashlib.sha256()
while True:
    b = c.recv(1 << 20)
    if not b:
        break
    h.update(b)
print(h.hexdigest(), flush=True)`)
	e.waitFor("the receiver listens", func() (bool, string) {
		ns := e.rnetstatAt(to)
		return strings.Contains(ns, ".7400 "), ns + srv.String()
	})
	r := e.hijackAt(from, "python3", "-c", fmt.Sprintf(`
import hashlib, random, socket
m = random.Random(1).randbytes(8 << 20)
s = socket.create_connection((%q, 7400)); s.sendall(m); s.close()
print(hashlib.sha256(m).hexdigest())`, dst))
	sent := strings.TrimSpace(r.stdout)
	if r.code != 0 || len(sent) != 64 {
		e.t.Fatalf("sender: got %v, want a digest", r)
	}
	if got := e.waitLine("the receiver's digest", srv); got != sent {
		e.t.Errorf("TCP through the vlans: got digest %q, want the sender's %q", got, sent)
	}
}

// TestVlanShmifTCP: TCP between two kernels' vlans on a bus arrives
// whole, carried as tagged super-frames (shmif_dumpbus gives their
// length, more than a full-sized frame's).
func TestVlanShmifTCP(t *testing.T) {
	requireTcpdump(t)
	requireHijack(t, "python3")
	e := newEnv(t)
	bus := filepath.Join(e.dir, "bus")
	a, b := e.busKernel("a", bus, 1), e.busKernel("b", bus, 2)
	e.vlanOn(a, "vlan0", 10, "shmif0", "10.0.10.1/24", "")
	e.vlanOn(b, "vlan0", 10, "shmif0", "10.0.10.2/24", "")
	e.rpingOK(a, "10.0.10.2", 1)
	e.vlanTCPVerified(a, b, "10.0.10.2")
	file := filepath.Join(e.dir, "bus.pcap")
	e.mustRun(nil, bin("shmif_dumpbus"), "-p", file, bus)
	r := e.run(nil, "tcpdump", "-n", "-e", "-r", file, "vlan 10 and tcp")
	super := regexp.MustCompile(`ethertype 802\.1Q \(0x8100\), length (\d{5}): vlan 10, p 0, ethertype IPv4`)
	if !super.MatchString(r.stdout) {
		t.Errorf("tcpdump -e of the bus: got %v, want tagged TCP super-frames (a length of 5 digits)", r)
	}
}

// TestVlanVirtTCP: TCP between vlans of two kernels whose virt
// interfaces' taps are joined by a Linux bridge arrives whole: the host
// takes the tagged super-frames, whose checksum offset counts the tag.
func TestVlanVirtTCP(t *testing.T) {
	requireHijack(t, "python3")
	e := newEnv(t)
	a := e.url
	e.startServer()
	b := "unix://" + filepath.Join(e.dir, "b")
	e.startServerAt(b)
	e.mustRifAt(a, "virt0", "create", "up")
	e.mustRifAt(b, "virt1", "create", "up")
	e.ip("link", "add", "br0", "type", "bridge")
	for _, tap := range []string{"tap0", "tap1"} {
		e.ip("link", "set", tap, "master", "br0")
		e.ip("link", "set", tap, "up")
	}
	e.ip("link", "set", "br0", "up")
	e.vlanOn(a, "vlan0", 10, "virt0", "10.0.10.1/24", "")
	e.vlanOn(b, "vlan0", 10, "virt1", "10.0.10.2/24", "")
	e.rpingOK(a, "10.0.10.2", 1)
	e.vlanTCPVerified(a, b, "10.0.10.2")
	e.vlanTCPVerified(b, a, "10.0.10.1")
}
