package wgkeygen

import (
	"bytes"
	"encoding/base64"
	"strings"
	"testing"
)

func TestPublicKeyOf(t *testing.T) {
	for _, tt := range []struct{ in, want, err string }{
		// RFC 7748's Alice, in base64.
		{"dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCo=\n", "hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmo=", ""},
		{"dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCo=trailing", "hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmo=", ""},
		{"short\n", "", "Invalid length of a private key"},
		{"", "", "fgets: no private key on standard input"},
		{strings.Repeat("*", 44), "", "b64_pton failed"},
	} {
		k, err := PublicKeyOf(strings.NewReader(tt.in))
		got := ""
		if err == nil {
			got = base64.StdEncoding.EncodeToString(k)
		}
		gotErr := ""
		if err != nil {
			gotErr = err.Error()
		}
		if got != tt.want || !strings.Contains(gotErr, tt.err) {
			t.Errorf("PublicKeyOf(%q): got %q, %q; want %q, %q", tt.in, got, gotErr, tt.want, tt.err)
		}
	}
}

func TestRun(t *testing.T) {
	for _, tt := range []struct {
		args   []string
		status int
	}{
		{nil, 0}, {[]string{"--psk"}, 0}, {[]string{"--bogus"}, 1}, {[]string{"--pub", "x"}, 1},
	} {
		var out, errb bytes.Buffer
		st := Run(tt.args, &out, &errb)
		line := strings.TrimSuffix(out.String(), "\n")
		if st != tt.status || (st == 0 && len(line) != 44) || (st != 0 && !strings.HasPrefix(errb.String(), "Usage:")) {
			t.Errorf("rwg-keygen %q: got %d, %q, %q; want %d", tt.args, st, out.String(), errb.String(), tt.status)
		}
	}
	var out bytes.Buffer
	Run(nil, &out, &out)
	k, _ := base64.StdEncoding.DecodeString(strings.TrimSpace(out.String()))
	if len(k) != 32 || k[0]&7 != 0 || k[31]&0xc0 != 0x40 {
		t.Errorf("private key %x: want 32 clamped bytes", k)
	}
}

func FuzzPublicKeyOf(f *testing.F) {
	f.Add("dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCo=\n")
	f.Add("\n")
	f.Fuzz(func(t *testing.T, s string) {
		if k, err := PublicKeyOf(strings.NewReader(s)); err == nil && len(k) != 32 {
			t.Errorf("PublicKeyOf(%q): got %d bytes", s, len(k))
		}
	})
}
