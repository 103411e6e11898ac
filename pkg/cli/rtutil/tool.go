package rtutil

// What the four tools do the same way around their work: report a bad
// command line, insist on RUMP_SERVER, and report a kernel that cannot be
// reached.

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"syscall"

	"github.com/rumpnet/rumpnet/internal/cli"
	"github.com/rumpnet/rumpnet/pkg/api"
	"github.com/rumpnet/rumpnet/pkg/client"
)

// UsageError is a command line a tool does not understand; Msg ("" for
// none) is printed before the usage text.
type UsageError struct{ Msg string }

func (e *UsageError) Error() string { return e.Msg }

// Refuse rejects a command line with a message that says it all.
func Refuse(msg string) error { return api.Explainf(syscall.EINVAL, "%s", msg) }

// Start reports a command line that did not parse (its message, and the
// usage text after a UsageError), then checks that RUMP_SERVER is set. It
// returns false when the tool must exit 1.
func Start(t *cli.Tool, parseErr error, usage string) bool {
	if parseErr != nil {
		ReportParse(t, parseErr, usage)
		return false
	}
	if os.Getenv(client.EnvServer) == "" {
		t.Warnx("RUMP_SERVER not set")
		return false
	}
	return true
}

// Failed reports an error from the kernel, "what: strerror", or "rump
// client init: strerror" when the kernel could not be reached. It returns
// the exit status, 1.
func Failed(t *cli.Tool, err error, what string) int {
	var ie *client.InitError
	if errors.As(err, &ie) {
		t.Warn(ie.Err, "rump client init")
	} else {
		t.Warn(err, "%s", what)
	}
	return 1
}

// SetFromFile runs set on each entry a file lists, as arp -f and ndp -f
// do: one entry a line as ParseLines splits them, with at least two
// fields; "-" is standard input. A line set fails on is reported as
// "what: strerror" and the rest still run; a kernel that cannot be reached
// stops it. It returns the worst status and that error.
func SetFromFile(t *cli.Tool, name, what string, set func(fields []string) (int, error)) (int, error) {
	var data []byte
	var err error
	if name == "-" {
		data, err = io.ReadAll(os.Stdin)
	} else {
		data, err = os.ReadFile(name)
	}
	if err != nil {
		t.Warn(err, "Cannot open %s", name)
		return 1, nil
	}
	status := 0
	for _, line := range ParseLines(string(data)) {
		if len(line) < 2 {
			t.Warnx("bad line: %s", strings.Join(line, " "))
			status = 1
			continue
		}
		st, err := set(line)
		var ie *client.InitError
		if errors.As(err, &ie) {
			return 1, err
		}
		if err != nil {
			t.Warn(err, "%s", what)
			st = 1
		}
		status = max(status, st)
	}
	return status, nil
}

// ReportParse prints a command line that did not parse: its message, and
// the usage text after a UsageError.
func ReportParse(t *cli.Tool, err error, usage string) {
	var ue *UsageError
	if errors.As(err, &ue) {
		if ue.Msg != "" {
			t.Warnx("%s", ue.Msg)
		}
		fmt.Fprint(t.Stderr, usage)
		return
	}
	t.Warnx("%v", err)
}
