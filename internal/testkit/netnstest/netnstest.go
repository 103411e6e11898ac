// Package netnstest lets in-process tests run inside a network namespace of
// their own, so taps, bridges and addresses they make never reach the host's
// interfaces. It is for tests only and must not be imported by product code.
package netnstest

import (
	"os"
	"runtime"
	"testing"

	"github.com/rumpnet/rumpnet/internal/testkit"
	"github.com/vishvananda/netns"
)

// Run runs f on a locked OS thread inside a new network namespace, which
// goes away (with every link in it) when f returns. It skips the test
// without root or /dev/net/tun, saying how to run it. Subtests started
// inside f run on other threads, outside the namespace.
func Run(t *testing.T, f func()) {
	t.Helper()
	if os.Geteuid() != 0 {
		testkit.Skip(t, "needs root (CAP_NET_ADMIN) and /dev/net/tun: run the tests as root, e.g. sudo go test ./pkg/...")
	}
	if _, err := os.Stat("/dev/net/tun"); err != nil {
		testkit.Skip(t, "no /dev/net/tun: load the tun module (modprobe tun)")
	}
	runtime.LockOSThread()
	// The thread stays locked: it ends with the test goroutine and is never
	// reused in the new namespace.
	orig, err := netns.Get()
	if err != nil {
		t.Fatal(err)
	}
	defer orig.Close()
	ns, err := netns.New()
	if err != nil {
		testkit.Skip(t, "cannot create a network namespace: %v", err)
	}
	defer ns.Close()
	defer netns.Set(orig)
	f()
}
