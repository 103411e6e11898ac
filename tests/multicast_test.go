package tests

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestHijackMulticast joins an IPv4 and an IPv6 group from a program
// under rumphijack, sees the groups in rifmcstat, and receives what a
// program on another kernel of the same shmif bus sends to them.
func TestHijackMulticast(t *testing.T) {
	requireHijack(t, "python3")
	e := newEnv(t)
	bus := filepath.Join(e.dir, "bus")
	a, b := e.busKernel("a", bus, 1), e.busKernel("b", bus, 2)
	e.waitUsableAt(a, "shmif0")
	e.waitUsableAt(b, "shmif0")

	recv := e.hijackBackgroundAt(b, "python3", "-c", `
import socket, struct
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("", 7300))
u.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP,
    socket.inet_aton("239.1.2.3") + socket.inet_aton("0.0.0.0"))
v = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); v.bind(("", 7301))
v.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_JOIN_GROUP,
    socket.inet_pton(socket.AF_INET6, "ff15::1234") + struct.pack("I", 0))
print("joined", flush=True)
print(u.recvfrom(100)[0].decode(), v.recvfrom(100)[0].decode(), flush=True)
`)
	e.waitLine("the receiver joins", recv)
	mc := e.toolAt(b, "rifmcstat")
	for _, want := range []string{"group 239.1.2.3 refcount 1", "group ff15::1234 refcount 1", "01:00:5e:01:02:03", "33:33:00:00:12:34"} {
		if mc.code != 0 || !strings.Contains(mc.stdout, want) {
			t.Errorf("rifmcstat: got %v, want a line with %q", mc, want)
		}
	}

	// The sender names shmif0, the kernel's second interface (index 2),
	// for both families, and repeats until the receiver has both.
	e.hijackBackgroundAt(a, "python3", "-c", `
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton("10.1.0.1"))
s6 = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s6.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, 2)
while True:
    s.sendto(b"four", ("239.1.2.3", 7300))
    s6.sendto(b"six", ("ff15::1234", 7301))
    time.sleep(0.2)
`)
	e.waitFor("the receiver gets both datagrams", func() (bool, string) {
		return strings.Contains(recv.String(), "four six\n"), recv.String()
	})
	// The receiver has exited: its sockets closed, and left the groups.
	e.waitFor("the groups are left", func() (bool, string) {
		r := e.toolAt(b, "rifmcstat")
		return r.code == 0 && !strings.Contains(r.stdout, "239.1.2.3") && !strings.Contains(r.stdout, "ff15::1234"), r.String()
	})
}
