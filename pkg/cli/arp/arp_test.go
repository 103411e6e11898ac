package arp

import (
	"bytes"
	"github.com/rumpnet/rumpnet/internal/testkit/golden"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/rumpnet/rumpnet/internal/cli"
	"github.com/rumpnet/rumpnet/internal/testkit/ktest"
	"github.com/rumpnet/rumpnet/pkg/api"
	"github.com/rumpnet/rumpnet/pkg/client"
)

func TestParse(t *testing.T) {
	tests := []struct {
		args string
		op   byte
		ok   bool
	}{
		{"10.0.0.1", 0, true},
		{"-n 10.0.0.1", 0, true},
		{"-an", 'a', true},
		{"-d 10.0.0.1", 'd', true},
		{"-d -a", 'd', true},
		{"-a -d", 'd', true},
		{"-d -a 10.0.0.1", 'd', false},
		{"-d 10.0.0.1 proxy", 'd', true},
		{"-s 10.0.0.1 b2:a0:20:00:00:10", 's', true},
		{"-s 10.0.0.1 b2:a0:20:00:00:10 temp", 's', true},
		{"-s 10.0.0.1", 's', false},
		{"-f list", 'f', true},
		{"-f", 'f', false},
		{"-d -s 10.0.0.1", 0, false},
		{"", 0, false},
		{"10.0.0.1 10.0.0.2", 0, false},
		{"-x", 0, false},
	}
	for _, tt := range tests {
		r, err := parse(strings.Fields(tt.args))
		if (err == nil) != tt.ok || tt.ok && r.op != tt.op {
			t.Errorf("parse(%q): got op %q, %v; want op %q, ok=%v", tt.args, r.op, err, tt.op, tt.ok)
		}
	}
}

// fake is a kernel with a fixed ARP table.
type fake struct{}

func (fake) Neighbors(int) ([]api.Neighbor, error) {
	return []api.Neighbor{
		{Addr: "10.0.0.1", LinkAddr: "b2:0a:11:0b:0e:01", Interface: "virt0", State: api.NeighborReachable, Expire: 25},
		{Addr: "10.0.0.7", Interface: "virt0", State: api.NeighborIncomplete},
		{Addr: "10.0.0.9", LinkAddr: "b2:a0:20:00:00:10", Interface: "virt0", State: api.NeighborStatic, Permanent: true},
		{Addr: "10.0.1.5", LinkAddr: "b2:a0:20:00:00:11", Interface: "virt1", State: api.NeighborStatic, Expire: 1199},
	}, nil
}
func (fake) AddNeighbor(int, api.Neighbor) error    { return nil }
func (fake) DeleteNeighbor(int, api.Neighbor) error { return nil }
func (fake) ClearNeighbors(int) error               { return nil }

func runMain(b Backend, args ...string) (string, string, int) {
	var out, errb bytes.Buffer
	st := Main(&cli.Tool{Name: "rarp", Stdout: &out, Stderr: &errb}, func() Backend { return b }, args)
	return out.String(), errb.String(), st
}

func TestDump(t *testing.T) {
	t.Setenv(client.EnvServer, "unix:///nonexistent")
	out, errs, st := runMain(fake{}, "-an")
	if st != 0 || errs != "" {
		t.Fatalf("rarp -an: status %d, stderr %q", st, errs)
	}
	golden.Check(t, "dump", []byte(out))
}

func TestAgainstKernel(t *testing.T) {
	t.Setenv(client.EnvServer, "unix:///nonexistent")
	c := ktest.Client(t)
	if err := c.CreateInterface("virt0"); err != nil {
		t.Fatal(err)
	}
	if err := c.AddAddr("virt0", api.IfAddr{Addr: "10.0.0.2/24"}); err != nil {
		t.Fatal(err)
	}
	list := filepath.Join(t.TempDir(), "list")
	os.WriteFile(list, []byte("# static entries\n10.0.0.11 b2:a0:20:00:00:11\n10.0.0.12 \\\n b2:a0:20:00:00:12 temp\n10.0.0.13\n"), 0o644)
	steps := []struct {
		args       string
		wantOut    string
		wantErr    string
		wantStatus int
	}{
		{"-an", "^$", "", 0},
		{"-s 10.0.0.9 b2:a0:20:00:00:10", "^$", "", 0},
		{"-n 10.0.0.9", "^\\? \\(10.0.0.9\\) at b2:a0:20:00:00:10 on virt0 permanent\n$", "", 0},
		{"-s 10.0.0.9 b2:a0:20:00:00:fe", "^$", "^rarp: writing to routing socket: File exists\n$", 1},
		{"-s 10.9.9.9 b2:a0:20:00:00:10", "^$", "^rarp: cannot intuit interface index and type for 10.9.9.9\n$", 1},
		{"-s 10.0.0.30 b2:a0:20:00:00:30 pub", "^$", "", 0},
		{"-n 10.0.0.30", "^\\? \\(10.0.0.30\\) at b2:a0:20:00:00:30 on virt0 permanent published \\(proxy only\\)\n$", "", 0},
		{"-d 10.0.0.30 proxy", "^$", "", 0},
		{"-n 10.0.0.30", "^$", "^rarp: 10.0.0.30 \\(10.0.0.30\\) -- no entry\n$", 1},
		{"-s 10.0.0.9 zz", "^$", "^rarp: invalid link-level address 'zz'\n$", 1},
		{"-s 10.0.0.9 b2:a0:20:00:00:10 ifscope virt7", "^$", "^rarp: cannot get link address for virt7\n$", 1},
		{"-v -s 10.0.0.10 b2:a0:20:00:00:0a temp", "^10.0.0.10 \\(b2:a0:20:00:00:0a\\) added\n$", "", 0},
		{"-n 10.0.0.10", "^\\? \\(10.0.0.10\\) at b2:a0:20:00:00:0a on virt0\n$", "", 0},
		{"-s 10.0.0.10 b2:a0:20:00:00:0b", "^$", "", 0}, // a temporary entry may be replaced
		{"-n 10.0.0.10", "^\\? \\(10.0.0.10\\) at b2:a0:20:00:00:0b on virt0 permanent\n$", "", 0},
		{"-d 10.0.0.9", "^$", "", 0},
		{"-n 10.0.0.9", "^$", "^rarp: 10.0.0.9 \\(10.0.0.9\\) -- no entry\n$", 1},
		{"-d 10.0.0.9", "^$", "", 0},
		{"-v -d 10.0.0.10", "^10.0.0.10 \\(10.0.0.10\\) deleted\n$", "", 0},
		{"-f " + list, "^$", "^rarp: bad line: 10.0.0.13\n$", 1},
		{"-an", "^\\? \\(10.0.0.11\\) at b2:a0:20:00:00:11 on virt0 permanent\n\\? \\(10.0.0.12\\) at b2:a0:20:00:00:12 on virt0\n$", "", 0},
		{"-d -a", "^$", "", 0},
		{"-an", "^$", "", 0},
		{"-d 10.0.0.9 proxy", "^$", "", 0},
		{"-x", "^$", "^rarp: unknown option -- x\nUsage: rarp \\[-n\\] hostname\n", 1},
	}
	for _, s := range steps {
		out, errs, st := runMain(c, strings.Fields(s.args)...)
		if st != s.wantStatus || !regexp.MustCompile(s.wantOut).MatchString(out) ||
			(s.wantErr == "" && errs != "") || (s.wantErr != "" && !regexp.MustCompile(s.wantErr).MatchString(errs)) {
			t.Errorf("rarp %s:\ngot status %d, stdout %q, stderr %q\nwant status %d, stdout =~ %q, stderr =~ %q",
				s.args, st, out, errs, s.wantStatus, s.wantOut, s.wantErr)
		}
	}
}
