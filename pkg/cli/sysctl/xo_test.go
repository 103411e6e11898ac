package sysctl

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/rumpnet/rumpnet/internal/testkit/golden"
	"github.com/rumpnet/rumpnet/internal/testkit/ktest"
)

func TestXO(t *testing.T) {
	c := ktest.Client(t)
	tests := []struct {
		args             string
		wantOut, wantErr string
		status           int
	}{
		{"--libxo json net.inet.ip.ttl", `{"sysctl": {"net.inet.ip.ttl": 64}}` + "\n", "", 0},
		{"--libxo=json -n -e net.inet.ip.ttl kern.ostype", `{"sysctl": {"net.inet.ip.ttl": 64, "kern.ostype": "rumpnet"}}` + "\n", "", 0},
		{"--libxo json -w net.inet.ip.ttl=33 net.inet.ip.ttl=34", `{"sysctl": {"net.inet.ip.ttl": {"old": 33, "new": 34}}}` + "\n", "", 0},
		{"--libxo json -q -w net.inet.ip.ttl=64", `{"sysctl": {}}` + "\n", "", 0},
		{"--libxo json -w kern.hostname=a\"b<c>", `{"sysctl": {"kern.hostname": {"old": "", "new": "a\"b<c>"}}}` + "\n", "", 0},
		{"--libxo xml kern.hostname", "<sysctl><kern.hostname>a&#34;b&lt;c&gt;</kern.hostname></sysctl>\n", "", 0},
		{"--libxo json net.inet6.ip6", `{"sysctl": {"net.inet6.ip6.auto_linklocal": 1, "net.inet6.ip6.dad_count": 1, ` +
			`"net.inet6.ip6.forwarding": 0, "net.inet6.ip6.hlim": 64, "net.inet6.ip6.neighborgcthresh": 2048, "net.inet6.ip6.redirect": 1}}` + "\n", "", 0},
		{"--libxo json net.link.lo0.inet", `{"sysctl": {"net.link.lo0.inet": [{"addr": "127.0.0.1/8", "flags": 0}]}}` + "\n", "", 0},
		{"--libxo xml net.link.lo0.inet", "<sysctl><net.link.lo0.inet><addr>127.0.0.1/8</addr><flags>0</flags></net.link.lo0.inet></sysctl>\n", "", 0},
		{"--libxo json net.inet.ip.ttl net.inet.ip.foo", `{"sysctl": {"net.inet.ip.ttl": 64}}` + "\n",
			"rsysctl: fourth level name 'foo' in 'net.inet.ip.foo' is invalid\n", 1},
		{"--libxo json foo.bar", "", "rsysctl: top level name 'foo' in 'foo.bar' is invalid\n", 1},
		{"--libxo json net.inet.ip.ttl=3", "", "rsysctl: Must specify -w to set variables\n", 1},
		{"--libxo html -a", "", "rsysctl: unknown libxo option value 'html'\nusage:", 1},
		{"--libxo", "", "usage:", 1},
	}
	for _, tt := range tests {
		out, errs, st := run(c, strings.Fields(tt.args)...)
		if out != tt.wantOut || st != tt.status || !strings.Contains(errs, tt.wantErr) || (tt.wantErr == "" && errs != "") {
			t.Errorf("rsysctl %s: got %q, %q, %d; want %q, %q, %d", tt.args, out, errs, st, tt.wantOut, tt.wantErr, tt.status)
		}
		if strings.Contains(tt.args, "json") && out != "" && !json.Valid([]byte(out)) {
			t.Errorf("rsysctl %s: got invalid JSON %s", tt.args, out)
		}
	}
}

// TestXOAll checks that -a's JSON holds every line of the text, value for
// value, and keeps a golden copy.
func TestXOAll(t *testing.T) {
	c := ktest.Client(t)
	text, _, _ := run(c, "-a")
	out, errs, st := run(c, "--libxo", "json,pretty", "-a")
	if st != 0 || errs != "" {
		t.Fatalf("--libxo json -a: %d %q", st, errs)
	}
	var doc struct {
		Sysctl map[string]any `json:"sysctl"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("got invalid JSON %v:\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	if len(doc.Sysctl) != len(lines) {
		t.Errorf("got %d variables, want the %d lines of the text", len(doc.Sysctl), len(lines))
	}
	for _, l := range lines {
		name, value, _ := strings.Cut(l, " = ")
		v, ok := doc.Sysctl[name]
		if got := strings.TrimSuffix(strings.TrimPrefix(strings.TrimSuffix(jsonText(v), "\n"), `"`), `"`); !ok ||
			got != value && name != "debug.goroutines" {
			t.Errorf("%s: got %v (%v), want %s", name, v, ok, value)
		}
	}
	got := regexp.MustCompile(`(?m)^(\s*"debug.goroutines": )\d+,$`).ReplaceAllString(out, `${1}0,`)
	golden.Check(t, "xo-all", []byte(got))
}

func jsonText(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
