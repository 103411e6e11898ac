package cli

import (
	"bytes"
	"errors"
	"fmt"
	"syscall"
	"testing"

	"github.com/rumpnet/rumpnet/pkg/api"
	"github.com/rumpnet/rumpnet/pkg/client"
)

func tool() (*Tool, *bytes.Buffer) {
	var errb bytes.Buffer
	return &Tool{Name: "rarp", Stdout: &bytes.Buffer{}, Stderr: &errb}, &errb
}

func TestStart(t *testing.T) {
	t.Setenv(client.EnvServer, "unix:///x")
	tl, errb := tool()
	if tl.Start(&UsageError{Msg: "unknown option -- x"}, "usage: rarp\n") || errb.String() != "rarp: unknown option -- x\nusage: rarp\n" {
		t.Errorf("usage error: stderr %q", errb.String())
	}
	tl, errb = tool()
	if tl.Start(Refuse("pub: no proxy ARP"), "usage\n") || errb.String() != "rarp: pub: no proxy ARP\n" {
		t.Errorf("refusal: stderr %q", errb.String())
	}
	tl, _ = tool()
	if !tl.Start(nil, "usage\n") {
		t.Errorf("good command line with RUMP_SERVER set: want true")
	}
	t.Setenv(client.EnvServer, "")
	tl, errb = tool()
	if tl.Start(nil, "usage\n") || errb.String() != "rarp: RUMP_SERVER not set\n" {
		t.Errorf("no RUMP_SERVER: stderr %q", errb.String())
	}
}

func TestReport(t *testing.T) {
	unreachable := &client.InitError{Err: api.Errorf(syscall.ECONNREFUSED, "dial")}
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"errno", api.Errorf(syscall.ENXIO, "no such interface"), "rarp: Device not configured\n"},
		{"plain", errors.New("bad reply"), "rarp: bad reply\n"},
		{"op", Fail("SIOCAIFADDR", api.Errorf(syscall.EEXIST, "")), "rarp: SIOCAIFADDR: File exists\n"},
		{"op without errno", Fail("add tap0", errors.New("bad reply")), "rarp: add tap0: bad reply\n"},
		{"empty op", Fail("", api.Errorf(syscall.EINVAL, "")), "rarp: Invalid argument\n"},
		{"op wrapped", fmt.Errorf("step: %w", Fail("sysctl", api.Errorf(syscall.ENOENT, ""))), "rarp: sysctl: No such file or directory\n"},
		{"explained", api.Explainf(syscall.EOPNOTSUPP, "proxy: not kept"), "rarp: proxy: not kept\n"},
		{"op explained", Fail("SIOCSIFFLAGS", api.Explainf(syscall.EOPNOTSUPP, "link1: not kept")), "rarp: link1: not kept\n"},
		{"unreachable", unreachable, "rarp: rump client init: Connection refused\n"},
		{"op unreachable", Fail("getifaddrs", unreachable), "rarp: rump client init: Connection refused\n"},
		{"unreachable explained", &client.InitError{Err: api.Explainf(syscall.ETIMEDOUT, "unix:///k: no reply within 30s")}, "rarp: unix:///k: no reply within 30s\n"},
	}
	for _, tt := range tests {
		tl, errb := tool()
		if st := tl.Report(tt.err); st != 1 || errb.String() != tt.want {
			t.Errorf("%s: got status %d, stderr %q; want 1, %q", tt.name, st, errb.String(), tt.want)
		}
	}
}

func TestReportParse(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"usage alone", &UsageError{}, "usage: rarp\n"},
		{"usage with message", Usagef("%s: unknown parameter", "frob"), "rarp: frob: unknown parameter\nusage: rarp\n"},
		{"refusal", Refuse("-A: repeated display is not supported"), "rarp: -A: repeated display is not supported\n"},
		{"other", errors.New("-c 0: bad count"), "rarp: -c 0: bad count\n"},
	}
	for _, tt := range tests {
		tl, errb := tool()
		if tl.ReportParse(tt.err, "usage: rarp\n"); errb.String() != tt.want {
			t.Errorf("%s: got stderr %q, want %q", tt.name, errb.String(), tt.want)
		}
	}
}

func TestOpError(t *testing.T) {
	cause := api.Errorf(syscall.EEXIST, "exists")
	err := Fail("SIOCAIFADDR", cause)
	var oe *OpError
	if !errors.As(err, &oe) || oe.Op != "SIOCAIFADDR" || !errors.Is(err, syscall.EEXIST) {
		t.Errorf("got %#v, want an OpError for SIOCAIFADDR unwrapping to EEXIST", err)
	}
	if got, want := err.Error(), "SIOCAIFADDR: "+cause.Error(); got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
