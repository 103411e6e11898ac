package hostbr_test

// rbrconfig's command line against the host backend, in a fresh network
// namespace: the same words and output as against a rump kernel.

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/rumpnet/rumpnet/internal/cli"
	"github.com/rumpnet/rumpnet/internal/testkit"
	"github.com/rumpnet/rumpnet/internal/testkit/netnstest"
	"github.com/rumpnet/rumpnet/pkg/cli/brconfig"
	"github.com/rumpnet/rumpnet/pkg/hostbr"
	"github.com/vishvananda/netlink"
)

func TestCommandLine(t *testing.T) {
	netnstest.Run(t, func() {
		for _, l := range []netlink.Link{
			&netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: "bridge0"}},
			&netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: "tap0"}, PeerName: "tap0p"},
			&netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: "em0"}, PeerName: "em0p"},
		} {
			if err := netlink.LinkAdd(l); err != nil {
				testkit.Skip(t, "cannot add a %s link: %v", l.Type(), err)
			}
		}
		idx := func(name string) int {
			l, err := netlink.LinkByName(name)
			if err != nil {
				t.Fatal(err)
			}
			return l.Attrs().Index
		}
		tap0, em0 := idx("tap0"), idx("em0")
		steps := []struct {
			args       string
			wantOut    string // regexp, matched against the whole output
			wantErr    string
			wantStatus int
		}{
			{"bridge0 add tap0 em0 up", "^$", "", 0},
			{"-a", fmt.Sprintf(`^bridge0: flags=[0-9a-f]+<UP,BROADCAST,(RUNNING,)?SIMPLEX,MULTICAST>
	Configuration:
		priority 32768 hellotime 2 fwddelay 15 maxage 20
		ipfilter disabled flags 0x0
	Interfaces:
		em0 flags=3<LEARNING,DISCOVER>
			port %d priority 32
		tap0 flags=3<LEARNING,DISCOVER>
			port %d priority 32
	Address cache \(max cache: 0, timeout: 300\):
$`, em0, tap0), "", 0},
			{"bridge0 static tap0 0:aa:aa:aa:aa:aa timeout 1200 stp em0 ifpathcost em0 0x10 priority 4096", "^$", "", 0},
			{"bridge0", fmt.Sprintf(`(?s)priority 4096 hellotime 2 .*
		em0 flags=7<LEARNING,DISCOVER,STP>
			port %d priority 32 path cost 16 (disabled|listening|learning|forwarding|blocking)
		tap0 flags=7<LEARNING,DISCOVER,STP>
.*	Address cache \(max cache: 0, timeout: 1200\):
		00:aa:aa:aa:aa:aa tap0 0 flags=1<STATIC>
$`, em0), "", 0},
			{"bridge0 addr", "^\t00:aa:aa:aa:aa:aa tap0 0 flags=1<STATIC>\n$", "", 0},
			{"bridge0 -stp tap0 -learn tap0 protect tap0 -discover em0", "^$", "", 0},
			{"bridge0", `(?s)em0 flags=1<LEARNING>\n.*tap0 flags=a<DISCOVER,PROTECTED>\n`, "", 0},
			{"bridge0 deladdr 00:aa:aa:aa:aa:aa addr", "^$", "", 0},
			{"bridge0 deladdr 00:aa:aa:aa:aa:aa", "^$", "^rbrconfig: deladdr 00:aa:aa:aa:aa:aa: No such file or directory\n$", 1},
			{"bridge0 add tap0", "^$", "^rbrconfig: add tap0: File exists\n$", 1},
			{"bridge0 add nosuch0", "^$", "^rbrconfig: add nosuch0: No such file or directory\n$", 1},
			{"bridge0 learn lo", "^$", "^rbrconfig: unable to get bridge flags: No such file or directory\n$", 1},
			{"bridge0 static lo 00:aa:aa:aa:aa:aa", "^$", "^rbrconfig: static lo 00:aa:aa:aa:aa:aa: No such file or directory\n$", 1},
			{"bridge0 ifpriority tap0 200", "^$", "^rbrconfig: ifpriority: the Linux bridge takes port priorities from 0 to 63\n$", 1},
			{"bridge0 hellotime 0", "^$", "^rbrconfig: hellotime: invalid value: 0\n$", 1},
			{"bridge0 hellotime 11", "^$", "^rbrconfig: hellotime: the Linux bridge takes a hello time of 1 to 10 seconds\n$", 1},
			{"bridge0 maxaddr 50", "^$", "^rbrconfig: maxaddr: the Linux host backend does not limit .*\n$", 1},
			{"bridge0 ipf", "^$", "^rbrconfig: ipf: Linux bridges have no ipf\\(4\\) hook.*\n$", 1},
			{"bridge0 -ipf", "^$", "", 0},
			{"bridge0 delete tap0 em0 down", "^$", "", 0},
			{"bridge0", `(?s)^bridge0: flags=[0-9a-f]+<BROADCAST,SIMPLEX,MULTICAST>\n.*\tInterfaces:\n\tAddress cache`, "", 0},
			{"bridge9", "^$", "^rbrconfig: unable to get interface flags: Device not configured\n$", 1},
			{"bridge0 delete tap0", "^$", "^rbrconfig: delete tap0: No such file or directory\n$", 1},
		}
		for _, s := range steps {
			var out, errb bytes.Buffer
			st := brconfig.Main(&cli.Tool{Name: "rbrconfig", Stdout: &out, Stderr: &errb}, &hostbr.Host{}, strings.Fields(s.args))
			if st != s.wantStatus || !regexp.MustCompile(s.wantOut).MatchString(out.String()) ||
				(s.wantErr == "" && errb.Len() > 0) || (s.wantErr != "" && !regexp.MustCompile(s.wantErr).MatchString(errb.String())) {
				t.Errorf("rbrconfig %s:\ngot status %d, stdout %q, stderr %q\nwant status %d, stdout =~ %q, stderr =~ %q",
					s.args, st, out.String(), errb.String(), s.wantStatus, s.wantOut, s.wantErr)
			}
		}
	})
}
