package tests

// The host backend: rifconfig with RUMP_SERVER empty configures the links
// of the network namespace it runs in. Each test runs rifconfig inside
// namespaces of its own (newEnv), so the host's real interfaces are never
// seen or touched; a second namespace joined by a veth pair plays the peer
// host that traffic is sent to.

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/rumpnet/rumpnet/internal/testkit"
	"golang.org/x/sys/unix"
)

// hostEnv is RUMP_SERVER set empty: rifconfig acts on the host (here, the
// test's namespace) whatever the test runner's environment says.
var hostEnv = []string{"RUMP_SERVER="}

// hostRif runs rifconfig on the namespace's own links.
func (e *env) hostRif(args ...string) result {
	return e.run(hostEnv, append([]string{bin("rifconfig")}, args...)...)
}

// mustHostRif runs rifconfig on the namespace's links and fails the test
// unless it exits 0 with nothing on stderr; it returns stdout.
func (e *env) mustHostRif(args ...string) string {
	e.t.Helper()
	r := e.hostRif(args...)
	if r.code != 0 || r.stderr != "" {
		e.t.Fatalf("rifconfig %s (host): got %v, want exit 0 and no stderr", strings.Join(args, " "), r)
	}
	return r.stdout
}

// waitHostDAD waits until ifname has carrier (Linux starts DAD then; until
// then its inet6 addresses show DETACHED) and no address in the namespace
// is tentative.
func (e *env) waitHostDAD(ifname string) {
	e.t.Helper()
	e.waitFor(ifname+" has carrier", func() (bool, string) {
		r := e.hostRif("-s", ifname)
		return r.code == 0, r.String()
	})
	e.mustHostRif("-w", "20")
}

var macLine = regexp.MustCompile(`(?m)^\taddress: [0-9a-f]{2}(:[0-9a-f]{2}){5}$`)

// hideMAC replaces the random MAC in rifconfig's output with "MAC".
func hideMAC(s string) string { return macLine.ReplaceAllString(s, "\taddress: MAC") }

// inputPackets reads the input packet count from rifconfig -v output.
func inputPackets(t *testing.T, out string) int {
	t.Helper()
	m := regexp.MustCompile(`\tinput: (\d+) packets?,`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no input counter in\n%s", out)
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

func TestHostCloners(t *testing.T) {
	e := newEnv(t)
	if got := e.mustHostRif("-C"); got != "bridge tap\n" {
		t.Errorf("rifconfig -C: got %q, want %q", got, "bridge tap\n")
	}
}

// TestHostTapAndPeer makes a persistent tap and shows it in NetBSD's format,
// then addresses a veth pair into a peer namespace from both ends and pings
// across in both families; the counters grow and the listings filter.
func TestHostTapAndPeer(t *testing.T) {
	e := newEnv(t)
	peer := newEnv(t)

	e.mustHostRif("tap0", "create")
	if out := e.ip("-d", "link", "show", "dev", "tap0"); !strings.Contains(out, "tun type tap") || !strings.Contains(out, "persist on") {
		t.Errorf("ip -d link show tap0: got\n%s\nwant a persistent tap", out)
	}
	e.mustHostRif("tap0", "inet", "10.0.0.1/24", "up")
	want := "tap0: flags=0x8803<UP,BROADCAST,SIMPLEX,MULTICAST> mtu 1500\n" +
		"\taddress: MAC\n" +
		"\tstatus: no carrier\n" +
		"\tinet 10.0.0.1/24 broadcast 10.0.0.255 flags 0\n"
	if got := hideMAC(e.mustHostRif("tap0")); got != want {
		t.Errorf("rifconfig tap0: got\n%s\nwant\n%s", got, want)
	}

	e.ip("link", "add", "veth0", "type", "veth", "peer", "name", "veth1", "netns", peer.ns)
	e.mustHostRif("veth0", "inet", "10.1.0.1/24")
	e.mustHostRif("veth0", "inet6", "fd00::1/64")
	peer.mustHostRif("veth1", "inet", "10.1.0.2/24")
	peer.mustHostRif("veth1", "inet6", "fd00::2/64")
	e.waitHostDAD("veth0")
	peer.waitHostDAD("veth1")

	before := inputPackets(t, e.mustHostRif("-v", "veth0"))
	e.ping("10.1.0.2")
	e.ping("fd00::2")
	peer.ping("10.1.0.1")
	peer.ping("fd00::1")
	out := e.mustHostRif("-v", "veth0")
	if after := inputPackets(t, out); after < before+12 {
		t.Errorf("veth0 input packets: got %d after 12 echo exchanges, want at least %d\n%s", after, before+12, out)
	}
	for _, line := range []string{
		"veth0: flags=0x8843<UP,BROADCAST,RUNNING,SIMPLEX,MULTICAST> mtu 1500\n",
		"\tstatus: active\n",
		"\toutput: ",
		"\tinet6 fd00::1/64 flags 0\n",
		"\tinet 10.1.0.1/24 broadcast 10.1.0.255 flags 0\n",
	} {
		if !strings.Contains(out, line) {
			t.Errorf("rifconfig -v veth0: got\n%s\nwant a line %q", out, line)
		}
	}
	if !regexp.MustCompile(`\tinet6 fe80::[0-9a-f:]+%veth0/64 flags 0 scopeid 0x[0-9a-f]+\n`).MatchString(out) {
		t.Errorf("rifconfig -v veth0: got\n%s\nwant a scoped link-local inet6 line", out)
	}

	// lo stays down in a fresh namespace.
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"-l"}, "lo tap0 veth0\n"},
		{[]string{"-l", "-u"}, "tap0 veth0\n"},
		{[]string{"-l", "-d"}, "lo\n"},
		{[]string{"-l", "-b"}, "tap0 veth0\n"},
		{[]string{"-l", "-s"}, "veth0\n"},
	} {
		if got := e.mustHostRif(tt.args...); got != tt.want {
			t.Errorf("rifconfig %s: got %q, want %q", strings.Join(tt.args, " "), got, tt.want)
		}
	}
	headers := func(out string) string {
		var names []string
		for _, line := range strings.Split(out, "\n") {
			if name, _, ok := strings.Cut(line, ": flags="); ok && !strings.HasPrefix(line, "\t") {
				names = append(names, name)
			}
		}
		return strings.Join(names, " ")
	}
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"-a"}, "lo tap0 veth0"},
		{[]string{"-a", "-u"}, "tap0 veth0"},
		{[]string{"-a", "-d"}, "lo"},
		{[]string{}, "lo tap0 veth0"},
	} {
		if got := headers(e.mustHostRif(tt.args...)); got != tt.want {
			t.Errorf("rifconfig %s: got interfaces %q, want %q", strings.Join(tt.args, " "), got, tt.want)
		}
	}
	if out := e.mustHostRif("-a", "-d"); !strings.HasPrefix(out, "lo: flags=0x8<LOOPBACK> mtu 65536\n") {
		t.Errorf("rifconfig -a -d: got\n%s\nwant lo down first", out)
	}
	if r := e.hostRif("-s", "veth0"); r.code != 0 {
		t.Errorf("rifconfig -s veth0 (carrier): got %v, want exit 0", r)
	}
	if r := e.hostRif("-s", "tap0"); r.code != 1 || r.stdout != "" || r.stderr != "" {
		t.Errorf("rifconfig -s tap0 (no carrier): got %v, want exit 1 and no output", r)
	}
}

// inetLines returns the inet and inet6 lines of rifconfig IF, sorted as
// they came.
func (e *env) inetLines(ifname string) []string {
	e.t.Helper()
	var lines []string
	for _, line := range strings.Split(e.mustHostRif(ifname), "\n") {
		if strings.HasPrefix(line, "\tinet") {
			lines = append(lines, strings.TrimPrefix(line, "\t"))
		}
	}
	return lines
}

// TestHostAddressRules checks NetBSD's address rules on a host link: a plain
// inet address replaces the first, alias adds, -alias and delete remove,
// inet6 adds, and adding an existing address updates it.
func TestHostAddressRules(t *testing.T) {
	e := newEnv(t)
	e.mustHostRif("tap0", "create")
	has := func(step string, want, notWant []string) {
		t.Helper()
		lines := strings.Join(e.inetLines("tap0"), "\n") + "\n"
		for _, w := range want {
			if !strings.Contains(lines, w+"\n") {
				t.Errorf("%s: got\n%swant a line %q", step, lines, w)
			}
		}
		for _, w := range notWant {
			if strings.Contains(lines, w) {
				t.Errorf("%s: got\n%swant no %q", step, lines, w)
			}
		}
	}
	e.mustHostRif("tap0", "inet", "10.0.0.1/24")
	has("first address", []string{"inet 10.0.0.1/24 broadcast 10.0.0.255 flags 0"}, nil)
	if out := e.mustHostRif("tap0"); !strings.Contains(out, "<UP,") {
		t.Errorf("the first address did not bring tap0 up:\n%s", out)
	}
	e.mustHostRif("tap0", "inet", "10.0.0.2/24", "alias")
	has("alias", []string{"inet 10.0.0.1/24 broadcast 10.0.0.255 flags 0", "inet 10.0.0.2/24 broadcast 10.0.0.255 flags 0"}, nil)
	e.mustHostRif("tap0", "inet", "10.0.0.3", "netmask", "255.255.255.0")
	has("plain inet replaces the first", []string{"inet 10.0.0.2/24 broadcast 10.0.0.255 flags 0",
		"inet 10.0.0.3/24 broadcast 10.0.0.255 flags 0"}, []string{"10.0.0.1/"})
	e.mustHostRif("tap0", "inet", "10.0.0.2/24", "alias")
	has("alias again updates", []string{"inet 10.0.0.2/24 broadcast 10.0.0.255 flags 0"}, nil)
	if n := len(e.inetLines("tap0")); n != 2 {
		t.Errorf("alias again: got %d addresses, want 2", n)
	}
	e.mustHostRif("tap0", "inet", "10.0.0.2", "-alias")
	has("-alias", []string{"inet 10.0.0.3/24 broadcast 10.0.0.255 flags 0"}, []string{"10.0.0.2/"})
	e.mustHostRif("tap0", "inet", "10.0.0.3", "delete")
	has("delete", nil, []string{"10.0.0.3/"})

	e.mustHostRif("tap0", "inet6", "fc00::1/64")
	e.mustHostRif("tap0", "inet6", "fc00::2/64")
	// tap0 has no carrier (nothing reads it): DAD waits, as NetBSD's
	// DETACHED says.
	has("inet6 adds", []string{"inet6 fc00::1/64 flags 0x8<DETACHED>", "inet6 fc00::2/64 flags 0x8<DETACHED>"}, nil)
	e.mustHostRif("tap0", "inet6", "fc00::2/64", "deprecated")
	has("deprecated", []string{"inet6 fc00::2/64 flags 0x18<DETACHED,DEPRECATED>"}, nil)
	e.mustHostRif("tap0", "inet6", "fc00::2/64", "-deprecated")
	has("-deprecated", []string{"inet6 fc00::2/64 flags 0x8<DETACHED>"}, nil)
	e.mustHostRif("tap0", "inet6", "fc00::1", "delete")
	has("inet6 delete", []string{"inet6 fc00::2/64 flags 0x8<DETACHED>"}, []string{"fc00::1/"})
	// -w waits for tentative addresses only, so it returns at once.
	e.mustHostRif("-w", "5")

	r := e.hostRif("tap0", "inet", "10.0.0.9", "delete")
	if want := "rifconfig: SIOCDIFADDR: Can't assign requested address\n"; r.code != 1 || r.stderr != want {
		t.Errorf("delete a missing address: got %v, want exit 1 and %q", r, want)
	}
	r = e.hostRif("tap0", "delete")
	if want := "rifconfig: SIOCDIFADDR: Can't assign requested address\n"; r.code != 1 || r.stderr != want {
		t.Errorf("delete with no inet address left: got %v, want exit 1 and %q", r, want)
	}
}

// TestHostLinkSettings checks mtu (a bad value only warns, as NetBSD) and
// link MAC active.
func TestHostLinkSettings(t *testing.T) {
	e := newEnv(t)
	e.mustHostRif("tap0", "create")
	e.mustHostRif("tap0", "mtu", "1280")
	if out := e.mustHostRif("tap0"); !strings.HasSuffix(strings.SplitN(out, "\n", 2)[0], " mtu 1280") {
		t.Errorf("rifconfig tap0 after mtu 1280: got\n%s", out)
	}
	r := e.hostRif("tap0", "mtu", "99999")
	if want := "rifconfig: SIOCSIFMTU: Invalid argument\n"; r.code != 0 || r.stderr != want {
		t.Errorf("mtu 99999: got %v, want exit 0 and the warning %q", r, want)
	}
	if out := e.mustHostRif("tap0"); !strings.Contains(out, " mtu 1280\n") {
		t.Errorf("rifconfig tap0 after a refused mtu: got\n%s\nwant mtu 1280 kept", out)
	}

	e.mustHostRif("tap0", "up")
	e.mustHostRif("tap0", "link", "b2:0a:00:0b:0e:05", "active")
	if out := e.mustHostRif("tap0"); !strings.Contains(out, "\taddress: b2:0a:00:0b:0e:05\n") {
		t.Errorf("rifconfig tap0 after link active: got\n%s\nwant address b2:0a:00:0b:0e:05", out)
	}
	if out := e.ip("link", "show", "dev", "tap0"); !strings.Contains(out, "link/ether b2:0a:00:0b:0e:05 ") {
		t.Errorf("ip link show tap0: got\n%s\nwant link/ether b2:0a:00:0b:0e:05", out)
	}
	r = e.hostRif("tap0", "link", "b2:0a:00:0b:0e:05", "delete")
	if want := "rifconfig: SIOCDLIFADDR: Device busy\n"; r.code != 1 || r.stderr != want {
		t.Errorf("link delete of the active address: got %v, want exit 1 and %q", r, want)
	}
	r = e.hostRif("tap0", "link", "b2:0a:00:0b:0e:06")
	if r.code != 1 || !strings.Contains(r.stderr, "single link address") {
		t.Errorf("inactive link address: got %v, want exit 1 and a message about the single link address", r)
	}
}

// TestHostBridge creates and destroys a Linux bridge.
func TestHostBridge(t *testing.T) {
	e := newEnv(t)
	e.mustHostRif("bridge0", "create")
	if out := e.ip("-d", "link", "show", "dev", "bridge0"); !strings.Contains(out, "bridge forward_delay") {
		t.Errorf("ip -d link show bridge0: got\n%s\nwant a bridge", out)
	}
	e.mustHostRif("bridge0", "up")
	// A bridge without ports has carrier on some kernels and not on others.
	header := regexp.MustCompile(`^bridge0: flags=0x88[04]3<UP,BROADCAST,(RUNNING,)?SIMPLEX,MULTICAST> mtu 1500\n\taddress: `)
	if out := e.mustHostRif("bridge0"); !header.MatchString(out) {
		t.Errorf("rifconfig bridge0: got\n%s\nwant it up, with an address", out)
	}
	e.mustHostRif("bridge0", "destroy")
	e.wantLink("bridge0", false)
	r := e.hostRif("bridge0", "destroy")
	if want := "rifconfig: clone_command: Device not configured\n"; r.code != 1 || r.stderr != want {
		t.Errorf("destroy bridge0 again: got %v, want exit 1 and %q", r, want)
	}
	// Made and destroyed in one command.
	e.mustHostRif("bridge1", "create", "up")
	e.mustHostRif("bridge1", "destroy")
	e.wantLink("bridge1", false)
}

// TestHostOwnedTap makes tap1 for user nobody; a rump_server running as
// nobody attaches its virt1 to it, but not to tap2, made for root.
//
// /dev/net/tun is often 0600 on test hosts; as in TestUnprivilegedServer,
// the server gets a 0666 copy of the device node, bind-mounted in a private
// mount namespace only it sees.
func TestHostOwnedTap(t *testing.T) {
	e := newEnv(t)
	e.mustHostRif("tap1", "create", "user", "nobody")
	e.mustHostRif("tap2", "create", "user", "0")
	out := e.ip("-d", "link", "show", "dev", "tap1")
	if !strings.Contains(out, "persist on") || !strings.Contains(out, "user nobody") && !strings.Contains(out, "user 65534") {
		t.Fatalf("ip -d link show tap1: got\n%s\nwant a persistent tap owned by nobody", out)
	}
	r := e.hostRif("tap3", "create", "user", "no-such-user-here")
	if r.code != 1 || r.stderr != "rifconfig: user no-such-user-here: no such user\n" {
		t.Errorf("create with an unknown user: got %v, want exit 1 and \"user ...: no such user\"", r)
	}
	e.wantLink("tap3", false)

	for _, tool := range []string{"unshare", "setpriv", "mount"} {
		if _, err := exec.LookPath(tool); err != nil {
			testkit.Skip(t, "no %s in PATH (util-linux); %s", tool, howToRun)
		}
	}
	sockDir := e.nobodyDir()
	tun := filepath.Join(e.dir, "tun")
	if err := syscall.Mknod(tun, syscall.S_IFCHR|0o666, int(unix.Mkdev(10, 200))); err != nil {
		testkit.Skip(t, "mknod %s: %v; %s", tun, err, howToRun)
	}
	if err := os.Chmod(tun, 0o666); err != nil {
		t.Fatal(err)
	}
	url := "unix://" + filepath.Join(sockDir, "ctl")
	s := e.addServer(url)
	ctx, cancel := context.WithTimeout(context.Background(), cmdTimeout)
	defer cancel()
	start := exec.CommandContext(ctx, "unshare", "-m", "--propagation", "private", "sh", "-c",
		`mount --bind "$1" /dev/net/tun || exit 99; shift; exec "$@"`, "sh", tun,
		"ip", "netns", "exec", e.ns,
		"setpriv", "--reuid="+strconv.Itoa(nobody), "--regid="+strconv.Itoa(nobody), "--clear-groups",
		bin("rump_server"), url)
	r = runCmd(ctx, start, nil)
	if r.code == 99 {
		testkit.Skip(t, "cannot bind-mount a tun device node in a private mount namespace: %s; %s", r.stderr, howToRun)
	}
	if r.code != 0 {
		t.Fatalf("rump_server as uid %d: got %v, want exit 0", nobody, r)
	}
	info, err := s.c.Info()
	if err != nil {
		t.Fatalf("GET /v1/: %v", err)
	}
	s.pid = info.Pid
	e.setInetDAD(s)

	if r := runAs(url, bin("rifconfig"), "virt1", "create"); r.code != 0 {
		t.Fatalf("rifconfig virt1 create as nobody, on tap1 made with user nobody: got %v, want exit 0", r)
	}
	r = runAs(url, bin("rifconfig"), "virt2", "create")
	if want := "rifconfig: virt2: cannot open tap2: Operation not permitted (tap2 belongs to another user; attaching needs CAP_NET_ADMIN)\n"; r.code != 1 || r.stderr != want {
		t.Errorf("rifconfig virt2 create as nobody, on tap2 made for root: got %v, want exit 1, stderr %q", r, want)
	}
	// Traffic flows between the host's tap1 and nobody's virt1.
	e.mustHostRif("tap1", "inet", "10.0.1.1/24", "up")
	e.mustRifAt(url, "virt1", "inet", "10.0.1.2/24", "up")
	e.ping("10.0.1.2")
}

// TestHostRefusals checks that what the host cannot do fails with a clear
// message and exit 1, changing nothing, and that the usual errors read as
// on NetBSD.
func TestHostRefusals(t *testing.T) {
	e := newEnv(t)
	peer := newEnv(t)
	e.mustHostRif("tap0", "create")
	e.ip("link", "add", "veth0", "type", "veth", "peer", "name", "veth1", "netns", peer.ns)
	before := e.mustHostRif("-a")

	tests := []struct {
		args   []string
		stderr string // exact, or with contains a part
		// contains: stderr need only contain the text
		contains bool
	}{
		{[]string{"lo", "destroy"}, "rifconfig: destroy: lo is the loopback interface, not a tap or a bridge; on the Linux host rifconfig destroys only those\n", false},
		{[]string{"veth0", "destroy"}, "rifconfig: destroy: veth0 is a veth link, not a tap or a bridge; on the Linux host rifconfig destroys only those\n", false},
		{[]string{"tap0", "metric", "3"}, "rifconfig: metric: the Linux host has no interface metric (routes carry their own)\n", false},
		{[]string{"tap0", "linkstr", "tap9"}, "rifconfig: linkstr: Linux host interfaces have no link string\n", false},
		{[]string{"tap0", "-linkstr"}, "rifconfig: linkstr: Linux host interfaces have no link string\n", false},
		{[]string{"tap0", "debug"}, "rifconfig: debug: the Linux host backend does not set the debug flag (Linux drivers ignore it)\n", false},
		{[]string{"tap0", "link0"}, "rifconfig: link0: Linux interfaces have no link0 flag\n", false},
		{[]string{"tap0", "ip4csum"}, "rifconfig: capabilities: ", true},
		{[]string{"tap0", "inet6", "fc00::1/64", "anycast"}, "rifconfig: anycast: the Linux host cannot assign anycast addresses to interfaces\n", false},
		{[]string{"bridge1", "create", "user", "nobody"}, "rifconfig: user: only taps have an owner on the Linux host; bridge1 is a bridge\n", false},
		{[]string{"tap0", "link", "b2:0a:00:0b:0e:09"}, "rifconfig: link: a Linux interface has a single link address", true},
		{[]string{"foo0", "create"}, "rifconfig: clone_command: Invalid argument\n", false},
		{[]string{"tap0", "create"}, "rifconfig: clone_command: File exists\n", false},
		{[]string{"veth0", "create"}, "rifconfig: clone_command: Invalid argument\n", false},
		{[]string{"tap9", "destroy"}, "rifconfig: clone_command: Device not configured\n", false},
		{[]string{"nosuch0"}, "rifconfig: SIOCGIFFLAGS nosuch0: Device not configured\n", false},
		{[]string{"nosuch0", "up"}, "rifconfig: exec_matches: Device not configured\n", false},
	}
	for _, tt := range tests {
		r := e.hostRif(tt.args...)
		line := "rifconfig " + strings.Join(tt.args, " ")
		if r.code != 1 {
			t.Errorf("%s: got exit %d (%v), want 1", line, r.code, r)
		}
		if tt.contains && !strings.HasPrefix(r.stderr, tt.stderr) || !tt.contains && r.stderr != tt.stderr {
			t.Errorf("%s: got stderr %q, want %q", line, r.stderr, tt.stderr)
		}
		if r.stdout != "" {
			t.Errorf("%s: got stdout %q, want none", line, r.stdout)
		}
	}

	// -z prints, then says it cannot zero.
	r := e.hostRif("-z", "tap0")
	if want := "rifconfig: -z: the Linux kernel cannot zero interface counters\n"; r.code != 1 || r.stderr != want ||
		!strings.Contains(r.stdout, "\tinput: 0 packets, 0 bytes\n") {
		t.Errorf("rifconfig -z tap0: got %v, want exit 1, the counters on stdout and stderr %q", r, want)
	}

	if got := e.mustHostRif("-a"); got != before {
		t.Errorf("rifconfig -a after the refusals: got\n%s\nwant\n%s", got, before)
	}
	for _, name := range []string{"lo", "veth0", "tap0"} {
		e.wantLink(name, true)
	}
	e.wantLink("bridge1", false)
}
