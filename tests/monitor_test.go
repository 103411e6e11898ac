package tests

// rroute monitor and rifmcstat against a real server: a monitor process
// prints the messages other commands' changes make, and rifmcstat lists
// the solicited-node group of an address given with rifconfig.

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
)

// startTool starts a rump tool in the namespace in the background; the
// channel gets its result when it exits. It is killed, by pid, if it
// still runs when the test ends.
func (e *env) startTool(stdout, stderr *lockedBuffer, name string, args ...string) <-chan result {
	e.t.Helper()
	argv := append([]string{"netns", "exec", e.ns, bin(name)}, args...)
	cmd := exec.Command("ip", argv...)
	cmd.Env = append(os.Environ(), "RUMP_SERVER="+e.url)
	cmd.Stdout, cmd.Stderr = stdout, stderr
	if err := cmd.Start(); err != nil {
		e.t.Fatalf("start %s: %v", name, err)
	}
	done := make(chan result, 1)
	exited := make(chan struct{})
	go func() {
		err := cmd.Wait()
		r := result{stdout: stdout.String(), stderr: stderr.String()}
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			r.code = ee.ExitCode()
		} else if err != nil {
			r.code = -1
		}
		done <- r
		close(exited)
	}()
	e.t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGKILL)
		<-exited
	})
	return done
}

// TestRouteMonitorProcess runs rroute -n monitor -c N as its own process
// while other commands add and delete a route, an address and an
// interface, over and over until the monitor has printed N messages.
// The cycle makes 8 messages, so any 16 in a row hold every kind.
func TestRouteMonitorProcess(t *testing.T) {
	e := newEnv(t)
	e.startServer()
	e.mustRif("shmif0", "create")
	e.mustRif("shmif0", "linkstr", filepath.Join(e.dir, "bus"))
	e.mustRif("shmif0", "inet", "10.3.0.1/24", "up")

	var stdout, stderr lockedBuffer
	done := e.startTool(&stdout, &stderr, "rroute", "-n", "monitor", "-c", "16")
	cycle := [][]string{
		{"rroute", "add", "-net", "10.9.0.0/16", "10.3.0.9"},
		{"rroute", "delete", "-net", "10.9.0.0/16"},
		{"rifconfig", "shmif0", "inet", "10.4.0.1/24", "alias"},
		{"rifconfig", "shmif0", "inet", "10.4.0.1", "-alias"},
		{"rifconfig", "shmif5", "create"},
		{"rifconfig", "shmif5", "destroy"},
	}
	var r result
	ctx, cancel := context.WithTimeout(context.Background(), pollTimeout)
	defer cancel()
wait:
	for {
		for _, c := range cycle {
			if got := e.rtool(c[0], c[1:]...); got.code != 0 {
				t.Fatalf("%s: got %v, want exit 0", strings.Join(c, " "), got)
			}
			select {
			case r = <-done:
				break wait
			case <-ctx.Done():
				t.Fatalf("rroute monitor -c 16 still running after %v; printed\n%s", pollTimeout, stdout.String())
			default:
			}
		}
	}
	if r.code != 0 || r.stderr != "" {
		t.Fatalf("rroute monitor: got %v, want exit 0 and no stderr", r)
	}
	if n := strings.Count(r.stdout, "got message of size "); n != 16 {
		t.Errorf("got %d messages, want 16:\n%s", n, r.stdout)
	}
	for _, want := range []string{
		`^RTM_ADD: Add Route: len 168, pid 0, seq 0, errno 0, flags: <UP,GATEWAY,DONE,STATIC>\nlocks: none inits: none\n` +
			`sockaddrs: <DST,GATEWAY,NETMASK>\n 10\.9\.0\.0 10\.3\.0\.9 255\.255\.0\.0$`,
		`^RTM_DELETE: Delete Route: len 168, pid 0, seq 0, errno 0, flags: <GATEWAY,DONE,STATIC>\nlocks: none inits: none\n` +
			`sockaddrs: <DST,GATEWAY,NETMASK>\n 10\.9\.0\.0 10\.3\.0\.9 255\.255\.0\.0$`,
		`^RTM_NEWADDR: address being added to iface: len 104, metric 0, flags: <UP>\n` +
			`sockaddrs: <NETMASK,IFP,IFA,BRD>\n 255\.255\.255\.0 shmif0 10\.4\.0\.1 10\.4\.0\.255$`,
		`^RTM_DELADDR: address being removed from iface: len 104, metric 0, flags: <UP>\n` +
			`sockaddrs: <NETMASK,IFP,IFA,BRD>\n 255\.255\.255\.0 shmif0 10\.4\.0\.1 10\.4\.0\.255$`,
		`^RTM_ADD: Add Route: len \d+, pid 0, seq 0, errno 0, flags: <UP,DONE,CONNECTED>\nlocks: none inits: none\n` +
			`sockaddrs: <DST,GATEWAY,NETMASK,IFP,IFA>\n 10\.4\.0\.0 link#2 255\.255\.255\.0 shmif0 10\.4\.0\.1$`,
		`^RTM_DELETE: Delete Route: len \d+, pid 0, seq 0, errno 0, flags: <DONE,CONNECTED>\nlocks: none inits: none\n` +
			`sockaddrs: <DST,GATEWAY,NETMASK,IFP,IFA>\n 10\.4\.0\.0 link#2 255\.255\.255\.0 shmif0 10\.4\.0\.1$`,
		`^RTM_IFANNOUNCE: iface arrival/departure: len 24, if# \d+, what: arrival$`,
		`^RTM_IFANNOUNCE: iface arrival/departure: len 24, if# \d+, what: departure$`,
	} {
		if !regexp.MustCompile("(?m)" + want).MatchString(r.stdout) {
			t.Errorf("rroute monitor: got\n%s\nwant a message matching %q", r.stdout, want)
		}
	}
}

// TestIfMcstatSolicitedNode: an inet6 address given with rifconfig puts
// the interface in the address's solicited-node group, which rifmcstat
// lists with the Ethernet multicast address it maps to.
func TestIfMcstatSolicitedNode(t *testing.T) {
	e := newEnv(t)
	e.startServer()
	e.mustRif("shmif0", "create")
	e.mustRif("shmif0", "linkstr", filepath.Join(e.dir, "bus"))
	e.mustRif("shmif0", "inet6", "fc00:3::1234/64")
	wants := []string{
		"shmif0:\n",
		"\tinet6 fc00:3::1234\n\t\tgroup ff02::1%shmif0 refcount 1\n",
		"\t\tgroup ff02::1:ff00:1234%shmif0 refcount 1\n",
		"\t\t33:33:ff:00:12:34 -- 33:33:ff:00:12:34 1\n",
	}
	e.waitFor("rifmcstat lists the solicited-node group", func() (bool, string) {
		r := e.rtool("rifmcstat")
		if r.code != 0 || r.stderr != "" {
			return false, r.String()
		}
		for _, w := range wants {
			if !strings.Contains(r.stdout, w) {
				return false, fmt.Sprintf("output without %q:\n%s", w, r.stdout)
			}
		}
		return true, ""
	})
	if r := e.rtool("rifmcstat", "-x"); r.code != 1 || r.stderr != "Usage: rifmcstat\n" {
		t.Errorf("rifmcstat -x: got %v, want exit 1 and the usage", r)
	}
}
