package testkit

import (
	"strings"
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

func TestWords(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"", nil},
		{" virt0  inet 10.0.0.2/24 ", []string{"virt0", "inet", "10.0.0.2/24"}},
		{"virt0\x00\x00a b", []string{"virt0", "", "a b"}},
	} {
		got := Words(tc.in)
		if strings.Join(got, "|") != strings.Join(tc.want, "|") || len(got) != len(tc.want) {
			t.Errorf("Words(%q): got %q, want %q", tc.in, got, tc.want)
		}
	}
}
