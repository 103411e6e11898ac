package cli

// Entry files: the list arp -f and ndp -f read.

import (
	"errors"
	"io"
	"os"
	"strings"

	"github.com/rumpnet/rumpnet/pkg/client"
)

// SetFromFile runs set on each entry a file lists, as arp -f and ndp -f
// do: one entry a line as ParseLines splits them, with at least two
// fields; "-" is standard input. A line set fails on is reported as
// "op: strerror" and the rest still run; a kernel that cannot be reached
// stops it. It returns the worst status and that error.
func (t *Tool) SetFromFile(name, op string, set func(fields []string) (int, error)) (int, error) {
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
			st = t.Report(Fail(op, err))
		}
		status = max(status, st)
	}
	return status, nil
}

// ParseLines splits a file of entries the way fparseln(3) reads it for
// arp -f: a backslash at the end of a line continues it, "#" starts a
// comment, blank lines are skipped; each line comes back as its fields.
func ParseLines(text string) [][]string {
	var out [][]string
	text = strings.ReplaceAll(text, "\\\n", " ")
	for _, line := range strings.Split(text, "\n") {
		line, _, _ = strings.Cut(line, "#")
		if f := strings.Fields(line); len(f) > 0 {
			out = append(out, f)
		}
	}
	return out
}
