package ifmcstat

import (
	"bytes"
	"strings"
	"testing"

	"github.com/rumpnet/rumpnet/internal/cli"
	"github.com/rumpnet/rumpnet/internal/testkit/ktest"
	"github.com/rumpnet/rumpnet/pkg/api"
	"github.com/rumpnet/rumpnet/pkg/client"
)

func TestPrint(t *testing.T) {
	tests := []struct {
		name string
		in   []api.Multicast
		want string
	}{
		{"loopback", []api.Multicast{{Interface: "lo0"}}, "lo0:\n"},
		{"ethernet", []api.Multicast{{Interface: "shmif0", LinkAddr: "b2:a0:00:00:00:01",
			Addrs: []api.MulticastAddr{
				{Addr: "10.0.0.1", Groups: []api.MulticastGroup{{Group: "224.0.0.1", Refcnt: 1}}},
				{Addr: "fe80::1%shmif0", Groups: []api.MulticastGroup{{Group: "ff02::1%shmif0", Refcnt: 1}}},
			},
			Link: []api.LinkGroup{{Addr: "01:00:5e:00:00:01", Refcnt: 1}, {Addr: "33:33:00:00:00:01", Refcnt: 1}}}},
			"shmif0:\n\tinet6 fe80::1%shmif0\n\t\tgroup ff02::1%shmif0 refcount 1\n" +
				"\tinet 10.0.0.1\n\t\tgroup 224.0.0.1 refcount 1\n" +
				"\tenaddr b2:a0:00:00:00:01 multicnt 2\n" +
				"\t\t01:00:5e:00:00:01 -- 01:00:5e:00:00:01 1\n\t\t33:33:00:00:00:01 -- 33:33:00:00:00:01 1\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			Print(&b, tt.in)
			if got := b.String(); got != tt.want {
				t.Errorf("got\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

func TestMainAgainstKernel(t *testing.T) {
	t.Setenv(client.EnvServer, "unix:///nonexistent")
	c := ktest.Client(t)
	if _, err := c.Set("net.inet6.ip6.dad_count", 0); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Set("net.inet.ip.dad_count", 0); err != nil {
		t.Fatal(err)
	}
	if err := c.CreateInterface("virt0"); err != nil {
		t.Fatal(err)
	}
	for _, a := range []string{"10.0.0.2/24", "fc00::2/64"} {
		if err := c.AddAddr("virt0", api.IfAddr{Addr: a}); err != nil {
			t.Fatal(err)
		}
	}
	var out, errb bytes.Buffer
	st := Main(&cli.Tool{Name: "rifmcstat", Stdout: &out, Stderr: &errb}, func() Backend { return c }, nil)
	if st != 0 {
		t.Fatalf("got status %d (%s), want 0", st, errb.String())
	}
	for _, want := range []string{"virt0:\n", "\tinet 10.0.0.2\n\t\tgroup 224.0.0.1 refcount 1\n",
		"\tinet6 fc00::2\n\t\tgroup ff02::1:ff00:2%virt0 refcount 1\n", "\t\t33:33:ff:00:00:02 -- 33:33:ff:00:00:02 1\n"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("got\n%s\nwant it to contain %q", out.String(), want)
		}
	}
}
