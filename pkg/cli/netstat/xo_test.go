package netstat

import (
	"encoding/json"
	"encoding/xml"
	"strings"
	"testing"

	"github.com/rumpnet/rumpnet/internal/testkit/golden"
	"github.com/rumpnet/rumpnet/pkg/client"
)

// routeDoc is FreeBSD netstat -rn's libxo document, as far as we fill it.
type routeDoc struct {
	Statistics struct {
		RouteInformation struct {
			RouteTable struct {
				Families []struct {
					Family  string `json:"address-family"`
					Entries []struct {
						Destination string   `json:"destination"`
						Gateway     string   `json:"gateway"`
						Flags       string   `json:"flags"`
						Pretty      []string `json:"flags_pretty"`
						Interface   string   `json:"interface-name"`
					} `json:"rt-entry"`
				} `json:"rt-family"`
			} `json:"route-table"`
		} `json:"route-information"`
	} `json:"statistics"`
}

func TestLibxo(t *testing.T) {
	t.Setenv(client.EnvServer, "unix:///nonexistent")
	tests := []struct {
		name, args string
	}{
		{"routes-json", "--libxo json -rn"},
		{"routes-json-pretty", "--libxo=json,pretty -rn"},
		{"routes-xml", "--libxo xml,pretty -rn -f inet"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, errs, st := runMain(fake{}, strings.Fields(tt.args)...)
			if st != 0 || errs != "" {
				t.Fatalf("rnetstat %s: status %d, stderr %q", tt.args, st, errs)
			}
			golden.Check(t, tt.name, []byte(out))
			if strings.Contains(tt.args, "xml") {
				var v any
				if err := xml.Unmarshal([]byte(out), &v); err != nil {
					t.Errorf("invalid XML: %v", err)
				}
				return
			}
			var d routeDoc
			if err := json.Unmarshal([]byte(out), &d); err != nil {
				t.Fatalf("invalid JSON: %v", err)
			}
			fams := d.Statistics.RouteInformation.RouteTable.Families
			if len(fams) != 2 || fams[0].Family != "Internet" || len(fams[0].Entries) != 3 {
				t.Fatalf("got %+v, want Internet with 3 entries and Internet6", fams)
			}
			e := fams[0].Entries[0]
			if e.Destination != "default" || e.Gateway != "10.0.0.1" || e.Flags != "UGS" ||
				strings.Join(e.Pretty, ",") != "up,gateway,static" || e.Interface != "virt0" {
				t.Errorf("got %+v, want the default route UGS via 10.0.0.1 on virt0", e)
			}
		})
	}
}

func TestLibxoParse(t *testing.T) {
	tests := []struct {
		args, err string
	}{
		{"--libxo json -rn", ""},
		{"--libxo:JP -r", ""},
		{"--libxo html -rn", "usage"},
		{"--libxo", "usage"},
		{"--libxo json -s", ""},
		{"--libxo json -an", ""},
		{"--libxo xml -rs", "--libxo: the routing statistics (-rs) have no xml output"},
		{"--libxo text -an", ""},
	}
	for _, tt := range tests {
		_, err := parse(strings.Fields(tt.args))
		got := ""
		if err != nil {
			got = err.Error()
			if strings.HasPrefix(got, "unknown libxo") || strings.HasPrefix(got, "option --libxo") {
				got = "usage"
			}
		}
		if got != tt.err {
			t.Errorf("%q: got %q, want %q", tt.args, got, tt.err)
		}
	}
}
