package ifconfig

import (
	"regexp"
	"strings"
	"testing"
)

// TestVlanAgainstKernel follows NetBSD's t_vlan (vlan_vlanid,
// vlan_configs): the commands, their errors and the vlan line.
func TestVlanAgainstKernel(t *testing.T) {
	c := kernelClient(t)
	noInetDAD(t, c)
	steps := []struct {
		args       string
		wantOut    string // regexp, matched against the whole output
		wantErr    string
		wantStatus int
	}{
		{"shmif0 create", "^$", "", 0},
		{"shmif1 create", "^$", "", 0},
		{"vlan0 create", "^$", "", 0},
		{"vlan0", "^vlan0: flags=0\n$", "", 0},
		{"vlan0 up", "^$", "", 0},
		{"vlan0 down", "^$", "", 0},
		{"vlan0 inet 10.0.0.1/24", "^$", "^rifconfig: SIOCAIFADDR: Invalid argument\n$", 1},
		{"vlan0 vlan -1 vlanif shmif0", "^$", "(?m)^usage: rifconfig", 1},
		{"vlan0 vlan 65536 vlanif shmif0", "^$", "(?m)^usage: rifconfig", 1},
		{"vlan0 vlanif shmif0", "^$", "(?m)^usage: rifconfig", 1},
		{"vlan0 vlan 0 vlanif shmif0", "^$", "^rifconfig: SIOCSETVLAN: Invalid argument\n$", 1},
		{"vlan0 vlan 4095 vlanif shmif0", "^$", "^rifconfig: SIOCSETVLAN: Invalid argument\n$", 1},
		{"vlan0 vlan 4096 vlanif shmif0", "^$", "^rifconfig: SIOCSETVLAN: Invalid argument\n$", 1},
		{"vlan0 vlan 10 vlanif shmif9", "^$", "^rifconfig: SIOCSETVLAN: No such file or directory\n$", 1},
		{"vlan0 vlan 10 vlanif lo0", "^$", "^rifconfig: SIOCSETVLAN: Protocol not supported\n$", 1},
		{"shmif0 vlan 10 vlanif shmif1", "^$", "^rifconfig: valid only with vlan\\(4\\) interfaces\n$", 1},
		{"vlan0", "^vlan0: flags=0\n$", "", 0},
		{"vlan0 vlan 1 vlanif shmif0", "^$", "", 0},
		{"vlan0", `^vlan0: flags=0x8802<BROADCAST,SIMPLEX,MULTICAST> mtu 1496\n\tvlan: 1 parent: shmif0\n\taddress: [0-9a-f:]{17}\n`, "", 0},
		{"vlan0 vlan 2 vlanif shmif0", "^$", "^rifconfig: SIOCSETVLAN: Device busy\n$", 1},
		{"vlan0 vlan 1 vlanif shmif1", "^$", "^rifconfig: SIOCSETVLAN: Device busy\n$", 1},
		// NetBSD's "vlan n" sets the tag on the current parent first, so a
		// configured vlan is busy even for a parent that does not exist.
		{"vlan0 vlan 1 vlanif shmif7", "^$", "^rifconfig: SIOCSETVLAN: Device busy\n$", 1},
		{"vlan0 vlan 2", "^$", "^rifconfig: SIOCSETVLAN: Device busy\n$", 1},
		{"vlan0 mtu 1497", "^$", "^rifconfig: SIOCSIFMTU: Invalid argument\n$", 0},
		{"vlan0 mtu 42", "^$", "", 0},
		{"vlan0 mtu 41", "^$", "^rifconfig: SIOCSIFMTU: Invalid argument\n$", 0},
		{"vlan1 create", "^$", "", 0},
		{"vlan1 vlan 1 vlanif shmif0", "^$", "^rifconfig: SIOCSETVLAN: File exists\n$", 1},
		{"vlan1 vlan 1 vlanif shmif1", "^$", "", 0},
		{"vlan1 -vlanif shmif1", "^$", "", 0},
		{"vlan1", "^vlan1: flags=0\n$", "", 0},
		{"vlan0 -vlanif shmif2", "^$", "", 0},
		{"vlan0 vlan 10 vlanif shmif0", "^$", "", 0},
		{"vlan0 inet 10.0.0.1/24 up", "^$", "", 0},
		{"vlan0 inet", `^vlan0: flags=0x8843<UP,BROADCAST,RUNNING,SIMPLEX,MULTICAST> mtu 1496\n\tvlan: 10 parent: shmif0\n`, "", 0},
		{"--libxo=json vlan0", `"vlan": 10, "vlan-parent": "shmif0"`, "", 0},
		{"shmif0 destroy", "^$", "", 0},
		{"vlan0", "^vlan0: flags=0\n\tinet 10.0.0.1/24", "", 0},
		{"vlan0 destroy", "^$", "", 0},
		{"vlan1 destroy", "^$", "", 0},
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

func TestParseVlanWords(t *testing.T) {
	tests := []struct {
		args string
		want []action
	}{
		{"vlan0 vlan 10 vlanif virt0", []action{{what: "vlan", n: 10, s: "virt0"}}},
		{"vlan0 vlan 7", []action{{what: "vlan", n: 7}}},
		{"vlan0 -vlanif", []action{{what: "-vlanif"}}},
		{"vlan0 -vlanif virt0 up", []action{{what: "-vlanif"}, {what: "flags", setFlags: 1}}},
	}
	for _, tt := range tests {
		r, err := parse(strings.Fields(tt.args))
		if err != nil {
			t.Errorf("%s: %v", tt.args, err)
			continue
		}
		if len(r.actions) != len(tt.want) {
			t.Errorf("%s: got %+v, want %+v", tt.args, r.actions, tt.want)
			continue
		}
		for i := range tt.want {
			if r.actions[i] != tt.want[i] {
				t.Errorf("%s: action %d got %+v, want %+v", tt.args, i, r.actions[i], tt.want[i])
			}
		}
	}
}
