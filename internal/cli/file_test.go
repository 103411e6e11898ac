package cli

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/rumpnet/rumpnet/pkg/api"
	"github.com/rumpnet/rumpnet/pkg/client"
)

func TestParseLines(t *testing.T) {
	got := ParseLines("# entries\n10.0.0.1 b2:a0:20:00:00:01  # first\n\n10.0.0.2 \\\n b2:a0:20:00:00:02 temp\n  \n")
	want := [][]string{{"10.0.0.1", "b2:a0:20:00:00:01"}, {"10.0.0.2", "b2:a0:20:00:00:02", "temp"}}
	if !slices.EqualFunc(got, want, slices.Equal) {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestSetFromFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "list")
	os.WriteFile(path, []byte("a 1\nb\nc 3\nd 4\n"), 0o644)
	tl, errb := tool()
	var seen []string
	st, err := tl.SetFromFile(path, "writing to routing socket", func(f []string) (int, error) {
		seen = append(seen, f[0])
		if f[0] == "c" {
			return 1, api.Errorf(syscall.EEXIST, "")
		}
		return 0, nil
	})
	if st != 1 || err != nil || strings.Join(seen, "") != "acd" ||
		errb.String() != "rarp: bad line: b\nrarp: writing to routing socket: File exists\n" {
		t.Errorf("got status %d, %v, saw %q, stderr %q", st, err, seen, errb.String())
	}
	tl, _ = tool()
	st, err = tl.SetFromFile(path, "w", func([]string) (int, error) {
		return 1, &client.InitError{Err: api.Errorf(syscall.ENOENT, "")}
	})
	var ie *client.InitError
	if st != 1 || !errors.As(err, &ie) {
		t.Errorf("unreachable kernel: got %d, %v; want the InitError", st, err)
	}
	tl, errb = tool()
	missing := filepath.Join(t.TempDir(), "none")
	if st, _ := tl.SetFromFile(missing, "w", nil); st != 1 ||
		errb.String() != "rarp: Cannot open "+missing+": No such file or directory\n" {
		t.Errorf("missing file: got %d, stderr %q", st, errb.String())
	}
}
