package route

import (
	"bytes"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rumpnet/rumpnet/internal/cli"
	"github.com/rumpnet/rumpnet/internal/testkit/ktest"
	"github.com/rumpnet/rumpnet/pkg/api"
	"github.com/rumpnet/rumpnet/pkg/client"
)

func TestPrintMessage(t *testing.T) {
	now := time.Date(2026, 12, 7, 9, 5, 3, 0, time.UTC)
	head := "got message of size %d on Mon Dec  7 09:05:03 2026\n"
	tests := []struct {
		name string
		m    api.RouteMessage
		want string
	}{
		{"add net", api.RouteMessage{Type: api.RTM_ADD, Flags: api.RTF_UP | api.RTF_GATEWAY | api.RTF_DONE | api.RTF_STATIC,
			Dst: "10.1.0.0", Gateway: "10.0.0.1", Netmask: "255.255.0.0"},
			"RTM_ADD: Add Route: len 168, pid 0, seq 0, errno 0, flags: <UP,GATEWAY,DONE,STATIC>\n" +
				"locks: none inits: none\nsockaddrs: <DST,GATEWAY,NETMASK>\n 10.1.0.0 10.0.0.1 255.255.0.0\n"},
		{"cloned neighbour", api.RouteMessage{Type: api.RTM_ADD,
			Flags: api.RTF_UP | api.RTF_HOST | api.RTF_DONE | api.RTF_LLDATA | api.RTF_CLONED,
			Dst:   "10.0.0.2", Gateway: "b2:a0:20:00:00:02"},
			"RTM_ADD: Add Route: len 152, pid 0, seq 0, errno 0, flags: <UP,HOST,DONE,LLINFO,CLONED>\n" +
				"locks: none inits: none\nsockaddrs: <DST,GATEWAY>\n 10.0.0.2 b2:a0:20:00:00:02\n"},
		{"delete inet6", api.RouteMessage{Type: api.RTM_DELETE, Flags: api.RTF_GATEWAY | api.RTF_DONE | api.RTF_STATIC,
			Dst: "fc00:1::", Gateway: "fc00::1", Netmask: "ffff:ffff:ffff:ffff::"},
			"RTM_DELETE: Delete Route: len 216, pid 0, seq 0, errno 0, flags: <GATEWAY,DONE,STATIC>\n" +
				"locks: none inits: none\nsockaddrs: <DST,GATEWAY,NETMASK>\n fc00:1:: fc00::1 ffff:ffff:ffff:ffff::\n"},
		{"change", api.RouteMessage{Type: api.RTM_CHANGE, Flags: api.RTF_UP | api.RTF_DONE | api.RTF_STATIC | api.RTF_HOST,
			Dst: "10.9.9.9", Gateway: "link#2"},
			"RTM_CHANGE: Change Metrics, Flags or Gateway: len 144, pid 0, seq 0, errno 0, flags: <UP,HOST,DONE,STATIC>\n" +
				"locks: none inits: none\nsockaddrs: <DST,GATEWAY>\n 10.9.9.9 link#2\n"},
		{"newaddr", api.RouteMessage{Type: api.RTM_NEWADDR, Flags: api.RTF_UP, Netmask: "255.255.255.0",
			IFP: "shmif0", IFA: "10.0.0.1", Brd: "10.0.0.255"},
			"RTM_NEWADDR: address being added to iface: len 104, metric 0, flags: <UP>\n" +
				"sockaddrs: <NETMASK,IFP,IFA,BRD>\n 255.255.255.0 shmif0 10.0.0.1 10.0.0.255\n"},
		{"deladdr", api.RouteMessage{Type: api.RTM_DELADDR, Flags: api.RTF_UP, Netmask: "ffff:ffff:ffff:ffff::",
			IFP: "shmif0", IFA: "fe80::1%shmif0"},
			"RTM_DELADDR: address being removed from iface: len 120, metric 0, flags: <UP>\n" +
				"sockaddrs: <NETMASK,IFP,IFA>\n ffff:ffff:ffff:ffff:: shmif0 fe80::1%shmif0\n"},
		{"ifinfo", api.RouteMessage{Type: api.RTM_IFINFO, Index: 2, LinkState: "up",
			Flags: api.IFF_UP | api.IFF_BROADCAST | api.IFF_RUNNING | api.IFF_SIMPLEX | api.IFF_MULTICAST},
			"RTM_IFINFO: iface status change: len 152, if# 2, carrier: active, flags: <UP,BROADCAST,RUNNING,SIMPLEX,MULTICAST>\n"},
		{"ifinfo down", api.RouteMessage{Type: api.RTM_IFINFO, Index: 3, LinkState: "down", Flags: 0},
			"RTM_IFINFO: iface status change: len 152, if# 3, carrier: no carrier, flags: none\n"},
		{"arrival", api.RouteMessage{Type: api.RTM_IFANNOUNCE, Index: 3, IFP: "shmif1", What: api.IfArrival},
			"RTM_IFANNOUNCE: iface arrival/departure: len 24, if# 3, what: arrival\n"},
		{"departure", api.RouteMessage{Type: api.RTM_IFANNOUNCE, Index: 3, IFP: "shmif1", What: api.IfDeparture},
			"RTM_IFANNOUNCE: iface arrival/departure: len 24, if# 3, what: departure\n"},
		{"connected", api.RouteMessage{Type: api.RTM_ADD, Flags: api.RTF_UP | api.RTF_DONE | api.RTF_CONNECTED,
			Dst: "10.0.0.0", Gateway: "link#2", Netmask: "255.255.255.0", IFP: "shmif0", IFA: "10.0.0.1"},
			"RTM_ADD: Add Route: len 200, pid 0, seq 0, errno 0, flags: <UP,DONE,CONNECTED>\n" +
				"locks: none inits: none\nsockaddrs: <DST,GATEWAY,NETMASK,IFP,IFA>\n 10.0.0.0 link#2 255.255.255.0 shmif0 10.0.0.1\n"},
		{"miss on a link", api.RouteMessage{Type: api.RTM_MISS, Index: 2, Flags: api.RTF_DONE, Dst: "10.0.1.99", Gateway: "link#2"},
			"RTM_MISS: Lookup failed on this address: len 144, pid 0, seq 0, errno 0, flags: <DONE>\n" +
				"locks: none inits: none\nsockaddrs: <DST,GATEWAY>\n 10.0.1.99 link#2\n"},
		{"miss without a route", api.RouteMessage{Type: api.RTM_MISS, Flags: api.RTF_DONE, Dst: "10.0.99.99"},
			"RTM_MISS: Lookup failed on this address: len 136, pid 0, seq 0, errno 0, flags: <DONE>\n" +
				"locks: none inits: none\nsockaddrs: <DST>\n 10.0.99.99\n"},
		{"unknown type", api.RouteMessage{Type: 99, Flags: api.RTF_UP},
			"#99: len 120, pid 0, seq 0, errno 0, flags: <UP>\nlocks: none inits: none\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			printMessage(&b, tt.m, now, nil)
			lines := strings.SplitN(b.String(), "\n", 2)
			var n int
			if _, err := fmtSscanf(lines[0]+"\n", head, &n); err != nil {
				t.Fatalf("got first line %q, want %q", lines[0], head)
			}
			if got := lines[1]; got != tt.want {
				t.Errorf("got\n%s\nwant\n%s", got, tt.want)
			}
			if !strings.Contains(tt.want, " len "+itoa(n)+",") {
				t.Errorf("got size %d, want the message's len", n)
			}
		})
	}
}

// TestMonitorAgainstKernel runs rroute monitor -c 2 while routes change,
// as NetBSD's tests run route monitor in the background.
func TestMonitorAgainstKernel(t *testing.T) {
	t.Setenv(client.EnvServer, "unix:///nonexistent")
	c := ktest.Client(t)
	if err := c.CreateInterface("virt0"); err != nil {
		t.Fatal(err)
	}
	if err := c.AddAddr("virt0", api.IfAddr{Addr: "10.0.0.2/24"}); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	done := make(chan int)
	go func() {
		done <- Main(&cli.Tool{Name: "rroute", Stdout: &out, Stderr: &errb}, func() Backend { return c },
			[]string{"-n", "monitor", "-c", "2"})
	}()
	// The monitor sees messages only from when it subscribed: change the
	// table until it has had two.
	deadline := time.After(30 * time.Second)
	r := api.Route{Dest: "10.7.0.0/16", Gateway: "10.0.0.1", Flags: api.RTF_GATEWAY | api.RTF_STATIC}
	var st int
loop:
	for {
		c.AddRoute(4, r)
		c.DeleteRoute(4, r)
		select {
		case st = <-done:
			break loop
		case <-deadline:
			t.Fatal("monitor did not finish")
		default:
		}
	}
	if st != 0 || errb.Len() != 0 {
		t.Fatalf("got status %d, stderr %q; want 0, none", st, errb.String())
	}
	want := regexp.MustCompile(`(?m)^RTM_(ADD: Add|DELETE: Delete) Route: len 168, pid 0, seq 0, errno 0, flags: <(UP,)?GATEWAY,DONE,STATIC>\n` +
		`locks: none inits: none\nsockaddrs: <DST,GATEWAY,NETMASK>\n 10\.7\.0\.0 10\.0\.0\.1 255\.255\.0\.0$`)
	if got := len(want.FindAllString(out.String(), -1)); got != 2 {
		t.Errorf("got %d route messages in\n%s\nwant 2", got, out.String())
	}
}

func fmtSscanf(s, format string, n *int) (int, error) { return fmt.Sscanf(s, format, n) }

func itoa(n int) string { return strconv.Itoa(n) }
