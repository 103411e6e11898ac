package tcpdump

import (
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/rumpnet/rumpnet/internal/cli"
)

func TestParse(t *testing.T) {
	tests := []struct {
		args  string
		usage bool
		want  string // iface/count/dir/expr/decode
	}{
		{"-i virt0 -c 2 -n icmp", false, "virt0/2//icmp/[-n]"},
		{"-i bridge0 -Q in -e -l tcp port 80", false, "bridge0/0/in/tcp port 80/[-e -l]"},
		{"-w - -v", false, "/0///[]"},
		{"-Z", true, ""},
		{"-Q sideways", true, ""},
		{"-c x", true, ""},
	}
	for _, tt := range tests {
		o, err := parse(strings.Fields(tt.args))
		var ue *cli.UsageError
		if tt.usage != errors.As(err, &ue) {
			t.Errorf("%q: got error %v, want usage error %v", tt.args, err, tt.usage)
			continue
		}
		if tt.usage {
			continue
		}
		got := o.iface + "/" + strconv.Itoa(o.count) + "/" + o.direction + "/" + o.expr + "/[" + strings.Join(o.decode, " ") + "]"
		if got != tt.want {
			t.Errorf("%q: got %s, want %s", tt.args, got, tt.want)
		}
	}
}

// TestMatch runs tcpdump -ddd's program for "icmp" on Ethernet frames.
func TestMatch(t *testing.T) {
	prog, err := parseProgram("6\n40 0 0 12\n21 0 3 2048\n48 0 0 23\n21 0 1 1\n6 0 0 262144\n6 0 0 0\n")
	if err != nil {
		t.Fatal(err)
	}
	frame := func(etype uint16, proto byte) []byte {
		f := make([]byte, 34)
		f[12], f[13], f[23] = byte(etype>>8), byte(etype), proto
		return f
	}
	tests := []struct {
		name string
		pkt  []byte
		want bool
	}{
		{"icmp", frame(0x0800, 1), true},
		{"tcp", frame(0x0800, 6), false},
		{"arp", frame(0x0806, 1), false},
		{"short", make([]byte, 13), false},
	}
	for _, tt := range tests {
		if got := prog.match(tt.pkt, len(tt.pkt)); got != tt.want {
			t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
		}
	}
	if _, err := parseProgram("1\n5 0 0 7\n"); err == nil {
		t.Errorf("jump out of range: got no error, want one")
	}
}
