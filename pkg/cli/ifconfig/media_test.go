package ifconfig

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestShmifMedia restates tests/net/if_shmif/t_shmif.sh shmif_linkstate:
// "ifconfig -v shmif0" on an interface attached to its bus shows
// "linkstate: up" and "media: Ethernet autoselect", before and after up;
// "media none" takes the link down and "media auto" brings it back;
// after -linkstr the state is unknown.
func TestShmifMedia(t *testing.T) {
	c := kernelClient(t)
	bus := filepath.Join(t.TempDir(), "bus")
	for _, args := range [][]string{{"shmif0", "create"}, {"shmif0", "linkstr", bus}} {
		if out, errs, st := runMain(c, args...); st != 0 {
			t.Fatalf("rifconfig %v: got %d, %q, %q", args, st, out, errs)
		}
	}
	steps := []struct {
		args    []string
		want    []string
		wantNot string
	}{
		{[]string{"-v", "shmif0"}, []string{`\n\tmedia: Ethernet autoselect\n`, `\n\tlinkstate: up\n`}, `<UP`},
		{[]string{"shmif0", "up"}, nil, ""},
		{[]string{"-v", "shmif0"}, []string{`\n\tmedia: Ethernet autoselect\n`, `\n\tlinkstate: up\n`, `<UP`}, ""},
		{[]string{"shmif0", "media", "none"}, nil, ""},
		{[]string{"-v", "shmif0"}, []string{`\n\tmedia: Ethernet none\n`, `\n\tlinkstate: down\n`, `<UP`}, ""},
		{[]string{"shmif0", "media", "auto"}, nil, ""},
		{[]string{"-v", "shmif0"}, []string{`\n\tmedia: Ethernet autoselect\n`, `\n\tlinkstate: up\n`, `<UP`}, ""},
		{[]string{"shmif0", "down"}, nil, ""},
		{[]string{"-v", "shmif0"}, []string{`\n\tmedia: Ethernet autoselect\n`, `\n\tlinkstate: up\n`}, `<UP`},
		{[]string{"shmif0", "-linkstr"}, nil, ""},
		{[]string{"-v", "shmif0"}, []string{`\n\tmedia: Ethernet autoselect\n`, `\n\tlinkstate: unknown\n`}, `<UP`},
		{[]string{"lo0"}, nil, `media:`},
	}
	for _, s := range steps {
		out, errs, st := runMain(c, s.args...)
		if st != 0 || errs != "" {
			t.Errorf("rifconfig %v: got status %d, stderr %q; want 0, nothing", s.args, st, errs)
		}
		for _, re := range s.want {
			if !regexp.MustCompile(re).MatchString(out) {
				t.Errorf("rifconfig %v: got %q, want a match for %q", s.args, out, re)
			}
		}
		if s.wantNot != "" && regexp.MustCompile(s.wantNot).MatchString(out) {
			t.Errorf("rifconfig %v: got %q, want no match for %q", s.args, out, s.wantNot)
		}
	}
}

func TestMediaErrors(t *testing.T) {
	c := kernelClient(t)
	bus := filepath.Join(t.TempDir(), "bus")
	for _, args := range [][]string{{"shmif0", "create"}, {"shmif0", "linkstr", bus}, {"virt0", "create"}} {
		if out, errs, st := runMain(c, args...); st != 0 {
			t.Fatalf("rifconfig %v: got %d, %q, %q", args, st, out, errs)
		}
	}
	tests := []struct {
		args, wantErr string
	}{
		{"virt0 media none", "rifconfig: SIOCGIFMEDIA: Inappropriate ioctl for device\n"},
		{"shmif0 media 10baseT", "rifconfig: unknown Ethernet media subtype: 10baseT\n"},
		{"shmif0 media none media auto", "rifconfig: only one `media' command may be issued\n"},
		{"shmif0 mediaopt full-duplex", "rifconfig: unknown Ethernet media option: full-duplex\n"},
		{"shmif0 media NONE", ""},
	}
	for _, tt := range tests {
		_, errs, st := runMain(c, strings.Fields(tt.args)...)
		if errs != tt.wantErr || (st != 0) != (tt.wantErr != "") {
			t.Errorf("rifconfig %s: got status %d, stderr %q; want stderr %q", tt.args, st, errs, tt.wantErr)
		}
	}
}
