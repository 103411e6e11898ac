package route

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rumpnet/rumpnet/internal/cli"
	"github.com/rumpnet/rumpnet/internal/testkit/ktest"
	"github.com/rumpnet/rumpnet/pkg/api"
	"github.com/rumpnet/rumpnet/pkg/client"
)

// perFamily hides a backend's one-request table reader, so show falls
// back to a request a table.
type perFamily struct{ Backend }

func runBackend(b Backend, args ...string) (string, string, int) {
	var out, errb bytes.Buffer
	st := Main(&cli.Tool{Name: "rroute", Stdout: &out, Stderr: &errb}, func() Backend { return b }, args)
	return out.String(), errb.String(), st
}

// TestShowOneRequest checks that show through the client's one-request
// reader prints what a request a table did, with each family and filter,
// and fails the same way when the server is not there.
func TestShowOneRequest(t *testing.T) {
	t.Setenv(client.EnvServer, "unix:///nonexistent")
	c := ktest.Client(t)
	for _, n := range []string{"net.inet.ip.dad_count", "net.inet6.ip6.dad_count"} {
		if _, err := c.Set(n, 0); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.CreateInterface("virt0"); err != nil {
		t.Fatal(err)
	}
	for _, a := range []string{"10.0.0.2/24", "fc00::2/64"} {
		if err := c.AddAddr("virt0", api.IfAddr{Addr: a}); err != nil {
			t.Fatal(err)
		}
	}
	if _, errs, st := runBackend(c, "add", "-net", "10.1.0.0/16", "10.0.0.1"); st != 0 {
		t.Fatal(errs)
	}
	if err := c.AddNeighbor(4, api.Neighbor{Addr: "10.0.0.9", LinkAddr: "02:00:00:00:00:09"}); err != nil {
		t.Fatal(err)
	}
	if _, ok := Backend(c).(tableReader); !ok {
		t.Fatal("client.Client is not a tableReader: show would not use one request")
	}
	gone := &client.Client{URL: "unix://" + filepath.Join(t.TempDir(), "none")}
	for _, tt := range []struct {
		c    *client.Client
		args string
	}{
		{c, "-n show"}, {c, "-n show -inet"}, {c, "-n show -inet6"}, {c, "-n show -host"},
		{c, "-n show -llinfo"}, {c, "-nL show"}, {c, "--libxo json -n show"},
		{gone, "-n show"}, {gone, "show -inet6"},
	} {
		t.Run(tt.args, func(t *testing.T) {
			a := strings.Fields(tt.args)
			gotOut, gotErr, gotSt := runBackend(tt.c, a...)
			wantOut, wantErr, wantSt := runBackend(perFamily{tt.c}, a...)
			if gotOut != wantOut || gotErr != wantErr || gotSt != wantSt {
				t.Errorf("got %q, %q, %d, want %q, %q, %d (a request a table)",
					gotOut, gotErr, gotSt, wantOut, wantErr, wantSt)
			}
			if (gotSt == 0) != (tt.c == c) {
				t.Errorf("got status %d, stderr %q", gotSt, gotErr)
			}
		})
	}
}
