package ifconfig

import (
	"strings"
	"testing"

	"github.com/rumpnet/rumpnet/pkg/api"
)

// fullOnly hides a backend's light listing, so -l falls back to
// Interfaces.
type fullOnly struct{ Backend }

// TestListLightRequest checks that -l through the client's light listing
// prints what the full listing did, with every filter.
func TestListLightRequest(t *testing.T) {
	c := kernelClient(t)
	for _, step := range []struct {
		name  string
		flags int
	}{{"virt0", api.IFF_UP}, {"virt1", 0}, {"bridge0", api.IFF_UP}, {"bridge1", 0}} {
		if err := c.CreateInterface(step.name); err != nil {
			t.Fatal(err)
		}
		if step.flags != 0 {
			if err := c.SetFlags(step.name, step.flags); err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, ok := Backend(c).(lister); !ok {
		t.Fatal("client.Client is not a lister: -l would not use the light request")
	}
	for _, args := range []string{"-l", "-l -u", "-l -d", "-l -b", "-l -s", "-l -bu", "-l -sd",
		"--libxo json -l -u", "--libxo xml -l -b"} {
		t.Run(args, func(t *testing.T) {
			a := strings.Fields(args)
			gotOut, gotErr, gotSt := runMain(c, a...)
			wantOut, wantErr, wantSt := runMain(fullOnly{c}, a...)
			if gotOut != wantOut || gotErr != wantErr || gotSt != wantSt {
				t.Errorf("got %q, %q, %d, want %q, %q, %d (the full listing's)",
					gotOut, gotErr, gotSt, wantOut, wantErr, wantSt)
			}
			if gotSt != 0 || gotOut == "" && args == "-l" {
				t.Errorf("got status %d, output %q", gotSt, gotOut)
			}
		})
	}
}
