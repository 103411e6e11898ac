package hosttap

import (
	"errors"
	"net"
	"os/exec"
	"strings"
	"syscall"
	"testing"

	"github.com/rumpnet/rumpnet/internal/testkit"
	"github.com/rumpnet/rumpnet/internal/testkit/netnstest"
	"github.com/vishvananda/netlink"
)

func TestOpenCreatesAndRemoves(t *testing.T) {
	netnstest.Run(t, func() {
		tap, err := Open("tap0")
		if err != nil {
			t.Fatal(err)
		}
		if tap.Persistent() {
			t.Errorf("new tap: got persistent, want not")
		}
		if _, err := Open("tap0"); !errors.Is(err, syscall.EBUSY) || !strings.Contains(err.Error(), "held open") {
			t.Errorf("second open: got %v, want EBUSY explained", err)
		}
		tap.Close()
		if _, err := tap.Read(make([]byte, 64)); !IsClosed(err) {
			t.Errorf("read after close: got %v, want closed", err)
		}
	})
}

func TestPersistentTapStays(t *testing.T) {
	netnstest.Run(t, func() {
		if err := CreatePersistent("tap5", -1); err != nil {
			t.Fatal(err)
		}
		tap, err := Open("tap5")
		if err != nil {
			t.Fatal(err)
		}
		if !tap.Persistent() {
			t.Errorf("got not persistent, want persistent")
		}
		tap.Close()
		out, _ := exec.Command("ip", "-o", "link", "show", "tap5").CombinedOutput()
		if !strings.Contains(string(out), "tap5") {
			t.Errorf("tap5 gone after close: %s", out)
		}
	})
}

func TestOpenExplainsWrongDevice(t *testing.T) {
	netnstest.Run(t, func() {
		if out, err := exec.Command("ip", "link", "add", "tap3", "type", "veth", "peer", "name", "x3").CombinedOutput(); err != nil {
			testkit.Skip(t, "cannot add a veth link: %v %s", err, out)
		}
		_, err := Open("tap3")
		if err == nil || !strings.Contains(err.Error(), "not a tap") {
			t.Errorf("got %v, want an error saying tap3 is not a tap", err)
		}
	})
}

func TestOpenBadName(t *testing.T) {
	if _, err := Open("a-name-far-too-long"); !errors.Is(err, syscall.EINVAL) {
		t.Errorf("got %v, want EINVAL", err)
	}
}

func TestCreatedTapQueueAndOffloads(t *testing.T) {
	netnstest.Run(t, func() {
		tap, err := Open("tap3")
		if err != nil {
			t.Fatal(err)
		}
		defer tap.Close()
		l, err := netlink.LinkByName("tap3")
		if err != nil {
			t.Fatal(err)
		}
		if q := l.Attrs().TxQLen; q != txQueueLen {
			t.Errorf("txqueuelen: got %d, want %d", q, txQueueLen)
		}
		if tap.VnetHdrLen() != 10 {
			t.Errorf("virtio-net header: got %d bytes, want 10", tap.VnetHdrLen())
		}
	})
}

// TestVecIOAllocatesNothing checks that Readv and Writev, the frame path,
// allocate nothing per call. The host sends UDP datagrams to a static
// neighbour behind the tap for Readv to read.
func TestVecIOAllocatesNothing(t *testing.T) {
	netnstest.Run(t, func() {
		tap, err := Open("tap0")
		if err != nil {
			t.Fatal(err)
		}
		defer tap.Close()
		l, err := netlink.LinkByName("tap0")
		if err != nil {
			t.Fatal(err)
		}
		addr, _ := netlink.ParseAddr("10.0.0.1/24")
		if err := netlink.AddrAdd(l, addr); err != nil {
			t.Fatal(err)
		}
		if err := netlink.LinkSetUp(l); err != nil {
			t.Fatal(err)
		}
		peer := net.IPv4(10, 0, 0, 2)
		err = netlink.NeighAdd(&netlink.Neigh{LinkIndex: l.Attrs().Index, State: netlink.NUD_PERMANENT,
			IP: peer, HardwareAddr: net.HardwareAddr{2, 0, 0, 0, 0, 2}})
		if err != nil {
			t.Fatal(err)
		}
		c, err := net.DialUDP("udp4", nil, &net.UDPAddr{IP: peer, Port: 9})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		const runs = 100
		for range runs + 10 { // AllocsPerRun runs once more to warm up
			if _, err := c.Write([]byte("frame for Readv")); err != nil {
				t.Fatal(err)
			}
		}
		hdr, frame := make([]byte, VnetHdrLen), make([]byte, 65536)
		bufs := [][]byte{hdr, frame}
		if n := testing.AllocsPerRun(runs, func() {
			if _, err := tap.Readv(bufs); err != nil {
				t.Fatal(err)
			}
		}); n != 0 {
			t.Errorf("Readv: %v allocations per call, want 0", n)
		}
		// An ARP request from 10.0.0.2 to the host, with an empty header.
		arp := append(make([]byte, VnetHdrLen), []byte{
			0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0, 2, 0x08, 0x06,
			0, 1, 8, 0, 6, 4, 0, 1, 2, 0, 0, 0, 0, 2, 10, 0, 0, 2, 0, 0, 0, 0, 0, 0, 10, 0, 0, 1}...)
		out := [][]byte{arp[:VnetHdrLen], arp[VnetHdrLen:]}
		if n := testing.AllocsPerRun(runs, func() {
			if _, err := tap.Writev(out); err != nil {
				t.Fatal(err)
			}
		}); n != 0 {
			t.Errorf("Writev: %v allocations per call, want 0", n)
		}
	})
}

func TestLinkKind(t *testing.T) {
	netnstest.Run(t, func() {
		for _, argv := range [][]string{
			{"ip", "link", "add", "v0", "type", "veth", "peer", "name", "v1"},
			{"ip", "tuntap", "add", "dev", "tun7", "mode", "tun"},
			{"ip", "tuntap", "add", "dev", "tap7", "mode", "tap"},
		} {
			if out, err := exec.Command(argv[0], argv[1:]...).CombinedOutput(); err != nil {
				t.Fatalf("%v: %v %s", argv, err, out)
			}
		}
		for _, tt := range []struct {
			name, kind string
			tap, found bool
		}{
			{"lo", "", false, true},
			{"v0", "veth", false, true},
			{"tun7", "tun", false, true},
			{"tap7", "tun", true, true},
			{"nosuch", "", false, false},
		} {
			kind, tap, found, err := linkKind(tt.name)
			if err != nil || kind != tt.kind || tap != tt.tap || found != tt.found {
				t.Errorf("%s: got %q tap %v found %v (%v), want %q tap %v found %v",
					tt.name, kind, tap, found, err, tt.kind, tt.tap, tt.found)
			}
		}
		if _, err := Open("v0"); err == nil || !strings.Contains(err.Error(), "is a veth device, not a tap") {
			t.Errorf("open v0: got %v, want it explained as a veth device", err)
		}
	})
}

func TestAttachReason(t *testing.T) {
	tap := hostLink{found: true, kind: "tun", tap: true}
	tests := []struct {
		name string
		err  error
		link hostLink
		want string
	}{
		{"no device, no capability", syscall.EPERM, hostLink{}, "creating a tap needs CAP_NET_ADMIN"},
		{"no device, other errno", syscall.EINVAL, hostLink{}, ""},
		{"busy tap", syscall.EBUSY, tap, "tap0 is held open by another process"},
		{"someone else's tap", syscall.EPERM, tap, "tap0 belongs to another user; attaching needs CAP_NET_ADMIN"},
		{"a veth", syscall.EINVAL, hostLink{found: true, kind: "veth"}, "tap0 exists and is a veth device, not a tap"},
		{"a physical NIC", syscall.EINVAL, hostLink{found: true}, "tap0 exists and is a network device, not a tap"},
		{"a tun", syscall.EINVAL, hostLink{found: true, kind: "tun"}, "tap0 is a tun device, not a tap"},
		{"a tap, other errno", syscall.EINVAL, tap, ""},
	}
	for _, tt := range tests {
		if got := attachReason("tap0", tt.err, tt.link); got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestOpenErrorMessage(t *testing.T) {
	tests := []struct {
		err  *OpenError
		want string
	}{
		{&OpenError{Name: "tap0", Err: syscall.EPERM, Reason: "creating a tap needs CAP_NET_ADMIN"},
			"open tap tap0: operation not permitted (creating a tap needs CAP_NET_ADMIN)"},
		{&OpenError{Name: "tap1", Err: syscall.EINVAL}, "open tap tap1: invalid argument"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("got %q, want %q", got, tt.want)
		}
		if !errors.Is(tt.err, tt.err.Err) {
			t.Errorf("%v: got no errno in the chain, want %v", tt.err, tt.err.Err)
		}
	}
	if got, want := tunReason(syscall.ENOENT), "no /dev/net/tun: the host needs the tun module"; got != want {
		t.Errorf("tunReason(ENOENT): got %q, want %q", got, want)
	}
}
