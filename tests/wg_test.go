package tests

// wg(4) between real processes: two rump kernels on a shmif bus tunnel
// IPv4 and IPv6 through wg0 both ways, configured with rwgconfig and keys
// from rwg-keygen; rwgconfig's output and errors are NetBSD wgconfig's;
// and a rump kernel's wg0 talks to wireguard-go on a Linux TUN in the
// test's namespace, configured with wg(8): ping (IPv4 and IPv6) and TCP
// both ways.

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/rumpnet/rumpnet/internal/testkit"
)

// wgKey returns a private key from rwg-keygen and its public key.
func (e *env) wgKey() (priv, pub string) {
	e.t.Helper()
	priv = strings.TrimSpace(e.mustRun(nil, bin("rwg-keygen")))
	r := e.run(nil, "sh", "-c", "echo "+priv+" | "+bin("rwg-keygen")+" --pub")
	if r.code != 0 || len(strings.TrimSpace(r.stdout)) != 44 {
		e.t.Fatalf("rwg-keygen --pub: got %v, want a 44-character key", r)
	}
	return priv, strings.TrimSpace(r.stdout)
}

// writeKey writes a key file of mode 0600 and returns its path.
func (e *env) writeKey(name, key string) string {
	e.t.Helper()
	p := filepath.Join(e.dir, name)
	if err := os.WriteFile(p, []byte(key+"\n"), 0o600); err != nil {
		e.t.Fatal(err)
	}
	return p
}

// rwg runs rwgconfig against the server at url.
func (e *env) rwg(url string, args ...string) result { return e.toolAt(url, "rwgconfig", args...) }

func (e *env) mustRwg(url string, args ...string) string {
	e.t.Helper()
	r := e.rwg(url, args...)
	if r.code != 0 || r.stderr != "" {
		e.t.Fatalf("RUMP_SERVER=%s rwgconfig %s: got %v, want exit 0 and no stderr", url, strings.Join(args, " "), r)
	}
	return r.stdout
}

// wgUp makes wg0 at url with 10.100.0.N/24 and fd02::N/64, the private key
// priv and listen port 52428.
func (e *env) wgUp(url string, n int, priv string) {
	e.t.Helper()
	e.mustRifAt(url, "wg0", "create")
	e.mustRifAt(url, "wg0", "inet", fmt.Sprintf("10.100.0.%d/24", n))
	e.mustRifAt(url, "wg0", "inet6", fmt.Sprintf("fd02::%d/64", n))
	e.mustRwg(url, "wg0", "set", "private-key", e.writeKey(fmt.Sprintf("key%d", n), priv))
	e.mustRwg(url, "wg0", "set", "listen-port", "52428")
	e.mustRifAt(url, "wg0", "up")
}

func TestWgTwoKernels(t *testing.T) {
	e := newEnv(t)
	bus := filepath.Join(e.dir, "bus")
	a := e.busKernel("a", bus, 1)
	// b loads what NetBSD's wg tests load (rump_server_crypto_start).
	b := "unix://" + filepath.Join(e.dir, "b")
	e.startServerAt(b, "-lrumpnet", "-lrumpnet_net", "-lrumpnet_netinet", "-lrumpnet_netinet6",
		"-lrumpnet_shmif", "-lrumpvfs", "-lrumpdev_opencrypto", "-lrumpkern_z", "-lrumpkern_crypto", "-lrumpnet_wg")
	e.mustRifAt(b, "shmif0", "create")
	e.mustRifAt(b, "shmif0", "linkstr", bus)
	e.mustRifAt(b, "shmif0", "inet", "10.1.0.2/24", "up")
	e.mustRifAt(b, "shmif0", "inet6", "fd01::2/64")
	privA, pubA := e.wgKey()
	privB, pubB := e.wgKey()
	psk := strings.TrimSpace(e.mustRun(nil, bin("rwg-keygen"), "--psk"))
	pskFile := e.writeKey("psk", psk)
	e.wgUp(a, 1, privA)
	e.wgUp(b, 2, privB)
	e.mustRwg(a, "wg0", "add", "peer", "peerB", pubB, "--endpoint=10.1.0.2:52428",
		"--allowed-ips=10.100.0.2/32,fd02::2/128", "--preshared-key="+pskFile)
	e.mustRwg(b, "wg0", "add", "peer", "peerA", pubA, "--endpoint=10.1.0.1:52428",
		"--allowed-ips=10.100.0.1/32,fd02::1/128", "--preshared-key="+pskFile)
	e.waitUsableAt(a, "shmif0")
	e.waitUsableAt(b, "shmif0")

	e.rpingOK(a, "10.100.0.2", 3)
	e.rpingOK(b, "10.100.0.1", 3)
	if _, err := exec.LookPath("tcpdump"); err == nil {
		// Four packets: a request and its reply stand together among them.
		cmd, stdout, stderr, done := e.startCaptureAt(a, "-i", "wg0", "-c", "4", "-n", "icmp")
		e.sendUntil(done, func() { e.toolAt(a, "rping", "-n", "-c", "1", "10.100.0.2") })
		want := regexp.MustCompile(`IP 10\.100\.0\.1 > 10\.100\.0\.2: ICMP echo request, .*\n.*IP 10\.100\.0\.2 > 10\.100\.0\.1: ICMP echo reply`)
		if !cmd.ProcessState.Success() || !want.MatchString(stdout.String()) {
			t.Errorf("rtcpdump -i wg0: got %v, %q, %q; want an echo request and its reply", cmd.ProcessState, stdout, stderr)
		}
	}
	e.rpingOK(a, "fd02::2", 3)
	e.rpingOK(b, "fd02::1", 3)

	want := "interface: wg0\n\tprivate-key: (hidden)\n\tlisten-port: 52428\n\tpeer: peerB\n" +
		"\t\tpublic-key: " + pubB + "\n\t\tendpoint: 10.1.0.2:52428\n\t\tpreshared-key: (hidden)\n" +
		"\t\tallowed-ips: 10.100.0.2/32,fd02::2/128\n\t\tlatest-handshake: [A-Z][a-z]{2} .*\n$"
	if got := e.mustRwg(a, "wg0"); !regexp.MustCompile("^" + regexp.QuoteMeta(want[:strings.Index(want, "[A-Z]")]) + want[strings.Index(want, "[A-Z]"):]).MatchString(got) {
		t.Errorf("rwgconfig wg0: got %q, want %q", got, want)
	}
	if got, want := e.mustRwg(a, "wg0", "show", "private-key"), "private-key: "+privA+"\n"; got != want {
		t.Errorf("show private-key: got %q, want %q", got, want)
	}
	if got := e.mustRwg(a, "wg0", "show", "peer", "peerB", "--show-preshared-key"); !strings.Contains(got, "\tpreshared-key: "+psk+"\n") {
		t.Errorf("show peer --show-preshared-key: got %q, want the preshared key", got)
	}
	if got := e.mustRwg(a, "wg0", "show", "all"); strings.Contains(got, privA) || strings.Contains(got, psk) {
		t.Errorf("show all: got %q, want no secret key", got)
	}
	if got := e.mustRifAt(a, "-C"); !strings.Contains(got, "wg") {
		t.Errorf("rifconfig -C: got %q, want wg listed", got)
	}
	if got := e.mustRifAt(a, "wg0"); !strings.HasPrefix(got, "wg0: flags=0x8051<UP,POINTOPOINT,RUNNING,MULTICAST> mtu 1420\n") {
		t.Errorf("rifconfig wg0: got %q", got)
	}
	if got := e.rnetstatIface(a); !regexp.MustCompile(`(?m)^wg0 +1420 `).MatchString(got) {
		t.Errorf("rnetstat -i: got %q, want a wg0 row", got)
	}
	e.mustRwg(a, "wg0", "delete", "peer", "peerB")
	if got := e.mustRwg(a, "wg0"); strings.Contains(got, "peer:") {
		t.Errorf("after delete peer: got %q, want no peer", got)
	}
	e.mustRifAt(a, "wg0", "destroy") // while up
	e.mustRifAt(b, "wg0", "destroy")
}

// rnetstatIface is rnetstat -in of the server at url.
func (e *env) rnetstatIface(url string) string {
	e.t.Helper()
	r := e.toolAt(url, "rnetstat", "-in")
	if r.code != 0 {
		e.t.Fatalf("rnetstat -in: got %v", r)
	}
	return r.stdout
}

func TestWgconfigErrors(t *testing.T) {
	e := newEnv(t)
	url := e.busKernel("a", filepath.Join(e.dir, "bus"), 1)
	e.mustRifAt(url, "wg0", "create")
	_, pub := e.wgKey()
	e.mustRwg(url, "wg0", "add", "peer", "p1", pub, "--allowed-ips=10.100.0.2/32")
	short := e.writeKey("short", "abc")
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"wg0", "add", "peer", "p2", "xyz"}, "rwgconfig: invalid public-key length: 3\n"},
		{[]string{"wg0", "add", "peer", "p2", strings.Repeat("!", 44)}, "rwgconfig: b64_pton failed\n"},
		{[]string{"wg0", "add", "peer", "p1", pub}, "rwgconfig: ioctl(SIOCSDRVSPEC): cmd=3: File exists\n"},
		{[]string{"wg0", "add", "peer", "p2", pub, "--bogus=1"}, "rwgconfig: invalid option: --bogus=1\n"},
		{[]string{"wg0", "add", "peer", "p2", pub, "--endpoint=10.1.0.2"}, "rwgconfig: no ':' found in endpoint\n"},
		{[]string{"wg0", "delete", "peer", "nobody"}, "rwgconfig: ioctl(SIOCSDRVSPEC): cmd=4: No such file or directory\n"},
		{[]string{"wg0", "set", "private-key", short}, "rwgconfig: base64 key len is short: 4\n"},
		{[]string{"wg0", "set", "listen-port", "0"}, "rwgconfig: port 0 is not allowed\n"},
		{[]string{"wg0", "set", "listen-port", "70000"}, "rwgconfig: out of range\n"},
		{[]string{"lo0"}, "rwgconfig: ioctl(SIOCGDRVSPEC): Invalid argument\n"},
		{[]string{"wg9"}, "rwgconfig: ioctl(SIOCGDRVSPEC): Device not configured\n"},
	} {
		if r := e.rwg(url, tt.args...); r.code != 1 || r.stderr != tt.want {
			t.Errorf("rwgconfig %s: got %v, want exit 1 and %q", strings.Join(tt.args, " "), r, tt.want)
		}
	}
	if got := e.mustRwg(url, "wg0"); strings.Count(got, "\tpeer: ") != 1 {
		t.Errorf("after refused changes: got %q, want only p1", got)
	}
	if r := e.rwg(url, "wg0", "show", "peer", "nobody"); r.code != 1 || r.stdout != "" || r.stderr != "" {
		t.Errorf("show peer nobody: got %v, want a silent exit 1", r)
	}
}

// TestWgLinuxPeer tunnels between a rump kernel's wg0 and wireguard-go on
// a TUN device of the test's namespace, configured with wg(8); the UDP
// goes over virt0 and tap0.
func TestWgLinuxPeer(t *testing.T) {
	// wireguard-go keeps its control socket in /var/run/wireguard, one
	// directory for every namespace: the name is the run's own.
	tun := fmt.Sprintf("wgl%d", os.Getpid()%1000000)
	if _, err := exec.LookPath("wg"); err != nil {
		testkit.Skip(t, "no wg in PATH (scripts/setup.sh installs wireguard-tools)")
	}
	e := newEnv(t)
	wgGo := filepath.Join(binDir, "wireguard-go")
	if _, err := os.Stat(wgGo); err != nil {
		build := exec.Command("go", "build", "-o", wgGo, "golang.zx2c4.com/wireguard")
		build.Dir = moduleRoot
		if out, err := build.CombinedOutput(); err != nil {
			t.Fatalf("go build golang.zx2c4.com/wireguard: %v\n%s", err, out)
		}
	}
	e.startServer()
	e.mustRif("virt0", "create")
	e.mustRif("virt0", "inet", "10.0.0.2/24", "up")
	e.hostSide("tap0", "10.0.0.1/24")
	privK, pubK := e.wgKey()
	privL, pubL := e.wgKey()
	e.wgUp(e.url, 1, privK)
	e.mustRwg(e.url, "wg0", "add", "peer", "linux", pubL, "--endpoint=10.0.0.1:51820", "--allowed-ips=10.100.0.2/32,fd02::2/128")

	out := &lockedBuffer{}
	e.startIn(e.dir, []string{"WG_I_PREFER_BUGGY_USERSPACE_TO_POLISHED_KMOD=1"}, out, wgGo, "-f", tun)
	e.waitFor("wireguard-go makes the TUN", func() (bool, string) { return e.linkExists(tun), out.String() })
	e.mustRun(nil, "wg", "set", tun, "private-key", e.writeKey("keyL", privL), "listen-port", "51820",
		"peer", pubK, "endpoint", "10.0.0.2:52428", "allowed-ips", "10.100.0.1/32,fd02::1/128")
	e.ip("addr", "add", "10.100.0.2/24", "dev", tun)
	e.ip("addr", "add", "fd02::2/64", "dev", tun, "nodad")
	e.ip("link", "set", tun, "up")

	e.ping("10.100.0.1")
	e.rpingOK(e.url, "10.100.0.2", 3)
	e.ping("fd02::1")
	e.rpingOK(e.url, "fd02::2", 3)
	if r := e.run(nil, "wg", "show", tun, "latest-handshakes"); r.code != 0 || strings.Contains(r.stdout, "\t0\n") {
		t.Errorf("wg show latest-handshakes: got %v, want a handshake", r)
	}
	requireHijack(t, "nc", "sh")
	// TCP from Linux into the kernel, and from the kernel out to Linux.
	srv := e.hijackBackground("sh", "-c", "nc -l 10.100.0.1 7300")
	var r result
	e.waitFor("nc into the kernel", func() (bool, string) {
		r = e.run(nil, "sh", "-c", "printf 'to rump\\n' | nc -N -w 5 10.100.0.1 7300")
		return r.code == 0, r.String()
	})
	e.waitFor("the kernel's nc prints", func() (bool, string) { return srv.String() == "to rump\n", srv.String() })
	lin := &lockedBuffer{}
	e.startIn(e.dir, nil, lin, "nc", "-l", "10.100.0.2", "7301")
	e.waitFor("nc out of the kernel", func() (bool, string) {
		r = e.hijack("sh", "-c", "printf 'to linux\\n' | nc -N -w 5 10.100.0.2 7301")
		return r.code == 0, r.String()
	})
	e.waitFor("Linux's nc prints", func() (bool, string) { return lin.String() == "to linux\n", lin.String() })
}
