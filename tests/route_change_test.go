package tests

// NetBSD's t_change and t_flags announce cases end to end: rroute's
// request goes through the control socket to the kernel, and rnetstat and
// rroute get show what the kernel made of it.

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestRouteChangeEndToEnd(t *testing.T) {
	e := newEnv(t)
	e.startServer()
	bus := filepath.Join(e.dir, "bus")
	for _, s := range []struct{ ifname, addr string }{{"shmif0", "10.0.0.10/24"}, {"shmif1", "10.0.0.11/24"}} {
		e.mustRif(s.ifname, "create")
		e.mustRif(s.ifname, "linkstr", bus)
		e.mustRif(s.ifname, "inet", s.addr, "up")
	}
	e.mustRif("shmif0", "inet", "10.0.0.12/24", "alias")
	steps := []struct {
		args  string // rroute arguments
		route string // the rnetstat -rn line wanted after it
		get   string // with a prefix of 192.168.0/24: route get's local addr and interface
	}{
		{"add 207.46.197.32 127.0.0.1 -reject", `^207\.46\.197\.32 +127\.0\.0\.1 +UGHRS `, ""},
		{"change 207.46.197.32 127.0.0.1 -blackhole", `^207\.46\.197\.32 +127\.0\.0\.1 +UGHBS `, ""},
		{"add -net 192.168.0.0/24 10.0.0.1", `^192\.168\.0/24 +10\.0\.0\.1 +UGS `, "10.0.0.10 shmif0"},
		{"change -net 192.168.0.0/24 10.0.0.1 -ifa 10.0.0.12", `^192\.168\.0/24 +10\.0\.0\.1 +UGS `, "10.0.0.12 shmif0"},
		{"change -net 192.168.0.0/24 10.0.0.1 -ifp shmif1", `^192\.168\.0/24 +10\.0\.0\.1 +UGS .* shmif1$`, "10.0.0.11 shmif1"},
		{"change -net 192.168.0.0/24 -ifa 10.0.0.1 -ifp shmif0", `^192\.168\.0/24 +10\.0\.0\.1 +UGS .* shmif0$`, "10.0.0.10 shmif0"},
		{"add -net 172.16.0.0/24 10.0.0.1 -proxy", `^172\.16\.0/24 +10\.0\.0\.1 +UGSp `, ""},
		{"change -net 10.0.0.0/24 -reject", `^10\.0\.0/24 +link#2 +URCS `, ""},
		{"change -net 10.0.0.0/24 -noreject", `^10\.0\.0/24 +link#2 +UCS `, ""},
	}
	for _, s := range steps {
		e.mustTool("rroute", strings.Fields(s.args)...)
		wantMatch(t, "rnetstat -rn after rroute "+s.args, e.mustTool("rnetstat", "-rn", "-f", "inet"), s.route, true)
		if s.get == "" {
			continue
		}
		out := e.mustTool("rroute", "-n", "get", "192.168.0.1")
		f := strings.Fields(s.get)
		wantMatch(t, "rroute get after rroute "+s.args, out, `^ local addr: `+regexpQuote(f[0])+`\n  interface: `+f[1]+`$`, true)
	}
}

func regexpQuote(s string) string { return strings.ReplaceAll(s, ".", `\.`) }
