package route

import (
	"encoding/json"
	"encoding/xml"
	"regexp"
	"strings"
	"testing"

	"github.com/rumpnet/rumpnet/internal/testkit/golden"
	"github.com/rumpnet/rumpnet/internal/testkit/ktest"
	"github.com/rumpnet/rumpnet/pkg/api"
	"github.com/rumpnet/rumpnet/pkg/client"
)

// getDoc is rroute get's document.
type getDoc struct {
	RouteTo     string   `json:"route-to" xml:"route-to"`
	Destination string   `json:"destination" xml:"destination"`
	Mask        string   `json:"mask" xml:"mask"`
	Gateway     string   `json:"gateway" xml:"gateway"`
	IfAddress   string   `json:"if-address" xml:"if-address"`
	Interface   string   `json:"interface" xml:"interface"`
	Flags       int      `json:"flags" xml:"flags"`
	Pretty      []string `json:"flags_pretty" xml:"flags_pretty"`
	MTU         int      `json:"mtu" xml:"mtu"`
}

// tableEntry is one rt-entry of show's document.
type tableEntry struct {
	Destination string `json:"destination" xml:"destination"`
	Gateway     string `json:"gateway" xml:"gateway"`
	Flags       string `json:"flags" xml:"flags"`
	Interface   string `json:"interface-name" xml:"interface-name"`
}

// showDoc is rroute show's document (the XML one lacks the outer object).
type showDoc struct {
	RouteInformation struct {
		RouteTable struct {
			Families []struct {
				Family  string       `json:"address-family" xml:"address-family"`
				Entries []tableEntry `json:"rt-entry" xml:"rt-entry"`
			} `json:"rt-family" xml:"rt-family"`
		} `json:"route-table" xml:"route-table"`
	} `json:"route-information"`
}

// textField finds "label: value" in route get's text output.
func textField(text, label string) string {
	m := regexp.MustCompile(`(?m)^ *` + label + `: (.*)$`).FindStringSubmatch(text)
	if m == nil {
		return ""
	}
	return m[1]
}

func decode(t *testing.T, out string, isXML bool, v, xmlv any) {
	t.Helper()
	var err error
	if isXML {
		err = xml.Unmarshal([]byte(out), xmlv)
	} else {
		err = json.Unmarshal([]byte(out), v)
	}
	if err != nil {
		t.Fatalf("invalid output %q: %v", out, err)
	}
}

func TestLibxo(t *testing.T) {
	t.Setenv(client.EnvServer, "unix:///nonexistent")
	c := ktest.Client(t)
	if err := c.CreateInterface("virt0"); err != nil {
		t.Fatal(err)
	}
	if err := c.AddAddr("virt0", api.IfAddr{Addr: "10.0.0.2/24"}); err != nil {
		t.Fatal(err)
	}
	for _, args := range []string{"add -net 10.1.0.0/16 10.0.0.1", "add -net 10.5/16 -interface virt0 -mtu 1280"} {
		if _, errs, st := runMain(c, strings.Fields(args)...); st != 0 {
			t.Fatalf("rroute %s: %d %s", args, st, errs)
		}
	}
	text, _, _ := runMain(c, "-n", "get", "10.1.2.3")
	for _, tt := range []struct{ name, args string }{
		{"get-json", "--libxo json -n get 10.1.2.3"},
		{"get-json-pretty", "--libxo=json,pretty -n get 10.1.2.3"},
		{"get-xml", "--libxo xml,pretty -n get 10.1.2.3"},
	} {
		out, errs, st := runMain(c, strings.Fields(tt.args)...)
		if st != 0 || errs != "" {
			t.Fatalf("rroute %s: status %d, stderr %q", tt.args, st, errs)
		}
		golden.Check(t, tt.name, []byte(out))
		var d struct {
			Get getDoc `json:"route-get"`
		}
		decode(t, out, strings.Contains(tt.args, "xml"), &d, &d.Get)
		g := d.Get
		if g.RouteTo != textField(text, "route to") || g.Destination != textField(text, "destination") ||
			g.Mask != textField(text, "mask") || g.Gateway != textField(text, "gateway") ||
			g.IfAddress != textField(text, "local addr") || g.Interface != textField(text, "interface") {
			t.Errorf("%s: got %+v, want the facts of\n%s", tt.name, g, text)
		}
		if got := textField(text, "flags"); !strings.HasPrefix(got, "0x") || g.Flags == 0 ||
			strings.Join(g.Pretty, ",") != "up,gateway,done,static" {
			t.Errorf("%s: got flags %#x %v, want %s", tt.name, g.Flags, g.Pretty, got)
		}
	}
	showText, _, _ := runMain(c, "-n", "show", "-inet")
	for _, tt := range []struct{ name, args string }{
		{"show-json", "--libxo json -n show -inet"},
		{"show-json-pretty", "--libxo json,pretty -n show -inet"},
		{"show-xml", "--libxo xml,pretty -n show -inet"},
	} {
		out, errs, st := runMain(c, strings.Fields(tt.args)...)
		if st != 0 || errs != "" {
			t.Fatalf("rroute %s: status %d, stderr %q", tt.args, st, errs)
		}
		golden.Check(t, tt.name, []byte(out))
		var d showDoc
		decode(t, out, strings.Contains(tt.args, "xml"), &d, &d.RouteInformation)
		fams := d.RouteInformation.RouteTable.Families
		if len(fams) != 1 || fams[0].Family != "Internet" {
			t.Fatalf("%s: got %+v, want one Internet table", tt.name, fams)
		}
		// Every entry is a line of the text table, in the same order.
		lines := strings.Split(strings.TrimSpace(showText), "\n")[4:]
		if len(lines) != len(fams[0].Entries) {
			t.Fatalf("%s: got %d entries, want %d lines of\n%s", tt.name, len(fams[0].Entries), len(lines), showText)
		}
		for i, e := range fams[0].Entries {
			f := strings.Fields(lines[i])
			if f[0] != e.Destination || f[1] != e.Gateway || f[2] != e.Flags || f[len(f)-1] != e.Interface {
				t.Errorf("%s: got %+v, want line %q", tt.name, e, lines[i])
			}
		}
	}
}

func TestLibxoRefused(t *testing.T) {
	t.Setenv(client.EnvServer, "unix:///nonexistent")
	tests := []struct{ args, err string }{
		{"--libxo json add -net 10.1/16 10.0.0.1", "--libxo: only show and get have json output"},
		{"--libxo xml flush", "--libxo: only show and get have xml output"},
		{"--libxo xml -f", "--libxo: only show and get have xml output"},
		{"--libxo json monitor", "--libxo: only show and get have json output"},
		{"--libxo html show", "unknown libxo option value 'html'"},
		{"--libxo text add -net 10.1/16 10.0.0.1", ""},
		{"--libxo json show", ""},
	}
	for _, tt := range tests {
		_, err := parse(strings.Fields(tt.args))
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != tt.err {
			t.Errorf("%q: got %q, want %q", tt.args, got, tt.err)
		}
	}
}
