package cli

// The tools' one error vocabulary: a failed operation (OpError), a command
// line the tool does not understand (UsageError) or rejects (Refuse), and
// the err(3)-style printing of each.

import (
	"errors"
	"fmt"
	"os"
	"syscall"

	"github.com/rumpnet/rumpnet/pkg/api"
	"github.com/rumpnet/rumpnet/pkg/client"
)

// OpError is a failed operation, named the way the NetBSD program names it
// in its messages ("SIOCAIFADDR", "add tap0", "writing to routing socket").
// Report prints it as "op: strerror".
type OpError struct {
	Op  string
	Err error
}

func (e *OpError) Error() string { return e.Op + ": " + e.Err.Error() }

// Unwrap returns the cause, which usually unwraps to an errno.
func (e *OpError) Unwrap() error { return e.Err }

// Fail returns err as the failure of op.
func Fail(op string, err error) error { return &OpError{Op: op, Err: err} }

// UsageError is a command line a tool does not understand; Msg ("" for
// none) is printed before the usage text.
type UsageError struct{ Msg string }

func (e *UsageError) Error() string { return e.Msg }

// Usagef returns a UsageError with the message format makes.
func Usagef(format string, a ...any) error {
	return &UsageError{Msg: fmt.Sprintf(format, a...)}
}

// Refuse rejects a command line with a message that says it all: no usage
// text follows it.
func Refuse(msg string) error { return api.Explainf(syscall.EINVAL, "%s", msg) }

// Report prints a failure the err(3) way and returns the exit status, 1:
//   - an *api.Explained anywhere in the chain as its sentence, "name: msg";
//   - a kernel that could not be reached (*client.InitError) as
//     "name: rump client init: URL: strerror (hint)", the one wording
//     pkg/client gives every tool ("name: RUMP_SERVER not set" without
//     a URL);
//   - an *OpError as "name: op: strerror";
//   - anything else as "name: strerror".
func (t *Tool) Report(err error) int {
	var ie *client.InitError
	var oe *OpError
	switch {
	case errors.As(err, &ie):
		t.Warnx("%s", ie.Error())
	case errors.As(err, &oe):
		t.Warn(oe.Err, "%s", oe.Op)
	default:
		t.Warn(err, "")
	}
	return 1
}

// ReportParse prints a command line that did not parse: its message, and
// the usage text after a UsageError.
func (t *Tool) ReportParse(err error, usage string) {
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

// Server returns RUMP_SERVER, the kernel the tool talks to, or prints
// "RUMP_SERVER not set" and returns "".
func (t *Tool) Server() string {
	url := os.Getenv(client.EnvServer)
	if url == "" {
		t.Warnx("%s not set", client.EnvServer)
	}
	return url
}

// Start reports a command line that did not parse (ReportParse), then
// checks that RUMP_SERVER is set. It returns false when the tool must exit
// 1.
func (t *Tool) Start(parseErr error, usage string) bool {
	if parseErr != nil {
		t.ReportParse(parseErr, usage)
		return false
	}
	return t.Server() != ""
}
