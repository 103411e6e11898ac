package ifconfig

import (
	"regexp"
	"strings"
	"testing"
)

// TestL2tpAgainstKernel follows NetBSD's l2tp(4) and ifconfig(8): the
// commands, their errors, and the tunnel, session and cookie lines. A
// refused change leaves the configuration as it was.
func TestL2tpAgainstKernel(t *testing.T) {
	c := kernelClient(t)
	noInetDAD(t, c)
	steps := []struct {
		args       string
		wantOut    string // regexp, matched against the whole output
		wantErr    string
		wantStatus int
	}{
		{"l2tp0 create", "^$", "", 0},
		{"l2tp0", "^l2tp0: flags=0x8810<POINTOPOINT,SIMPLEX,MULTICAST> mtu 1280\n\taddress: [0-9a-f:]{17}\n$", "", 0},
		{"l2tp0 tunnel 192.0.2.1 192.0.2.2", "^$", "", 0},
		{"l2tp0 session 1234 4321", "^$", "", 0},
		{"l2tp0 cookie 4 12648430 8 48879", "^$", "", 0},
		{"l2tp0 up", "^$", "", 0},
		{"l2tp0", "^l2tp0: flags=0x8851<UP,POINTOPOINT,RUNNING,SIMPLEX,MULTICAST> mtu 1280\n\taddress: [0-9a-f:]{17}\n" +
			"\ttunnel inet 192.0.2.1 --> 192.0.2.2\n\tlocal-session-id: 1234\n\tremote-session-id: 4321\n" +
			"\tlocal-cookie: 12648430\n\tremote-cookie: 48879\n", "", 0},
		// Bad input: NetBSD's errors, and nothing changes.
		{"l2tp0 session 0 4321", "^$", "^rifconfig: SIOCSL2TPSESSION: Invalid argument\n$", 1},
		{"l2tp0 session 1 0", "^$", "^rifconfig: SIOCSL2TPSESSION: Invalid argument\n$", 1},
		{"l2tp0 session x 1", "^$", "bad value", 1},
		{"l2tp0 cookie 3 1 4 1", "^$", "^rifconfig: SIOCSL2TPCOOKIE: Invalid argument\n$", 1},
		{"l2tp0 cookie 4 1 16 1", "^$", "^rifconfig: SIOCSL2TPCOOKIE: Invalid argument\n$", 1},
		{"l2tp0 cookie 4 0 4 1", "^$", "^rifconfig: SIOCSL2TPCOOKIE: Invalid argument\n$", 1},
		{"l2tp0 cookie 4 4294967296 4 1", "^$", "^rifconfig: SIOCSL2TPCOOKIE: Invalid argument\n$", 1},
		{"l2tp0 cookie 4 c0ffee 4 1", "^$", "bad value", 1},
		{"l2tp0 tunnel 192.0.2.1 192.0.2.1", "^$", "^rifconfig: SIOCSLIFPHYADDR: Invalid argument\n$", 0},
		{"l2tp0 tunnel 192.0.2.1 2001:db8::1", "^$", "^rifconfig: source and destination address families do not match\n$", 1},
		{"l2tp0 tunnel 2001:db8::1 ff02::1", "^$", "^rifconfig: tunnel src/dst is multicast\n$", 1},
		{"l2tp0 tunnel 192.0.2.1 224.0.0.1", "^$", "^rifconfig: SIOCSLIFPHYADDR: Invalid argument\n$", 0},
		{"l2tp0 tunnel 192.0.2.1", "^$", "(?m)^usage: rifconfig", 1},
		{"l2tp0 deletecookie frobnicate", "^$", "frobnicate: unknown parameter", 1},
		{"l2tp0", "\ttunnel inet 192.0.2.1 --> 192.0.2.2\n\tlocal-session-id: 1234\n\tremote-session-id: 4321\n" +
			"\tlocal-cookie: 12648430\n\tremote-cookie: 48879\n", "", 0},
		{"l2tp1 create", "^$", "", 0},
		{"l2tp1 session 1234 1", "^$", "^rifconfig: SIOCSL2TPSESSION: Invalid argument\n$", 1},
		{"l2tp1 session 1235 1", "^$", "", 0},
		{"l2tp1 destroy", "^$", "", 0},
		{"lo0 session 1 2", "^$", "^rifconfig: SIOCSL2TPSESSION: Inappropriate ioctl for device\n$", 1},
		{"l2tp0 tunnel 2001:db8::1 2001:db8::2", "^$", "", 0},
		{"l2tp0", "\ttunnel inet6 2001:db8::1 --> 2001:db8::2\n", "", 0},
		{"l2tp0 deletecookie", "^$", "", 0},
		{"l2tp0 deletesession", "^$", "", 0},
		{"l2tp0 deletetunnel", "^$", "", 0},
		{"l2tp0", "^l2tp0: flags=0x8811<UP,POINTOPOINT,SIMPLEX,MULTICAST> mtu 1280\n\taddress: [0-9a-f:]{17}\n\tinet6 fe80:", "", 0},
		{"l2tp0 mtu 1279", "^$", "^rifconfig: SIOCSIFMTU: Invalid argument\n$", 0},
		{"l2tp0 mtu 8192", "^$", "", 0},
		{"l2tp0 session 1234 4321", "^$", "", 0},
		{"--libxo=json l2tp0", `"name": "l2tp0"`, "", 0},
		{"l2tp0 destroy", "^$", "", 0},
		{"l2tp1 create", "^$", "", 0},
		{"l2tp1 session 1234 1", "^$", "", 0}, // l2tp0's session went with it
		{"l2tp1 destroy", "^$", "", 0},
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
