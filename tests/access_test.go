package tests

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/rumpnet/rumpnet/internal/testkit"
	"golang.org/x/sys/unix"
)

// nobody is the uid and gid the other-user tests run the tools as.
const nobody = 65534

// runAs runs argv as uid/gid nobody with RUMP_SERVER=url. The tools reach
// the server through its socket file, so they need not enter the namespace.
func runAs(url string, argv ...string) result { return runAsUID(nobody, url, argv...) }

func runAsUID(uid uint32, url string, argv ...string) result {
	ctx, cancel := context.WithTimeout(context.Background(), cmdTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Dir = "/"
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Credential: &syscall.Credential{Uid: uid, Gid: uid, Groups: []uint32{}},
	}
	return runCmd(ctx, cmd, []string{"RUMP_SERVER=" + url})
}

// TestOtherUser checks access control: the socket is 0600, so another uid
// cannot connect; once an administrator opens it up with chmod 0666, that
// uid can read but every change is refused with EPERM and nothing changes.
func TestOtherUser(t *testing.T) {
	e := newEnv(t)
	// Only the socket's own mode may stand in the way.
	if err := os.Chmod(e.dir, 0o755); err != nil {
		t.Fatal(err)
	}
	s := e.startServer()
	e.mustRif("virt0", "create")
	before := e.mustRif("-a")

	st, err := os.Stat(e.sock)
	if err != nil {
		t.Fatal(err)
	}
	if got := st.Mode().Perm(); got != 0o600 {
		t.Errorf("socket mode: got %#o, want 0600", got)
	}
	if got := strings.TrimSpace(e.mustRun(nil, "stat", "-c", "%a %U", e.sock)); got != "600 root" {
		t.Errorf("stat -c '%%a %%U' socket: got %q, want %q", got, "600 root")
	}

	t.Run("0600 refuses connect", func(t *testing.T) {
		r := runAs(e.url, bin("rifconfig"), "-a")
		want := "rifconfig: rump client init: " + e.url + ": Permission denied (run as the user who started rump_server, or as root)\n"
		if r.code != 1 || r.stderr != want {
			t.Errorf("rifconfig -a as uid %d: got %v, want exit 1, stderr %q", nobody, r, want)
		}
		r = runAs(e.url, bin("rhalt"))
		if r.code != 1 || !strings.Contains(r.stderr, "Permission denied") {
			t.Errorf("rhalt as uid %d: got %v, want exit 1 and Permission denied", nobody, r)
		}
	})

	if err := os.Chmod(e.sock, 0o666); err != nil {
		t.Fatal(err)
	}

	t.Run("0666 reads", func(t *testing.T) {
		r := runAs(e.url, bin("rifconfig"), "-a")
		if r.code != 0 || r.stdout != before {
			t.Errorf("rifconfig -a as uid %d: got %v, want exit 0 and\n%s", nobody, r, before)
		}
		r = runAs(e.url, bin("rifconfig"), "-l")
		if r.code != 0 || r.stdout != "lo0 virt0\n" {
			t.Errorf("rifconfig -l as uid %d: got %v, want %q", nobody, r, "lo0 virt0\n")
		}
	})

	t.Run("0666 changes refused", func(t *testing.T) {
		tests := []struct {
			argv   []string
			stderr string
		}{
			{[]string{"rifconfig", "virt3", "create"}, "rifconfig: clone_command: Operation not permitted\n"},
			{[]string{"rifconfig", "virt0", "destroy"}, "rifconfig: clone_command: Operation not permitted\n"},
			{[]string{"rifconfig", "lo0", "down"}, "rifconfig: SIOCSIFFLAGS: Operation not permitted\n"},
			{[]string{"rifconfig", "virt0", "linkstr", "tap9"}, "rifconfig: SIOCSLINKSTR: Operation not permitted\n"},
			{[]string{"rifconfig", "lo0", "inet", "10.9.9.9/8", "alias"}, "rifconfig: SIOCAIFADDR: Operation not permitted\n"},
			{[]string{"rifconfig", "lo0", "inet", "127.0.0.1", "delete"}, "rifconfig: SIOCDIFADDR: Operation not permitted\n"},
			{[]string{"rhalt"}, "rhalt: halt: Operation not permitted\n"},
		}
		for _, tt := range tests {
			argv := append([]string{bin(tt.argv[0])}, tt.argv[1:]...)
			r := runAs(e.url, argv...)
			if r.code != 1 || r.stderr != tt.stderr {
				t.Errorf("%s as uid %d: got %v, want exit 1, stderr %q", strings.Join(tt.argv, " "), nobody, r, tt.stderr)
			}
		}
	})

	// Nothing changed, and the server still runs.
	if got := e.mustRif("-a"); got != before {
		t.Errorf("rifconfig -a after the refused changes: got\n%s\nwant\n%s", got, before)
	}
	e.wantLink("tap3", false)
	e.wantLink("tap9", false)
	e.wantLink("tap0", true)
	if info, err := s.c.Info(); err != nil || info.Pid != s.pid {
		t.Errorf("server after the refused halt: got pid %d, %v; want pid %d", info.Pid, err, s.pid)
	}
}

// TestUnprivilegedServer runs rump_server as uid nobody with a persistent
// tap made for that user (ip tuntap add tap4 mode tap user 65534): it can
// use that tap but not create others or take taps that are not its own;
// its owner and root may change the kernel, other uids cannot even connect.
func TestUnprivilegedServer(t *testing.T) {
	e := newEnv(t)
	e.ip("tuntap", "add", "tap4", "mode", "tap", "user", strconv.Itoa(nobody))
	e.ip("tuntap", "add", "tap7", "mode", "tap", "user", "0") // root's
	s := e.startUnprivileged(0o666)
	url := s.url
	if got := strings.TrimSpace(e.mustRun(nil, "stat", "-c", "%a %u", s.sock)); got != "600 "+strconv.Itoa(nobody) {
		t.Errorf("stat -c '%%a %%u' socket: got %q, want %q", got, "600 "+strconv.Itoa(nobody))
	}

	// The owner uses the tap made for it, but cannot create taps or take
	// taps that are not its own.
	if r := runAs(url, bin("rifconfig"), "virt4", "create"); r.code != 0 {
		t.Fatalf("rifconfig virt4 create as the owner: got %v, want exit 0", r)
	}
	for ifname, want := range map[string]string{
		"virt5": "rifconfig: virt5: cannot open tap5: Operation not permitted (creating a tap needs CAP_NET_ADMIN)\n",
		"virt7": "rifconfig: virt7: cannot open tap7: Operation not permitted (tap7 belongs to another user; attaching needs CAP_NET_ADMIN)\n",
	} {
		r := runAs(url, bin("rifconfig"), ifname, "create")
		if r.code != 1 || r.stderr != want {
			t.Errorf("rifconfig %s create as uid %d: got %v, want exit 1, stderr %q", ifname, nobody, r, want)
		}
	}
	e.wantLink("tap5", false)
	if got, want := e.mustRifAt(url, "-l"), "lo0 virt4\n"; got != want {
		t.Errorf("rifconfig -l: got %q, want %q", got, want)
	}

	// Root may change the kernel too.
	e.mustRifAt(url, "virt4", "inet", "10.0.4.2/24", "up")
	e.hostSide("tap4", "10.0.4.1/24")
	e.ping("10.0.4.2")

	// Any other uid cannot connect.
	r := runAsUID(nobody-1, url, bin("rifconfig"), "-l")
	want := "rifconfig: rump client init: " + url + ": Permission denied (run as the user who started rump_server, or as root)\n"
	if r.code != 1 || r.stderr != want {
		t.Errorf("rifconfig -l as uid %d: got %v, want exit 1, stderr %q", nobody-1, r, want)
	}

	if r := runAs(url, bin("rifconfig"), "virt4", "destroy"); r.code != 0 {
		t.Fatalf("rifconfig virt4 destroy as the owner: got %v, want exit 0", r)
	}
	e.wantLink("tap4", true)
	if r := runAs(url, bin("rhalt")); r.code != 0 {
		t.Fatalf("rhalt as the owner: got %v, want exit 0", r)
	}
	if _, err := os.Lstat(s.sock); !os.IsNotExist(err) {
		t.Errorf("socket after rhalt: got %v, want it removed", err)
	}
	e.waitExited(s.pid)
	for _, tap := range []string{"tap4", "tap7"} {
		e.wantLink(tap, true)
	}
}

// TestUnprivilegedNoTunAccess runs rump_server as nobody where it cannot
// open /dev/net/tun: creating virt4 fails with EACCES, even for a tap made
// for it.
func TestUnprivilegedNoTunAccess(t *testing.T) {
	e := newEnv(t)
	e.ip("tuntap", "add", "tap4", "mode", "tap", "user", strconv.Itoa(nobody))
	s := e.startUnprivileged(0o600)
	r := runAs(s.url, bin("rifconfig"), "virt4", "create")
	if want := "rifconfig: virt4: cannot open tap4: Permission denied (/dev/net/tun is not open to this user)\n"; r.code != 1 || r.stderr != want {
		t.Errorf("rifconfig virt4 create: got %v, want exit 1, stderr %q", r, want)
	}
	if got, want := e.mustRifAt(s.url, "-l"), "lo0\n"; got != want {
		t.Errorf("rifconfig -l: got %q, want %q", got, want)
	}
}

// startUnprivileged starts rump_server as uid nobody in the namespace, on a
// socket in a directory nobody owns, and returns it.
//
// /dev/net/tun is often 0600 on test hosts; the server is given its own
// copy of the device node with mode tunMode, bind-mounted over
// /dev/net/tun in a private mount namespace only it sees, so the host's
// device stays as it is.
func (e *env) startUnprivileged(tunMode os.FileMode) *server {
	e.t.Helper()
	for _, tool := range []string{"unshare", "setpriv", "mount", "stat"} {
		if _, err := exec.LookPath(tool); err != nil {
			testkit.Skip(e.t, "no %s in PATH (util-linux); %s", tool, howToRun)
		}
	}
	sockDir := e.nobodyDir()
	tun := filepath.Join(e.dir, "tun")
	if err := syscall.Mknod(tun, syscall.S_IFCHR|0o600, int(unix.Mkdev(10, 200))); err != nil {
		testkit.Skip(e.t, "mknod %s: %v; %s", tun, err, howToRun)
	}
	if err := os.Chmod(tun, tunMode); err != nil {
		e.t.Fatal(err)
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
	r := runCmd(ctx, start, nil)
	if r.code == 99 {
		testkit.Skip(e.t, "cannot bind-mount a tun device node in a private mount namespace: %s; %s", r.stderr, howToRun)
	}
	if r.code != 0 {
		e.t.Fatalf("rump_server as uid %d: got %v, want exit 0", nobody, r)
	}
	info, err := s.c.Info()
	if err != nil {
		e.t.Fatalf("GET /v1/: %v", err)
	}
	s.pid = info.Pid
	e.setInetDAD(s)
	if info.Uid != nobody {
		e.t.Errorf("server uid: got %d, want %d", info.Uid, nobody)
	}
	return s
}

// nobodyDir makes e.dir traversable and returns a directory in it that
// uid nobody owns, for sockets and files of unprivileged servers.
func (e *env) nobodyDir() string {
	e.t.Helper()
	if err := os.Chmod(e.dir, 0o755); err != nil {
		e.t.Fatal(err)
	}
	dir := filepath.Join(e.dir, "u")
	if err := os.Mkdir(dir, 0o755); err != nil {
		e.t.Fatal(err)
	}
	if err := os.Chown(dir, nobody, nobody); err != nil {
		e.t.Fatal(err)
	}
	return dir
}
