package testkit

import (
	"testing"
)

// fakeTB records what Skip did to a test.
type fakeTB struct {
	testing.TB
	skipped, failed bool
	msg             string
}

func (f *fakeTB) Helper() {}
func (f *fakeTB) Skipf(format string, args ...any) {
	f.skipped = true
	f.msg = format
}
func (f *fakeTB) Fatalf(format string, args ...any) {
	f.failed = true
	f.msg = format
}

func TestSkip(t *testing.T) {
	for _, tc := range []struct {
		env                   string
		wantSkip, wantFailure bool
	}{
		{"", true, false},
		{"0", true, false},
		{"1", false, true},
		{"yes", false, true},
	} {
		t.Run("env="+tc.env, func(t *testing.T) {
			t.Setenv(RequireAllEnv, tc.env)
			f := &fakeTB{}
			Skip(f, "no %s in PATH", "tcpdump")
			if f.skipped != tc.wantSkip || f.failed != tc.wantFailure {
				t.Errorf("got skipped %v failed %v, want skipped %v failed %v",
					f.skipped, f.failed, tc.wantSkip, tc.wantFailure)
			}
		})
	}
}
