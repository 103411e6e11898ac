package arp

import (
	"encoding/json"
	"encoding/xml"
	"strings"
	"testing"

	"github.com/rumpnet/rumpnet/internal/testkit/golden"
	"github.com/rumpnet/rumpnet/pkg/client"
)

func TestLibxo(t *testing.T) {
	t.Setenv(client.EnvServer, "unix:///nonexistent")
	tests := []struct {
		name, args string
		entries    int
	}{
		{"dump-json", "--libxo json -an", 4},
		{"dump-json-pretty", "--libxo=json,pretty -an", 4},
		{"one-json", "--libxo json -n 10.0.0.7", 1},
		{"dump-xml", "--libxo xml,pretty -an", 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, errs, st := runMain(fake{}, strings.Fields(tt.args)...)
			if st != 0 || errs != "" {
				t.Fatalf("rarp %s: status %d, stderr %q", tt.args, st, errs)
			}
			golden.Check(t, tt.name, []byte(out))
			var d struct {
				Arp struct {
					Cache []struct {
						Host       string `json:"hostname" xml:"hostname"`
						IP         string `json:"ip-address" xml:"ip-address"`
						MAC        string `json:"mac-address" xml:"mac-address"`
						Incomplete bool   `json:"incomplete" xml:"incomplete"`
						Interface  string `json:"interface" xml:"interface"`
						Permanent  bool   `json:"permanent" xml:"permanent"`
					} `json:"arp-cache" xml:"arp-cache"`
				} `json:"arp"`
			}
			var err error
			if strings.Contains(tt.args, "xml") {
				err = xml.Unmarshal([]byte(out), &d.Arp)
			} else {
				err = json.Unmarshal([]byte(out), &d)
			}
			if err != nil {
				t.Fatalf("invalid output: %v", err)
			}
			if got := len(d.Arp.Cache); got != tt.entries {
				t.Fatalf("got %d entries, want %d", got, tt.entries)
			}
			if tt.entries == 4 {
				c := d.Arp.Cache
				if c[0].IP != "10.0.0.1" || c[0].MAC != "b2:0a:11:0b:0e:01" || c[0].Interface != "virt0" ||
					!c[1].Incomplete || !c[2].Permanent || c[0].Host != "?" {
					t.Errorf("got %+v, want the fake's entries", c)
				}
			}
		})
	}
	for _, args := range []string{"--libxo json -d -a", "--libxo html -an"} {
		if _, _, st := runMain(fake{}, strings.Fields(args)...); st != 1 {
			t.Errorf("rarp %s: got status %d, want 1", args, st)
		}
	}
}
