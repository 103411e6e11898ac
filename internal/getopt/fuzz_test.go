package getopt

import (
	"errors"
	"strings"
	"testing"

	"github.com/rumpnet/rumpnet/internal/testkit"
)

// FuzzParse parses arbitrary command lines against arbitrary option
// strings: no panic, every error an *Error with a message, every option one
// the option string names, and the operands a tail of the arguments.
func FuzzParse(f *testing.F) {
	for _, seed := range [][2]string{
		{"c:h:I:i:noqs:T:t:W:w:", "-c 3 -i0.2 -nq 10.0.0.2"},
		{"andsfv", "-s host 0:1:2:3:4:5 temp pub"},
		{"acd:f:i:nstA:", "-d\x00fe80::1%virt0"},
		{"Aaenqw", "-w -- net.inet.ip.ttl=32"},
		{"a:", "-a"},
		{":", "-:"},
	} {
		f.Add(seed[0], seed[1])
	}
	f.Fuzz(func(t *testing.T, optstring, line string) {
		args := testkit.Words(line)
		opts, rest, err := Parse(optstring, args)
		if err != nil {
			var ge *Error
			if !errors.As(err, &ge) || ge.Msg == "" {
				t.Fatalf("Parse(%q, %q): got error %#v, want an *Error with a message", optstring, args, err)
			}
			return
		}
		for _, o := range opts {
			if o.Flag == ':' || strings.IndexByte(optstring, o.Flag) < 0 {
				t.Fatalf("Parse(%q, %q): got option -%c, not in the option string", optstring, args, o.Flag)
			}
		}
		if len(rest) > len(args) || strings.Join(rest, "\x00") != strings.Join(args[len(args)-len(rest):], "\x00") {
			t.Fatalf("Parse(%q, %q): got operands %q, want a tail of the arguments", optstring, args, rest)
		}
	})
}
