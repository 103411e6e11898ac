package hosttap

import (
	"errors"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"

	"github.com/rumpnet/rumpnet/internal/netnstest"
	"github.com/vishvananda/netlink"
)

func linkExists(name string) bool {
	_, err := os.Stat("/sys/class/net/" + name)
	return err == nil
}

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
			t.Skipf("cannot add a veth link: %v %s", err, out)
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
