package tests

// The virt data path with offloads (virtio-net headers, TSO super-frames
// both ways, partial checksums): large TCP transfers in both directions
// and both families, verified byte for byte, at MTU 1500 and 65520; UDP
// and ICMP, fragmented too; TCP forwarded by the kernel and through a rump
// bridge, where the host's super-frames must be cut to the MTU.

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/vishvananda/netns"
)

// inNamespace runs f on a thread inside namespace ns; sockets f opens stay
// in ns and may be used from any goroutine afterwards.
func inNamespace(t *testing.T, ns string, f func()) {
	t.Helper()
	done := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := netns.Get()
		if err != nil {
			done <- err
			return
		}
		defer orig.Close()
		h, err := netns.GetFromName(ns)
		if err != nil {
			done <- err
			return
		}
		defer h.Close()
		if err := netns.Set(h); err != nil {
			done <- err
			return
		}
		f()
		// Back home before the thread is shared again; if that fails the
		// thread stays locked and ends with this goroutine. (The harness
		// kills every process with a thread left in the namespace.)
		if err := netns.Set(orig); err == nil {
			runtime.UnlockOSThread()
		}
		done <- nil
	}()
	if err := <-done; err != nil {
		t.Fatalf("enter namespace %s: %v", ns, err)
	}
}

func dialIn(t *testing.T, ns, network, addr string) net.Conn {
	t.Helper()
	var c net.Conn
	var err error
	inNamespace(t, ns, func() { c, err = net.DialTimeout(network, addr, 10*time.Second) })
	if err != nil {
		t.Fatalf("dial %s %s in %s: %v", network, addr, ns, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// echoCheck sends n random bytes to an echo server over c and checks that
// exactly they come back.
func echoCheck(t *testing.T, c net.Conn, n int) {
	t.Helper()
	data := make([]byte, n)
	rand.Read(data)
	c.SetDeadline(time.Now().Add(60 * time.Second))
	go func() { c.Write(data) }()
	got := make([]byte, n)
	if _, err := io.ReadFull(c, got); err != nil {
		t.Fatalf("echo of %d bytes: %v", n, err)
	}
	if sha256.Sum256(got) != sha256.Sum256(data) {
		t.Fatalf("echo of %d bytes: data differs", n)
	}
}

// chargenCheck reads n bytes from a chargen server and checks RFC 864's
// rotating pattern.
func chargenCheck(t *testing.T, c net.Conn, n int) {
	t.Helper()
	c.SetDeadline(time.Now().Add(60 * time.Second))
	got := make([]byte, n)
	if _, err := io.ReadFull(c, got); err != nil {
		t.Fatalf("chargen: %v", err)
	}
	for i := 0; i < n; {
		line := i / 74
		for j := 0; j < 74 && i < n; j, i = j+1, i+1 {
			want := byte(32 + (line+j)%95)
			if j == 72 {
				want = '\r'
			} else if j == 73 {
				want = '\n'
			}
			if got[i] != want {
				t.Fatalf("chargen byte %d: got %q, want %q", i, got[i], want)
			}
		}
	}
}

func TestOffloadTransfers(t *testing.T) {
	e := pingEnv(t) // virt0 10.0.0.2/24 fc00::2/64 on tap0 (10.0.0.1, fc00::1)
	for _, node := range []string{"net.inet.tcp.small_servers=1", "net.inet.udp.small_servers=1"} {
		e.mustRun([]string{"RUMP_SERVER=" + e.url}, bin("rsysctl"), "-w", node)
	}
	for _, mtu := range []string{"1500", "65520"} {
		e.mustRif("virt0", "mtu", mtu)
		e.ip("link", "set", "tap0", "mtu", mtu)
		for _, host := range []string{"10.0.0.2", "[fc00::2]"} {
			t.Run(fmt.Sprintf("mtu %s %s", mtu, host), func(t *testing.T) {
				echoCheck(t, dialIn(t, e.ns, "tcp", host+":7"), 32<<20)
				chargenCheck(t, dialIn(t, e.ns, "tcp", host+":19"), 16<<20)
				d := dialIn(t, e.ns, "tcp", host+":9")
				if _, err := d.Write(make([]byte, 64<<20)); err != nil {
					t.Errorf("discard: %v", err)
				}
				u := dialIn(t, e.ns, "udp", host+":7")
				for _, n := range []int{1, 1400, 8000, 30000} {
					msg := bytes.Repeat([]byte{byte(n)}, n)
					u.SetDeadline(time.Now().Add(5 * time.Second))
					u.Write(msg)
					got := make([]byte, 65536)
					k, err := u.Read(got)
					if err != nil || !bytes.Equal(got[:k], msg) {
						t.Errorf("udp echo of %d bytes: got %d bytes, %v", n, k, err)
					}
				}
			})
		}
		for _, argv := range [][]string{
			{"ping", "-c", "2", "-i", "0.2", "-s", "8000", "10.0.0.2"},
			{"ping", "-6", "-c", "2", "-i", "0.2", "-s", "8000", "fc00::2"},
		} {
			if r := e.run(nil, argv...); r.code != 0 || !strings.Contains(r.stdout, " 0% packet loss") {
				t.Errorf("mtu %s: %s: %v", mtu, strings.Join(argv, " "), r)
			}
		}
	}
}

// serveEcho listens on addr in namespace ns and echoes every connection.
func serveEcho(t *testing.T, ns, addr string) {
	t.Helper()
	var l net.Listener
	var err error
	inNamespace(t, ns, func() { l, err = net.Listen("tcp", addr) })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() { defer c.Close(); io.Copy(c, c) }()
		}
	}()
}

// TCP between A and B through the kernel as a router: A's super-frames
// reach virt0 and must leave virt1 as frames of B's MTU.
func TestOffloadForwarded(t *testing.T) {
	r := newRouter(t)
	r.mustRun([]string{"RUMP_SERVER=" + r.url}, bin("rsysctl"), "-w", "net.inet.ip.forwarding=1")
	r.mustRun([]string{"RUMP_SERVER=" + r.url}, bin("rsysctl"), "-w", "net.inet6.ip6.forwarding=1")
	serveEcho(t, r.b, ":5001")
	echoCheck(t, dialIn(t, r.a, "tcp", "10.0.2.1:5001"), 32<<20)
	echoCheck(t, dialIn(t, r.a, "tcp", "[fd02::1]:5001"), 32<<20)
}

// TCP between A and B through a rump bridge of virt0 and virt1.
func TestOffloadBridged(t *testing.T) {
	e := newEnv(t)
	a, b := e.peerNamespace("a"), e.peerNamespace("b")
	e.startServer()
	e.mustRif("virt0", "create", "up")
	e.mustRif("virt1", "create", "up")
	e.mustRif("bridge0", "create")
	e.mustBrAt(e.url, "bridge0", "add", "virt0", "virt1", "up")
	for _, side := range []struct{ tap, ns, v4, v6 string }{
		{"tap0", a, "10.0.3.1/24", "fd03::1/64"}, {"tap1", b, "10.0.3.2/24", "fd03::2/64"},
	} {
		e.ip("link", "set", side.tap, "netns", side.ns)
		for _, argv := range [][]string{
			{"ip", "link", "set", "lo", "up"},
			{"ip", "addr", "add", side.v4, "dev", side.tap},
			{"ip", "addr", "add", side.v6, "dev", side.tap, "nodad"},
			{"ip", "link", "set", side.tap, "up"},
		} {
			e.mustRun(nil, append([]string{"ip", "netns", "exec", side.ns}, argv...)...)
		}
	}
	serveEcho(t, b, ":5001")
	e.waitFor("A reaches B through the bridge", func() (bool, string) {
		r := e.run(nil, "ip", "netns", "exec", a, "ping", "-c", "1", "-W", "1", "10.0.3.2")
		return r.code == 0, r.String()
	})
	echoCheck(t, dialIn(t, a, "tcp", "10.0.3.2:5001"), 32<<20)
	echoCheck(t, dialIn(t, a, "tcp", "[fd03::2]:5001"), 32<<20)
}

// TCP from A, behind a tap, through a rump bridge to a kernel on a shmif
// bus (the tap's super-frames and partial checksums are cut and completed
// for the bus) and to the bridging kernel's own address on the tap's member
// (delivered with the tap's offloads).
func TestOffloadBridgedToShmif(t *testing.T) {
	e := newEnv(t)
	a := e.peerNamespace("a")
	bus := filepath.Join(e.dir, "bus")
	e.startServer()
	e.mustRif("virt0", "create", "up")
	e.mustRif("virt0", "inet", "10.0.5.3/24")
	e.mustRif("shmif0", "create")
	e.mustRif("shmif0", "linkstr", bus)
	e.mustRif("shmif0", "up")
	e.mustRif("bridge0", "create")
	e.mustBrAt(e.url, "bridge0", "add", "virt0", "shmif0", "up")
	c := e.bridgeKernel("c", nil, bus)
	e.mustRifAt(c, "shmif0", "inet", "10.0.5.2/24")
	for _, url := range []string{e.url, c} {
		if r := e.toolAt(url, "rsysctl", "-w", "net.inet.tcp.small_servers=1"); r.code != 0 {
			t.Fatalf("small servers at %s: %s", url, r)
		}
	}
	e.ip("link", "set", "tap0", "netns", a)
	for _, argv := range [][]string{
		{"ip", "link", "set", "lo", "up"},
		{"ip", "addr", "add", "10.0.5.1/24", "dev", "tap0"},
		{"ip", "link", "set", "tap0", "up"},
	} {
		e.mustRun(nil, append([]string{"ip", "netns", "exec", a}, argv...)...)
	}
	for _, dst := range []string{"10.0.5.2", "10.0.5.3"} {
		e.waitFor("A reaches "+dst, func() (bool, string) {
			r := e.run(nil, "ip", "netns", "exec", a, "ping", "-c", "1", "-W", "1", dst)
			return r.code == 0, r.String()
		})
		echoCheck(t, dialIn(t, a, "tcp", dst+":7"), 8<<20)
	}
}
