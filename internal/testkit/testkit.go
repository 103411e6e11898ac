// Package testkit holds helpers shared by rumpnet's tests, and its
// subpackages the larger kits: framepipe (an in-memory frame wire), ktest
// (an in-process kernel behind a real control socket), golden (golden
// files), conform (NetBSD conformance cases) and netnstest (a private
// network namespace). It is for tests only and must not be imported by
// product code.
package testkit

import (
	"os"
	"strings"
	"testing"
)

// RequireAllEnv names the environment variable that makes a missing
// privilege or tool a failure instead of a skip. CI sets it to 1, so a
// machine that lacks root, /dev/net/tun, ip netns, tcpdump or mandoc cannot
// report "all tests passed" having run none of the tests that need them.
const RequireAllEnv = "RUMPNET_REQUIRE_ALL"

// RequireAll reports whether RequireAllEnv is set to a non-empty value other
// than 0.
func RequireAll() bool {
	v := os.Getenv(RequireAllEnv)
	return v != "" && v != "0"
}

// Skip skips t because something the test needs (root, a device, a tool, a
// kernel feature) is missing, saying what, or fails t with the same message
// when RequireAll is true. Skips for any other reason (testing.Short, a
// condition the test cannot produce) call t.Skip directly.
func Skip(t testing.TB, format string, args ...any) {
	t.Helper()
	if RequireAll() {
		t.Fatalf(format+" ("+RequireAllEnv+" is set, so this fails instead of skipping)", args...)
		return
	}
	t.Skipf(format, args...)
}

// Words turns a fuzzed string into a command line: split at NUL bytes if it
// has any (so words may be empty or hold spaces), else at white space. Fuzz
// targets of the command-line parsers feed it to them.
func Words(s string) []string {
	if strings.ContainsRune(s, 0) {
		return strings.Split(s, "\x00")
	}
	return strings.Fields(s)
}
