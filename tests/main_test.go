// Package tests is rumpnet's real-process tier: it builds rump_server,
// rifconfig and rhalt once, then drives them as separate processes against
// real host taps, real ping and real TCP, the way a user's script would.
//
// Every test runs in a network namespace of its own (ip netns add rnt-...)
// and removes it, its servers and its socket files when it ends, even when it
// fails; nothing here touches the host's own interfaces or sends traffic
// outside a namespace a test created. Without root, /dev/net/tun or iproute2
// the tests skip and say how to run them.
//
// Golden files live under testdata/; rewrite them with
//
//	go test ./tests/ -run TestWalkthrough -update
package tests

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"

	"golang.org/x/sys/unix"
)

var (
	// testsDir is this package's directory, moduleRoot the module's.
	testsDir, moduleRoot string
	// binDir holds the binaries TestMain built.
	binDir string
)

func TestMain(m *testing.M) {
	flag.Parse()
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		fmt.Fprintln(os.Stderr, "tests: cannot find the test source directory")
		return 1
	}
	testsDir = filepath.Dir(file)
	moduleRoot = filepath.Dir(testsDir)
	// Under /tmp and mode 0755 so that the other-uid tests can run the tools.
	dir, err := os.MkdirTemp("/tmp", "rntbin")
	if err != nil {
		fmt.Fprintf(os.Stderr, "tests: %v\n", err)
		return 1
	}
	defer os.RemoveAll(dir)
	if err := os.Chmod(dir, 0o755); err != nil {
		fmt.Fprintf(os.Stderr, "tests: %v\n", err)
		return 1
	}
	build := exec.Command("go", "build", "-o", dir+string(filepath.Separator), "./cmd/...")
	build.Dir = moduleRoot
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "tests: go build ./cmd/...: %v\n%s", err, out)
		return 1
	}
	binDir = dir
	// Daemonized servers are orphaned at once; as a subreaper this process
	// adopts them instead of init, and reaps them when a test ends (see
	// reapOrphans), so no zombie outlives its test.
	unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
	defer reapOrphans()
	return m.Run()
}

// bin returns the path of a built tool.
func bin(name string) string { return filepath.Join(binDir, name) }
