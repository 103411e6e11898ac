package xo

import (
	"strings"
	"testing"
)

func FuzzParse(f *testing.F) {
	f.Add("--libxo json,pretty -rn")
	f.Add("--libxo:JP -a")
	f.Add("--libxo=xml -- --libxo")
	f.Fuzz(func(t *testing.T, s string) {
		args := strings.Fields(s)
		_, rest, err := Parse(args)
		if err == nil && len(rest) > len(args) {
			t.Errorf("got %d args back from %d", len(rest), len(args))
		}
	})
}
