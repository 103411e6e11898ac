package tests

// shmif(4) between real rump_server processes: kernels on one bus file
// ping each other, as root and as an unprivileged user; a kernel killed
// mid-traffic does not break the bus; shmif_dumpbus turns the bus into
// pcap for tcpdump; a kernel with virt0 and shmif0 routes between the
// namespace and a shmif-only kernel.

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rumpnet/rumpnet/internal/testkit"
)

// toolAt runs a rump tool against the server at url.
func (e *env) toolAt(url, tool string, args ...string) result {
	return e.run([]string{"RUMP_SERVER=" + url}, append([]string{bin(tool)}, args...)...)
}

// busKernel starts a server at dir/name whose shmif0 is on bus with
// 10.1.0.N/24 and fd01::N/64, and returns its url.
func (e *env) busKernel(name, bus string, n int) string {
	e.t.Helper()
	url := "unix://" + filepath.Join(e.dir, name)
	e.startServerAt(url)
	e.mustRifAt(url, "shmif0", "create")
	e.mustRifAt(url, "shmif0", "linkstr", bus)
	e.mustRifAt(url, "shmif0", "inet", fmt.Sprintf("10.1.0.%d/24", n), "up")
	e.mustRifAt(url, "shmif0", "inet6", fmt.Sprintf("fd01::%d/64", n))
	return url
}

// waitUsableAt waits until no address of the server's interface is
// tentative.
func (e *env) waitUsableAt(url, ifname string) {
	e.t.Helper()
	e.waitFor("DAD on "+ifname+" at "+url, func() (bool, string) {
		r := e.rifAt(url, ifname)
		return r.code == 0 && !strings.Contains(r.stdout, "TENTATIVE"), r.String()
	})
}

// rpingOK pings dst count times from the server at url and fails the test
// unless every reply arrives.
func (e *env) rpingOK(url, dst string, count int) {
	e.t.Helper()
	tool, deadline := "rping", "-w"
	if strings.Contains(dst, ":") {
		tool, deadline = "rping6", "-X"
	}
	r := e.toolAt(url, tool, "-n", "-c", strconv.Itoa(count), "-i", "0.1", deadline, "10", dst)
	want := fmt.Sprintf("%d packets transmitted, %d packets received, 0.0%% packet loss", count, count)
	if r.code != 0 || !strings.Contains(r.stdout, want) {
		e.t.Fatalf("RUMP_SERVER=%s %s %s: got %v, want %q", url, tool, dst, r, want)
	}
}

func TestShmifTwoKernels(t *testing.T) {
	e := newEnv(t)
	bus := filepath.Join(e.dir, "bus")
	a, b := e.busKernel("a", bus, 1), e.busKernel("b", bus, 2)
	e.waitUsableAt(a, "shmif0")
	e.waitUsableAt(b, "shmif0")

	out := e.mustRifAt(a, "shmif0")
	re := `^shmif0: flags=0x8843<UP,BROADCAST,RUNNING,SIMPLEX,MULTICAST> mtu 1500\n` +
		`\taddress: b2:a0(:[0-9a-f]{2}){4}\n\tlinkstr: ` + regexp.QuoteMeta(bus) + `\n`
	if !regexp.MustCompile(re).MatchString(out) {
		t.Errorf("rifconfig shmif0: got %q, want match %q", out, re)
	}
	e.rpingOK(a, "10.1.0.2", 3)
	e.rpingOK(b, "10.1.0.1", 3)
	e.rpingOK(a, "fd01::2", 3)
	e.rpingOK(b, "fd01::1", 3)

	// The second kernel's interface is attached: linkstr again is EBUSY,
	// and so is -linkstr while up.
	for _, args := range [][]string{{"shmif0", "linkstr", bus}, {"shmif0", "-linkstr"}} {
		r := e.rifAt(b, args...)
		if want := "rifconfig: SIOCSLINKSTR: Device busy\n"; r.code != 1 || r.stderr != want {
			t.Errorf("rifconfig %s: got %v, want exit 1, %q", strings.Join(args, " "), r, want)
		}
	}

	// Counters move, and -z clears them.
	v := e.mustRifAt(a, "-v", "shmif0")
	if n := inputCount(t, v); n == 0 {
		t.Errorf("rifconfig -v shmif0: no input packets counted:\n%s", v)
	}
	e.mustRifAt(a, "-z", "shmif0")
	if n := inputCount(t, e.mustRifAt(a, "-v", "shmif0")); n > 2 {
		t.Errorf("after -z: %d input packets", n)
	}

	// The bus as pcap, read by tcpdump.
	if _, err := exec.LookPath("tcpdump"); err != nil {
		testkit.Skip(t, "no tcpdump in PATH (apt-get install tcpdump; scripts/setup.sh does): %v", err)
	}
	r := e.run(nil, "bash", "-o", "pipefail", "-c",
		fmt.Sprintf("%s -p - %s | tcpdump -n -r -", bin("shmif_dumpbus"), bus))
	for _, want := range []string{
		"IP 10.1.0.1 > 10.1.0.2: ICMP echo request", "IP 10.1.0.2 > 10.1.0.1: ICMP echo reply",
		"IP6 fd01::1 > fd01::2: ICMP6, echo request", "IP6 fd01::2 > fd01::1: ICMP6, echo reply",
		"ARP, Request who-has 10.1.0.2 tell 10.1.0.1",
	} {
		if r.code != 0 || !strings.Contains(r.stdout, want) {
			t.Errorf("shmif_dumpbus -p - | tcpdump -r -: got %v, want a line with %q", r, want)
		}
	}
	h := e.mustRun(nil, bin("shmif_dumpbus"), "-h", bus)
	if !regexp.MustCompile(`^bus version 3, lock: 0, generation: \d+, firstoff: 0x[0-9a-f]{4}, lastoff: 0x[0-9a-f]{4,}\n$`).MatchString(h) {
		t.Errorf("shmif_dumpbus -h: got %q", h)
	}
}

func TestShmifEightKernels(t *testing.T) {
	e := newEnv(t)
	bus := filepath.Join(e.dir, "bus")
	var urls []string
	for i := 1; i <= 8; i++ {
		urls = append(urls, e.busKernel(fmt.Sprintf("k%d", i), bus, i))
	}
	for _, u := range urls {
		e.waitUsableAt(u, "shmif0")
	}
	for i, u := range urls {
		for j := range urls {
			if i != j {
				e.rpingOK(u, fmt.Sprintf("10.1.0.%d", j+1), 1)
				e.rpingOK(u, fmt.Sprintf("fd01::%d", j+1), 1)
			}
		}
	}
}

// startAsNobody starts rump_server as uid nobody in the namespace on a
// socket in dir (which nobody owns) and returns its url. It needs no
// device and no capability.
func (e *env) startAsNobody(dir, name string, args ...string) string {
	e.t.Helper()
	if _, err := exec.LookPath("setpriv"); err != nil {
		testkit.Skip(e.t, "no setpriv in PATH (util-linux); %s", howToRun)
	}
	url := "unix://" + filepath.Join(dir, name)
	s := e.addServer(url)
	argv := append([]string{"setpriv", "--reuid=" + strconv.Itoa(nobody), "--regid=" + strconv.Itoa(nobody),
		"--clear-groups", "--inh-caps=-all", bin("rump_server")}, args...)
	r := e.runIn(dir, cmdTimeout, nil, append(argv, url)...)
	if r.code != 0 {
		e.t.Fatalf("rump_server as uid %d: got %v, want exit 0", nobody, r)
	}
	info, err := s.c.Info()
	if err != nil {
		e.t.Fatalf("GET /v1/: %v", err)
	}
	s.pid = info.Pid
	e.setInetDAD(s)
	return url
}

func TestShmifUnprivileged(t *testing.T) {
	e := newEnv(t)
	dir := e.nobodyDir()
	comps := []string{"-l", "rumpnet_shmif", "-l", "rumpnet_netinet", "-l", "rumpnet_netinet6"}
	urls := []string{e.startAsNobody(dir, "a", comps...), e.startAsNobody(dir, "b", comps...)}
	for i, u := range urls {
		if got, want := e.mustRifAt(u, "-C"), "shmif lo\n"; got != want {
			t.Errorf("rifconfig -C: got %q, want %q", got, want)
		}
		// The tools run as nobody too, and the bus path is relative to
		// the server's working directory.
		for _, args := range [][]string{
			{"shmif0", "create"}, {"shmif0", "linkstr", "bus"},
			{"shmif0", "inet", fmt.Sprintf("10.1.0.%d/24", i+1), "up"},
			{"shmif0", "inet6", fmt.Sprintf("fd01::%d/64", i+1)},
		} {
			if r := runAs(u, append([]string{bin("rifconfig")}, args...)...); r.code != 0 {
				t.Fatalf("rifconfig %s as nobody: got %v", strings.Join(args, " "), r)
			}
		}
	}
	st, err := os.Stat(filepath.Join(dir, "bus"))
	if err != nil {
		t.Fatal(err)
	}
	if uid := st.Sys().(*syscall.Stat_t).Uid; uid != nobody {
		t.Errorf("bus file owner: got uid %d, want %d", uid, nobody)
	}
	for _, u := range urls {
		e.waitUsableAt(u, "shmif0")
	}
	for _, dst := range []string{"10.1.0.2", "fd01::2"} {
		tool := map[bool]string{false: "rping", true: "rping6"}[strings.Contains(dst, ":")]
		r := runAs(urls[0], bin(tool), "-n", "-c", "3", "-i", "0.2", dst)
		if r.code != 0 || !strings.Contains(r.stdout, "3 packets received") {
			t.Errorf("%s %s as nobody: got %v", tool, dst, r)
		}
	}
}

// A kernel SIGKILLed while it floods the bus leaves it usable for the
// others.
func TestShmifKilledKernel(t *testing.T) {
	e := newEnv(t)
	bus := filepath.Join(e.dir, "bus")
	a, b, c := e.busKernel("a", bus, 1), e.busKernel("b", bus, 2), e.busKernel("c", bus, 3)
	for _, u := range []string{a, b, c} {
		e.waitUsableAt(u, "shmif0")
	}
	ctx, cancel := context.WithTimeout(context.Background(), cmdTimeout)
	defer cancel()
	flood := exec.CommandContext(ctx, "ip", "netns", "exec", e.ns, bin("rping"), "-q", "-i", "0.001", "-s", "1400", "-c", "100000", "10.1.0.1")
	flood.Env = append(os.Environ(), "RUMP_SERVER="+b)
	if err := flood.Start(); err != nil {
		t.Fatal(err)
	}
	defer flood.Wait()
	defer flood.Process.Kill()
	time.Sleep(500 * time.Millisecond)
	var victim *server
	for _, s := range e.servers {
		if s.url == b {
			victim = s
		}
	}
	syscall.Kill(victim.pid, syscall.SIGKILL)
	e.waitExited(victim.pid)
	os.Remove(victim.sock) // nothing can halt it any more
	e.rpingOK(a, "10.1.0.3", 3)
	e.rpingOK(c, "fd01::1", 3)
	h := e.mustRun(nil, bin("shmif_dumpbus"), "-h", bus)
	if !strings.Contains(h, "lock: 0,") {
		t.Errorf("shmif_dumpbus -h after the traffic: got %q, want the lock free", h)
	}
}

// A kernel with virt0 (tap0 in the namespace) and shmif0 routes between
// the namespace and a kernel that only has shmif0.
func TestShmifRouter(t *testing.T) {
	e := newEnv(t)
	bus := filepath.Join(e.dir, "bus")
	router := "unix://" + filepath.Join(e.dir, "r")
	e.startServerAt(router)
	e.mustRifAt(router, "virt0", "create", "inet", "10.2.0.2/24", "up")
	e.mustRifAt(router, "virt0", "inet6", "fd02::2/64")
	e.mustRifAt(router, "shmif0", "create")
	e.mustRifAt(router, "shmif0", "linkstr", bus)
	e.mustRifAt(router, "shmif0", "inet", "10.1.0.1/24", "up")
	e.mustRifAt(router, "shmif0", "inet6", "fd01::1/64")
	for _, node := range []string{"net.inet.ip.forwarding=1", "net.inet6.ip6.forwarding=1"} {
		if r := e.toolAt(router, "rsysctl", "-w", node); r.code != 0 {
			t.Fatalf("rsysctl -w %s: %v", node, r)
		}
	}
	leaf := e.busKernel("s", bus, 2)
	for _, args := range [][]string{{"add", "default", "10.1.0.1"}, {"add", "-inet6", "default", "fd01::1"}} {
		if r := e.toolAt(leaf, "rroute", args...); r.code != 0 {
			t.Fatalf("rroute %s: %v", strings.Join(args, " "), r)
		}
	}
	e.hostSide("tap0", "10.2.0.1/24")
	e.hostSide("tap0", "fd02::1/64")
	e.ip("route", "add", "10.1.0.0/24", "via", "10.2.0.2")
	e.ip("-6", "route", "add", "fd01::/64", "via", "fd02::2")
	e.waitUsableAt(router, "virt0")
	e.waitUsableAt(router, "shmif0")
	e.waitUsableAt(leaf, "shmif0")
	e.ping("10.1.0.2")
	e.ping("fd01::2")
	e.rpingOK(leaf, "10.2.0.1", 3)
	e.rpingOK(leaf, "fd02::1", 3)
}

// shmif_dumpbus -f captures the frames of two kernels pinging each other
// as they pass, and ends cleanly on SIGINT with every frame written.
func TestShmifDumpbusFollow(t *testing.T) {
	if _, err := exec.LookPath("tcpdump"); err != nil {
		testkit.Skip(t, "no tcpdump in PATH (apt-get install tcpdump; scripts/setup.sh does): %v", err)
	}
	e := newEnv(t)
	bus := filepath.Join(e.dir, "bus")
	a := e.busKernel("a", bus, 1)
	b := e.busKernel("b", bus, 2)
	pcap := filepath.Join(e.dir, "follow.pcap")
	cmd := exec.Command(bin("shmif_dumpbus"), "-f", "-p", pcap, bus)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() { cmd.Process.Kill() })

	e.waitUsableAt(a, "shmif0")
	e.waitUsableAt(b, "shmif0")
	e.rpingOK(a, "10.1.0.2", 3)
	want := []string{"IP 10.1.0.1 > 10.1.0.2: ICMP echo request", "IP 10.1.0.2 > 10.1.0.1: ICMP echo reply"}
	// The records are flushed as they come: tcpdump reads them while
	// shmif_dumpbus still runs.
	e.waitFor("the pings in the capture", func() (bool, string) {
		r := e.run(nil, "tcpdump", "-n", "-r", pcap)
		return strings.Contains(r.stdout, want[0]) && strings.Contains(r.stdout, want[1]), r.String()
	})
	cmd.Process.Signal(syscall.SIGINT)
	select {
	case err := <-exited:
		if err != nil || stderr.String() != "" {
			t.Errorf("shmif_dumpbus -f after SIGINT: got %v, stderr %q, want exit 0 and no message", err, stderr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("shmif_dumpbus -f did not exit after SIGINT")
	}
}
