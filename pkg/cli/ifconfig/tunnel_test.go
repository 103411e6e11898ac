package ifconfig

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
)

// TestTunnelAgainstKernel follows NetBSD's t_gif (ioctl tests): the
// tunnel commands, their warnings and the tunnel line, for gif and gre.
func TestTunnelAgainstKernel(t *testing.T) {
	c := kernelClient(t)
	noInetDAD(t, c)
	steps := []struct {
		args       string
		wantOut    string // regexp, matched against the whole output
		wantErr    string
		wantStatus int
	}{
		{"gif0 create", "^$", "", 0},
		{"gif1 create", "^$", "", 0},
		{"gif0", "^gif0: flags=0x8010<POINTOPOINT,MULTICAST> mtu 1280\n$", "", 0},
		{"gif0 tunnel 192.0.2.1 192.0.2.2", "^$", "", 0},
		{"gif0", "^gif0: flags=0x8010<POINTOPOINT,MULTICAST> mtu 1280\n\ttunnel inet 192.0.2.1 --> 192.0.2.2\n$", "", 0},
		{"gif0 inet 10.1.0.1/32 10.1.0.2", "^$", "", 0},
		{"gif0", `(?m)^\tinet 10.1.0.1/32 -> 10.1.0.2 flags 0$`, "", 0},
		{"gif0", `^gif0: flags=0x8051<UP,POINTOPOINT,RUNNING,MULTICAST> mtu 1280\n`, "", 0},
		{"gif1 tunnel 192.0.2.1 192.0.2.2", "^$", "^rifconfig: SIOCSLIFPHYADDR: Can't assign requested address\n$", 0},
		{"gif1 tunnel 192.0.2.1 192.0.2.1", "^$", "^rifconfig: SIOCSLIFPHYADDR: Invalid argument\n$", 0},
		{"gif1 tunnel 192.0.2.1 fc00::2", "^$", "^rifconfig: source and destination address families do not match\n$", 1},
		{"gif1 tunnel fc00::1 fc00::2", "^$", "", 0},
		{"gif1", "(?m)^\ttunnel inet6 fc00::1 --> fc00::2$", "", 0},
		{"gif1 deletetunnel", "^$", "", 0},
		{"gif1", "^gif1: flags=0x8010<POINTOPOINT,MULTICAST> mtu 1280\n$", "", 0},
		{"lo0 tunnel 192.0.2.1 192.0.2.2", "^$", "^rifconfig: SIOCSLIFPHYADDR: Inappropriate ioctl for device\n$", 0},
		{"gif0 mtu 1279", "^$", "^rifconfig: SIOCSIFMTU: Invalid argument\n$", 0},
		{"gif0 destroy", "^$", "", 0},
		{"gre0 create", "^$", "", 0},
		{"gre0", "^gre0: flags=0x8010<POINTOPOINT,MULTICAST> mtu 1476\n$", "", 0},
		{"gre0 tunnel 192.0.2.1,4754 192.0.2.2,4754", "^$", "^rifconfig: SIOCSLIFPHYADDR: Invalid argument\n$", 0},
		{"gre0 link0 link2", "^$", "", 0},
		{"gre0 tunnel 192.0.2.1,4754 192.0.2.2,4754", "^$", "^rifconfig: SIOCSLIFPHYADDR: Can't assign requested address\n$", 0},
		{"gre0 tunnel 192.0.2.1 192.0.2.2", "^$", "^rifconfig: SIOCSLIFPHYADDR: Invalid argument\n$", 0},
		{"gre0 -link0 -link2", "^$", "", 0},
		{"gre0 tunnel 192.0.2.1 192.0.2.2", "^$", "", 0},
		{"gre0", "(?m)^\ttunnel inet 192.0.2.1 --> 192.0.2.2$", "", 0},
		{"--libxo=json gre0", `"tunnel-family": "inet", "tunnel-source": "192.0.2.1", "tunnel-destination": "192.0.2.2"`, "", 0},
		{"gre0 up", "^$", "", 0},
		{"gre0 destroy", "^$", "", 0},
		{"gif1 destroy", "^$", "", 0},
	}
	for _, s := range steps {
		out, errs, st := runMain(c, strings.Fields(s.args)...)
		if st != s.wantStatus || !regexp.MustCompile(s.wantOut).MatchString(out) ||
			(s.wantErr == "" && errs != "") || (s.wantErr != "" && !regexp.MustCompile(s.wantErr).MatchString(errs)) {
			t.Errorf("rifconfig %s:\ngot status %d, stdout %q, stderr %q\nwant status %d, stdout =~ %q, stderr =~ %q",
				s.args, st, out, errs, s.wantStatus, s.wantOut, s.wantErr)
		}
	}
}

func TestParseTunnelWords(t *testing.T) {
	tests := []struct {
		args    string
		want    string // the tunnel of the one action, "%+v"
		wantErr bool
	}{
		{"gif0 tunnel 192.0.2.1 192.0.2.2", "{Src:192.0.2.1 Dst:192.0.2.2 SrcPort:0 DstPort:0}", false},
		{"gre0 tunnel 192.0.2.1,4754 192.0.2.2,4755", "{Src:192.0.2.1 Dst:192.0.2.2 SrcPort:4754 DstPort:4755}", false},
		{"gif0 tunnel fc00::1 fc00::2", "{Src:fc00::1 Dst:fc00::2 SrcPort:0 DstPort:0}", false},
		{"gif0 deletetunnel", "{Src: Dst: SrcPort:0 DstPort:0}", false},
		{"gif0 tunnel 192.0.2.1 fc00::2", "", true},
		{"gif0 tunnel 192.0.2.1,x 192.0.2.2", "", true},
		{"gif0 tunnel 192.0.2.1,65536 192.0.2.2", "", true},
		{"gif0 tunnel host 192.0.2.2", "", true},
		{"gif0 tunnel 192.0.2.1", "", true},
	}
	for _, tt := range tests {
		r, err := parse(strings.Fields(tt.args))
		if tt.wantErr {
			if err == nil {
				t.Errorf("%s: got nil, want an error", tt.args)
			}
			continue
		}
		if err != nil || len(r.actions) != 1 || r.actions[0].tunnel == nil {
			t.Errorf("%s: got %v, %+v, want one tunnel action", tt.args, err, r)
			continue
		}
		if got := strings.TrimPrefix(sprintTunnel(r.actions[0]), "&"); got != tt.want {
			t.Errorf("%s: got %s, want %s", tt.args, got, tt.want)
		}
	}
}

func sprintTunnel(a action) string { return fmt.Sprintf("%+v", *a.tunnel) }
