package xo

import (
	"bytes"
	"testing"
)

func TestEscapeText(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"virt0", "virt0"},
		{`a<b>&"c'`, "a&lt;b&gt;&amp;&#34;c&#39;"},
		{"tab\tnl\ncr\r", "tab&#x9;nl&#xA;cr&#xD;"},
		{"h\xffst", "h\uFFFDst"},
		{"\x00\x1f", "\uFFFD\uFFFD"},
		{"\uFFFE\uFFFD", "\uFFFD\uFFFD"},
		{"\xed\xa0\x80", "\uFFFD\uFFFD\uFFFD"}, // a surrogate's encoding: three bad bytes
		{"fe80::1%virt0 \u00e9\U0001F600", "fe80::1%virt0 \u00e9\U0001F600"},
	}
	for _, tt := range tests {
		var b bytes.Buffer
		escapeText(&b, tt.in)
		if got := b.String(); got != tt.want {
			t.Errorf("escapeText(%q): got %q, want %q", tt.in, got, tt.want)
		}
	}
}
