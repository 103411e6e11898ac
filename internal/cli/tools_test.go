package cli_test

// Every tool's command line before it acts: --help, options it does not
// have, and the completion it answers, each against a socket that counts
// the connections made to it.

import (
	"bytes"
	"io"
	"net"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/rumpnet/rumpnet/internal/cli"
	"github.com/rumpnet/rumpnet/internal/multicall"
	"github.com/rumpnet/rumpnet/internal/testkit/ktest"
	"github.com/rumpnet/rumpnet/pkg/cli/ifconfig"
	"github.com/rumpnet/rumpnet/pkg/cli/route"
	"github.com/rumpnet/rumpnet/pkg/cli/sysctl"
	"github.com/rumpnet/rumpnet/pkg/client"
)

type runFunc func(args []string, stdout, stderr io.Writer) int

// tools are the programs rumpnet installs, from the multi-call registry.
var tools = multicall.Tools

// TestToolsListed keeps the table above and CompletedTools together.
func TestToolsListed(t *testing.T) {
	var names []string
	for _, tool := range tools {
		if tool.Name != "rumphijack" {
			names = append(names, tool.Name)
		}
	}
	if !slices.Equal(names, cli.CompletedTools) {
		t.Errorf("tools: got %q, want %q", names, cli.CompletedTools)
	}
}

// counter is a control socket that counts connections and answers none.
func counter(t *testing.T) *atomic.Int64 {
	t.Helper()
	path := filepath.Join(t.TempDir(), "s")
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	var n atomic.Int64
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			n.Add(1)
			c.Close()
		}
	}()
	t.Setenv(client.EnvServer, "unix://"+path)
	return &n
}

func run(f runFunc, args ...string) (string, string, int) {
	var out, errb bytes.Buffer
	st := f(args, &out, &errb)
	return out.String(), errb.String(), st
}

func TestHelp(t *testing.T) {
	conns := counter(t)
	for _, tool := range tools {
		out, errs, st := run(tool.Run, "--help")
		if st != 0 || !strings.HasPrefix(strings.ToLower(out), "usage:") || !strings.Contains(out, tool.Name) || errs != "" {
			t.Errorf("%s --help: got %d, %q, %q; want 0, the usage on stdout, no stderr", tool.Name, st, out, errs)
		}
	}
	if n := conns.Load(); n != 0 {
		t.Errorf("--help: got %d connections to the server, want 0", n)
	}
}

func TestUnknownOption(t *testing.T) {
	conns := counter(t)
	for _, tool := range tools {
		for _, opt := range []string{"-Z", "--bogus", "--", "---"} {
			if opt == "--" && tool.Name != "rumphijack" {
				continue // ends the options: an operand error, or none
			}
			out, errs, st := run(tool.Run, opt)
			if st != 1 || out != "" || !strings.Contains(strings.ToLower(errs), "usage:") {
				t.Errorf("%s %s: got %d, %q, %q; want 1, no stdout, the usage on stderr", tool.Name, opt, st, out, errs)
			}
		}
	}
	if n := conns.Load(); n != 0 {
		t.Errorf("unknown options: got %d connections to the server, want 0", n)
	}
}

// complete runs "name __complete args..." and returns the words.
func complete(t *testing.T, f runFunc, args ...string) []string {
	t.Helper()
	out, errs, st := run(f, append([]string{"__complete"}, args...)...)
	if st != 0 {
		t.Fatalf("__complete %q: got %d, %q; want 0", args, st, errs)
	}
	var ws []string
	for _, l := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		if strings.HasPrefix(l, ":") || l == "" {
			continue
		}
		ws = append(ws, l)
	}
	return ws
}

// TestOptionLetters checks each tool's completion offers exactly the
// option letters the tool accepts: a letter it does not offer is refused
// with the usage, before the server is asked anything.
func TestOptionLetters(t *testing.T) {
	conns := counter(t)
	for _, tool := range tools {
		if tool.Name == "rumphijack" {
			continue
		}
		offered := complete(t, tool.Run, "-")
		for c := 'A'; c <= 'z'; c++ {
			if c > 'Z' && c < 'a' {
				continue
			}
			opt := "-" + string(c)
			if slices.Contains(offered, opt) {
				continue
			}
			before := conns.Load()
			out, errs, st := run(tool.Run, opt)
			if st != 1 || out != "" || !strings.Contains(strings.ToLower(errs), "usage:") || conns.Load() != before {
				t.Errorf("%s %s (not offered): got %d, %q, %q; want 1, the usage, no connection", tool.Name, opt, st, out, errs)
			}
		}
	}
}

// TestCompleteLive completes against an in-process kernel: the keywords of
// each tool and the names the kernel has now.
func TestCompleteLive(t *testing.T) {
	c := ktest.Client(t)
	for _, name := range []string{"virt0", "virt1", "bridge0", "shmif0"} {
		if err := c.CreateInterface(name); err != nil {
			t.Fatalf("create %s: %v", name, err)
		}
	}
	t.Setenv(client.EnvServer, c.URL)
	byName := map[string]runFunc{}
	for _, tool := range tools {
		byName[tool.Name] = tool.Run
	}
	tests := []struct {
		line string // tool, the words before the typed one, then "|" and the typed word
		want []string
	}{
		{"rifconfig|vi", []string{"virt0", "virt1"}},
		{"rifconfig|", []string{"lo0", "virt0", "virt1", "bridge0", "shmif0"}},
		{"rifconfig -a|s", []string{"shmif0"}},
		{"rifconfig virt0|de", []string{"debug", "destroy", "delete", "deprecated", "deletesession", "deletecookie", "deletetunnel"}},
		{"rifconfig virt0|-al", []string{"-alias"}},
		{"rifconfig virt0|inet", []string{"inet", "inet6"}},
		{"rifconfig virt0|tso", []string{"tso4", "tso6"}},
		{"rifconfig virt0 mtu|", nil},
		{"rifconfig virt0 mtu 1400|u", []string{"up", "user", "udp4csum", "udp4csum-rx",
			"udp4csum-tx", "udp6csum", "udp6csum-rx", "udp6csum-tx"}},
		{"rbrconfig|", []string{"bridge0"}},
		{"rbrconfig bridge0|ad", []string{"add", "addr"}},
		{"rbrconfig bridge0 add|v", []string{"virt0", "virt1"}},
		{"rbrconfig bridge0 add virt0|vi", []string{"virt0", "virt1"}},
		{"rbrconfig bridge0 maxaddr|", nil},
		{"rroute|", []string{"add", "change", "delete", "flush", "flushall", "get", "monitor", "show"}},
		{"rroute -n|g", []string{"get"}},
		{"rroute add -net 10/8 192.0.2.1|-in", []string{"-inet", "-inet6", "-interface"}},
		{"rroute add -ifp|sh", []string{"shmif0"}},
		{"rroute show|-inet", []string{"-inet", "-inet6"}},
		{"rsysctl|net.inet.ip.t", []string{"net.inet.ip.ttl"}},
		{"rsysctl -w|kern.host", []string{"kern.hostname"}},
		{"rsysctl|net.link.vi", []string{"net.link.virt0.", "net.link.virt1."}},
		{"rnetstat -I|b", []string{"bridge0"}},
		{"rnetstat -p|icmp", []string{"icmp", "icmp6"}},
		{"rping6 -I|lo", []string{"lo0"}},
		{"rtcpdump -i|vi", []string{"virt0", "virt1"}},
		{"rndp -i|vi", []string{"virt0", "virt1"}},
		{"rhalt|-", []string{"-d", "-h", "-n"}},
	}
	for _, tt := range tests {
		before, word, _ := strings.Cut(tt.line, "|")
		f := strings.Fields(before)
		got := complete(t, byName[f[0]], append(f[1:], word)...)
		if !slices.Equal(got, tt.want) {
			t.Errorf("%s<TAB>: got %q, want %q", tt.line, got, tt.want)
		}
	}
}

// TestCompleteNoKernel completes keywords, and nothing else, with no
// kernel to ask, and says nothing about it.
func TestCompleteNoKernel(t *testing.T) {
	t.Setenv(client.EnvServer, "unix://"+filepath.Join(t.TempDir(), "none"))
	tests := []struct {
		f    runFunc
		args []string
		want []string
	}{
		{ifconfig.Run, []string{"vi"}, nil},
		{ifconfig.Run, []string{"virt0", "al"}, []string{"alias"}},
		{sysctl.Run, []string{"net."}, nil},
		{route.Run, []string{"fl"}, []string{"flush", "flushall"}},
	}
	for _, tt := range tests {
		out, errs, st := run(tt.f, append([]string{"__complete"}, tt.args...)...)
		got := complete(t, tt.f, tt.args...)
		if st != 0 || !slices.Equal(got, tt.want) || strings.Contains(out, "rump client") || !strings.HasPrefix(errs, "Completion ended") {
			t.Errorf("__complete %q: got %d, %q, %q; want 0, %q and no message", tt.args, st, got, errs, tt.want)
		}
	}
}
