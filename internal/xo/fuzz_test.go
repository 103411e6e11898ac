package xo

import (
	"bytes"
	"encoding/xml"
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

// FuzzEscapeText checks escapeText against encoding/xml's EscapeText,
// which it replaces.
func FuzzEscapeText(f *testing.F) {
	for _, s := range []string{"virt0", `<a href="x">&amp;</a>`, "tab\tnl\n", "h\xffst", "\x00", "\uFFFE", "é\U0001F600"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var got, want bytes.Buffer
		escapeText(&got, s)
		if err := xml.EscapeText(&want, []byte(s)); err != nil {
			t.Fatal(err)
		}
		if got.String() != want.String() {
			t.Errorf("escapeText(%q): got %q, want %q (encoding/xml)", s, got.String(), want.String())
		}
	})
}
