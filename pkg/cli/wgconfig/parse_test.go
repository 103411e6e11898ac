package wgconfig

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/rumpnet/rumpnet/pkg/api"
)

const testKey = "YAnz7TQmJcuwlWZSdmfD4kZJ5aHFX2YpHLM0Tn0DtkY="

func errText(err error) string {
	if err == nil {
		return ""
	}
	var ex *api.Explained
	if errors.As(err, &ex) {
		return ex.Msg
	}
	return err.Error()
}

func TestParseEndpoint(t *testing.T) {
	for _, tt := range []struct{ in, want, err string }{
		{"192.0.2.2:52428", "192.0.2.2:52428", ""},
		{"[fd00::2]:52428", "[fd00::2]:52428", ""},
		{"fd00::2:52428", "[fd00::2]:52428", ""},
		{"192.0.2.2", "", "no ':' found in endpoint"},
		{"[::]", "", "invalid endpoint format"},
		{"[fd00::2]52428", "", "invalid endpoint format"},
		{"host.example:1", "", "getaddrinfo: host.example:1 (hostname nor servname provided, or not known)"},
		{"192.0.2.2:99999", "", "getaddrinfo: 192.0.2.2:99999 (hostname nor servname provided, or not known)"},
	} {
		got, err := ParseEndpoint(tt.in)
		if got != tt.want || errText(err) != tt.err {
			t.Errorf("ParseEndpoint(%q): got %q, %q; want %q, %q", tt.in, got, errText(err), tt.want, tt.err)
		}
	}
}

func TestParseAllowedIPs(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want []string
		err  string
	}{
		{"10.100.0.2/32", []string{"10.100.0.2/32"}, ""},
		{"10.100.0.2/32,fd02::2/128", []string{"10.100.0.2/32", "fd02::2/128"}, ""},
		{"10.100.0.2", nil, "no '/' found in allowed-ip"},
		{"10.100.0.2/x", nil, "strtol: not a number"},
		{"10.100.0.2/3x", nil, "strtol: trailing garbage"},
		{"10.100.0.2/70000", nil, "out of range"},
		{"nothere/24", nil, "getaddrinfo: Name or service not known"},
	} {
		got, err := ParseAllowedIPs(tt.in)
		if !slices.Equal(got, tt.want) || errText(err) != tt.err {
			t.Errorf("ParseAllowedIPs(%q): got %q, %q; want %q, %q", tt.in, got, errText(err), tt.want, tt.err)
		}
	}
}

func TestReadKey(t *testing.T) {
	dir := t.TempDir()
	for _, tt := range []struct{ name, content, err string }{
		{"good", testKey + "\n", ""},
		{"bare", testKey, ""},
		{"short", "abc\n", "base64 key len is short: 4"},
		{"garbage", strings.Repeat("*", 44), "b64_pton failed"},
	} {
		p := filepath.Join(dir, tt.name)
		os.WriteFile(p, []byte(tt.content), 0o600)
		k, err := readKey(p)
		if errText(err) != tt.err || (err == nil && len(k) != api.WgKeyLen) {
			t.Errorf("readKey(%s): got %d bytes, %q; want 32 bytes or %q", tt.name, len(k), errText(err), tt.err)
		}
	}
	if _, err := readKey(filepath.Join(dir, "none")); !strings.HasPrefix(errText(err), "fopen: ") {
		t.Errorf("readKey(missing): got %q, want fopen: ...", errText(err))
	}
}

func TestLookup(t *testing.T) {
	for _, tt := range []struct {
		args []string
		verb string // "" for a usage error
		tgt  string
	}{
		{[]string{"wg0"}, "show", "all"},
		{[]string{"wg0", "show", "peer", "x"}, "show", "peer"},
		{[]string{"wg0", "shows", "private-keys"}, "show", "private-key"},
		{[]string{"wg0", "set", "listen-port", "1"}, "set", "listen-port"},
		{[]string{"wg0", "sh", "all"}, "", ""},
		{[]string{"wg0", "show"}, "", ""},
		{[]string{"-h"}, "", ""},
		{nil, "", ""},
	} {
		c, err := lookup(tt.args)
		if c.verb != tt.verb || c.target != tt.tgt || (err == nil) != (tt.verb != "") {
			t.Errorf("lookup(%q): got %s %s, %v; want %q %q", tt.args, c.verb, c.target, err, tt.verb, tt.tgt)
		}
	}
}

func TestFormatAll(t *testing.T) {
	key, _ := DecodeKey(testKey)
	st := api.WgStatus{ListenPort: 52428, Peers: []api.WgPeer{
		{Name: "p", PublicKey: key, PresharedKey: key, Endpoint: "[fd00::2]:52428", AllowedIPs: []string{"10.0.0.2/32"}},
		{Name: "q", PublicKey: key},
	}}
	want := "interface: wg0\n\tprivate-key: (hidden)\n\tlisten-port: 52428\n" +
		"\tpeer: p\n\t\tpublic-key: " + testKey + "\n\t\tendpoint: fd00::2:52428\n\t\tpreshared-key: (hidden)\n" +
		"\t\tallowed-ips: 10.0.0.2/32\n\t\tlatest-handshake: (never)\n" +
		"\tpeer: q\n\t\tpublic-key: " + testKey + "\n\t\tendpoint: (none)\n\t\tpreshared-key: (hidden)\n" +
		"\t\tallowed-ips: (none)\n\t\tlatest-handshake: (never)\n"
	if got := FormatAll("wg0", st); got != want {
		t.Errorf("FormatAll: got %q, want %q", got, want)
	}
	if got := FormatPeer(st.Peers[1], "\t", true); !strings.Contains(got, "\tpreshared-key: (none)\n") {
		t.Errorf("FormatPeer without a preshared key: got %q, want (none)", got)
	}
}
