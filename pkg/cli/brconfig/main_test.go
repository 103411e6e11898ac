package brconfig

import (
	"bytes"
	"reflect"
	"strings"
	"syscall"
	"testing"

	"github.com/rumpnet/rumpnet/internal/cli"
	"github.com/rumpnet/rumpnet/internal/testkit/golden"
	"github.com/rumpnet/rumpnet/pkg/api"
	"github.com/rumpnet/rumpnet/pkg/client"
)

func runMain(b Backend, args ...string) (string, string, int) {
	var out, errb bytes.Buffer
	st := Main(&cli.Tool{Name: "rbrconfig", Stdout: &out, Stderr: &errb}, b, args)
	return out.String(), errb.String(), st
}

func TestMainOutput(t *testing.T) {
	tests := []struct {
		name string
		args string
	}{
		{"all", "-a"},
		{"status", "bridge0"},
		{"addr", "bridge0 addr"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// virt0 is no bridge name: -a leaves it out, as NetBSD does.
			f := newFake(bridge0, bridge1, api.BridgeStatus{Name: "virt0"})
			out, errs, st := runMain(f, strings.Fields(tt.args)...)
			if st != 0 || errs != "" {
				t.Fatalf("rbrconfig %s: status %d, stderr %q", tt.args, st, errs)
			}
			golden.Check(t, "main-"+tt.name, []byte(out))
		})
	}
}

func TestMainOrder(t *testing.T) {
	f := newFake(bridge1)
	out, errs, st := runMain(f, strings.Fields("bridge1 up add virt0 virt1 addr timeout 0x10 down flushall addr up")...)
	if st != 0 || errs != "" {
		t.Fatalf("got status %d stderr %q", st, errs)
	}
	want := []string{
		"bridge1 {Op:add Member:virt0 MAC: Value:0 On:false}",
		"bridge1 {Op:add Member:virt1 MAC: Value:0 On:false}",
		"bridge1 {Op:timeout Member: MAC: Value:16 On:false}",
		"bridge1 {Op:flushall Member: MAC: Value:0 On:false}",
		"bridge1 up=true", // once, after everything else
	}
	if !reflect.DeepEqual(f.calls, want) {
		t.Errorf("calls:\ngot  %q\nwant %q", f.calls, want)
	}
	if out != "" {
		t.Errorf("addr on an empty cache: got %q, want nothing", out)
	}
}

func TestMainErrors(t *testing.T) {
	ex := api.Explainf(syscall.EOPNOTSUPP, "ipf: the rump kernel has no packet filter")
	tests := []struct {
		args      string
		failOp    string
		failErr   error
		wantErr   string
		wantCalls int
	}{
		{"", "", nil, "usage: rbrconfig -a\n", 0},
		{"-x", "", nil, "rbrconfig: unknown option -- x\nusage: rbrconfig -a\n", 0},
		{"-a bridge0", "", nil, "rbrconfig: -a takes no other arguments\nusage: rbrconfig -a\n", 0},
		{"bridge0123456789x up", "", nil, "rbrconfig: interface name too long\nusage: rbrconfig -a\n", 0},
		{"virt0 up", "", nil, "rbrconfig: virt0 is not a bridge\n", 0},
		{"bridge0 add virt0 up frob", "", nil, "rbrconfig: unknown command: frob\n", 0},
		{"bridge0 up add", "", nil, "rbrconfig: command add requires 1 argument(s)\n", 0},
		{"bridge0 static virt0", "", nil, "rbrconfig: command static requires 2 argument(s)\n", 0},
		{"bridge0 add virt0 maxaddr x", "", nil, "rbrconfig: maxaddr: invalid value: x\n", 0},
		{"bridge0 priority 70000", "", nil, "rbrconfig: priority: invalid value: 70000\n", 0},
		{"bridge0 static virt0 zz:00:00:00:00:00", "", nil, "rbrconfig: static: invalid address: zz:00:00:00:00:00\n", 0},
		{"bridge0 deladdr 1:2:3", "", nil, "rbrconfig: deladdr: invalid address: 1:2:3\n", 0},
		{"bridge9", "", nil, "rbrconfig: unable to get interface flags: Device not configured\n", 0},
		{"bridge9 add virt0 up", "", nil, "rbrconfig: unable to get interface flags: Device not configured\n", 0},
		{"bridge0 add virt9", api.BridgeAdd, api.Errorf(syscall.ENOENT, "virt9"), "rbrconfig: add virt9: No such file or directory\n", 1},
		{"bridge0 add virt0", api.BridgeAdd, api.Errorf(syscall.EEXIST, ""), "rbrconfig: add virt0: File exists\n", 1},
		{"bridge0 add virt1 up", api.BridgeAdd, api.Errorf(syscall.EBUSY, ""), "rbrconfig: add virt1: Device busy\n", 1},
		{"bridge0 add lo0", api.BridgeAdd, api.Errorf(syscall.EINVAL, ""), "rbrconfig: add lo0: Invalid argument\n", 1},
		{"bridge0 delete virt9", api.BridgeDelete, api.Errorf(syscall.ENOENT, ""), "rbrconfig: delete virt9: No such file or directory\n", 1},
		{"bridge0 static virt9 0:aa:aa:aa:aa:aa", api.BridgeStatic, api.Errorf(syscall.ENOENT, ""), "rbrconfig: static virt9 0:aa:aa:aa:aa:aa: No such file or directory\n", 1},
		{"bridge0 deladdr 00:aa:aa:aa:aa:aa", api.BridgeDelAddr, api.Errorf(syscall.ENOENT, ""), "rbrconfig: deladdr 00:aa:aa:aa:aa:aa: No such file or directory\n", 1},
		{"bridge0 learn virt9", api.BridgeMemberFlag, api.Errorf(syscall.ENOENT, ""), "rbrconfig: unable to get bridge flags: No such file or directory\n", 1},
		{"bridge0 -stp virt0", api.BridgeMemberFlag, api.Errorf(syscall.EINVAL, ""), "rbrconfig: unable to set bridge flags: Invalid argument\n", 1},
		{"bridge0 maxaddr 5", api.BridgeMaxAddr, api.Errorf(syscall.EINVAL, ""), "rbrconfig: maxaddr 5: Invalid argument\n", 1},
		{"bridge0 timeout 10", api.BridgeTimeout, api.Errorf(syscall.EINVAL, ""), "rbrconfig: timeout 10: Invalid argument\n", 1},
		{"bridge0 hellotime 0", "", nil, "rbrconfig: hellotime: invalid value: 0\n", 0},
		{"bridge0 hellotime 10", api.BridgeHelloTime, api.Errorf(syscall.EINVAL, ""), "rbrconfig: hellotime 10: Invalid argument\n", 1},
		{"bridge0 fwddelay 4", api.BridgeFwdDelay, api.Errorf(syscall.EINVAL, ""), "rbrconfig: fwddelay 4: Invalid argument\n", 1},
		{"bridge0 maxage 0x6", api.BridgeMaxAge, api.Errorf(syscall.EINVAL, ""), "rbrconfig: maxage 0x6: Invalid argument\n", 1},
		{"bridge0 priority 1", api.BridgePriority, api.Errorf(syscall.EPERM, ""), "rbrconfig: priority 1: Operation not permitted\n", 1},
		{"bridge0 ifpriority virt9 1", api.BridgeIfPriority, api.Errorf(syscall.ENOENT, ""), "rbrconfig: ifpriority virt9: No such file or directory\n", 1},
		{"bridge0 ifpathcost virt9 1", api.BridgeIfPathCost, api.Errorf(syscall.ENOENT, ""), "rbrconfig: ifpathcost virt9: No such file or directory\n", 1},
		{"bridge0 flush", api.BridgeFlush, api.Errorf(syscall.EPERM, ""), "rbrconfig: flush: Operation not permitted\n", 1},
		{"bridge0 flushall", api.BridgeFlushAll, api.Errorf(syscall.EPERM, ""), "rbrconfig: flushall: Operation not permitted\n", 1},
		{"bridge0 ipf", api.BridgeIPF, ex, "rbrconfig: ipf: the rump kernel has no packet filter\n", 1},
		{"bridge0 -ipf", api.BridgeIPF, api.Errorf(syscall.EPERM, ""), "rbrconfig: -ipf: Operation not permitted\n", 1},
		{"bridge0 up", "setup", api.Errorf(syscall.ENXIO, ""), "rbrconfig: unable to set interface flags: Device not configured\n", 1},
		{"bridge0", "status", api.Errorf(syscall.EIO, ""), "rbrconfig: unable to get bridge status: Input/output error\n", 0},
		{"-a", "status", api.Errorf(syscall.EIO, ""), "rbrconfig: unable to get bridge status: Input/output error\n", 0},
		{"bridge0 addr", "status", api.Errorf(syscall.EIO, ""), "rbrconfig: unable to get address cache: Input/output error\n", 0},
		{"-a", "list", api.Errorf(syscall.EIO, ""), "rbrconfig: getifaddrs: Input/output error\n", 0},
		// A failed step stops the run: later steps and up are not applied.
		{"bridge0 add virt0 add virt9 add virt1 up", api.BridgeAdd, api.Errorf(syscall.ENOENT, ""), "rbrconfig: add virt0: No such file or directory\n", 1},
	}
	for _, tt := range tests {
		f := newFake(bridge0)
		if tt.failOp != "" {
			f.fail[tt.failOp] = tt.failErr
		}
		out, errs, st := runMain(f, strings.Fields(tt.args)...)
		if st != 1 || !strings.HasPrefix(errs, tt.wantErr) || out != "" {
			t.Errorf("rbrconfig %s: got status %d stdout %q stderr %q, want 1 and stderr starting %q", tt.args, st, out, errs, tt.wantErr)
		}
		if strings.Contains(tt.wantErr, "usage:") != strings.Contains(errs, "usage:") {
			t.Errorf("rbrconfig %s: usage printed is %v, want %v", tt.args, !strings.Contains(tt.wantErr, "usage:"), strings.Contains(tt.wantErr, "usage:"))
		}
		if len(f.calls) != tt.wantCalls {
			t.Errorf("rbrconfig %s: %d changes made (%q), want %d", tt.args, len(f.calls), f.calls, tt.wantCalls)
		}
	}
}

func TestMainSuccess(t *testing.T) {
	tests := []struct {
		args    string
		wantOut string
	}{
		{"bridge0 add virt2 virt3", ""},
		{"bridge0 -ipf", ""},
		{"bridge0 flush addr", "\tb2:0a:11:0b:0e:01 virt1 1199 flags=0<>\n\t00:aa:aa:aa:aa:aa virt0 0 flags=1<STATIC>\n"},
		{"bridge0 down", ""},
	}
	for _, tt := range tests {
		out, errs, st := runMain(newFake(bridge0), strings.Fields(tt.args)...)
		if st != 0 || errs != "" || out != tt.wantOut {
			t.Errorf("rbrconfig %s: got status %d stdout %q stderr %q, want 0 and stdout %q", tt.args, st, out, errs, tt.wantOut)
		}
	}
}

func TestRun(t *testing.T) {
	t.Setenv(client.EnvServer, "unix:///nonexistent/rbrconfig-test")
	var out, errb bytes.Buffer
	if st := Run([]string{"bridge0"}, &out, &errb); st != 1 || errb.String() != "rbrconfig: rump client init: unix:///nonexistent/rbrconfig-test: No such file or directory (no such socket: is rump_server running?)\n" {
		t.Errorf("Run with an unreachable server: got status %d, stderr %q", st, errb.String())
	}
	errb.Reset()
	if st := Run(nil, &out, &errb); st != 1 || !strings.HasPrefix(errb.String(), "usage: rbrconfig -a\n") {
		t.Errorf("Run without arguments: got status %d, stderr %q, want 1 and the usage", st, errb.String())
	}
}
