package ndp

import (
	"encoding/json"
	"encoding/xml"
	"strings"
	"testing"

	"github.com/rumpnet/rumpnet/internal/testkit/golden"
	"github.com/rumpnet/rumpnet/pkg/client"
)

// ndpEntry is one "neighbor-cache" instance of FreeBSD ndp's document.
type ndpEntry struct {
	Address   string `json:"address" xml:"address"`
	MAC       string `json:"mac-address" xml:"mac-address"`
	Interface string `json:"interface" xml:"interface"`
	Expires   int    `json:"expires_sec" xml:"expires_sec"`
	Permanent bool   `json:"permanent" xml:"permanent"`
	State     string `json:"neighbor-state" xml:"neighbor-state"`
}

func TestLibxo(t *testing.T) {
	t.Setenv(client.EnvServer, "unix:///nonexistent")
	// want is the text output's facts for the fake's entries.
	want := []ndpEntry{
		{"fc00::1", "b2:0a:11:0b:0e:01", "virt0", 28, false, "R"},
		{"fc00::7", "(incomplete)", "virt0", 1, false, "I"},
		{"fc00::9", "b2:a0:20:00:00:10", "virt0", 0, true, "R"},
		{"fe80::b00a:11ff:fe0b:e01%virt0", "b2:0a:11:0b:0e:01", "virt0", 0, false, "S"},
		{"fe80::b00a:22ff:fe0b:e02%virtual123", "b2:0a:22:0b:0e:02", "virtual123", 3725, false, "D"},
	}
	tests := []struct {
		name, args string
		want       []ndpEntry
	}{
		{"all-json", "--libxo json -an", want},
		{"all-json-pretty", "--libxo=json,pretty -an", want},
		{"all-xml", "--libxo xml,pretty -an", want},
		{"one-json", "--libxo:J -n fe80::b00a:11ff:fe0b:e01%virt0", want[3:4]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, errs, st := runMain(fake{}, strings.Fields(tt.args)...)
			if st != 0 || errs != "" {
				t.Fatalf("rndp %s: status %d, stderr %q", tt.args, st, errs)
			}
			golden.Check(t, tt.name, []byte(out))
			var d struct {
				Version string `json:"__version"`
				Ndp     struct {
					Cache []ndpEntry `json:"neighbor-cache" xml:"neighbor-cache"`
				} `json:"ndp"`
			}
			var err error
			if strings.Contains(tt.args, "xml") {
				err = xml.Unmarshal([]byte(out), &d.Ndp)
			} else {
				err = json.Unmarshal([]byte(out), &d)
			}
			if err != nil {
				t.Fatalf("invalid output: %v", err)
			}
			got := d.Ndp.Cache
			if len(got) != len(tt.want) {
				t.Fatalf("got %d entries, want %d", len(got), len(tt.want))
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("entry %d: got %+v, want %+v", i, got[i], tt.want[i])
				}
			}
		})
	}
}

func TestLibxoRefused(t *testing.T) {
	t.Setenv(client.EnvServer, "unix:///nonexistent")
	tests := []struct{ args, wantErr string }{
		{"--libxo json -c", "rndp: --libxo: only the neighbour listing (-a or a host) has json output\n"},
		{"--libxo xml -d fc00::1", "rndp: --libxo: only the neighbour listing (-a or a host) has xml output\n"},
		{"--libxo html -a", ""},
	}
	for _, tt := range tests {
		out, errs, st := runMain(fake{}, strings.Fields(tt.args)...)
		if st != 1 || out != "" {
			t.Errorf("rndp %s: got status %d, stdout %q; want 1 and nothing", tt.args, st, out)
		}
		if tt.wantErr != "" && errs != tt.wantErr {
			t.Errorf("rndp %s: got stderr %q, want %q", tt.args, errs, tt.wantErr)
		}
	}
}
