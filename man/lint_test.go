// Package man holds rumpnet's manual pages; its test keeps them clean under
// mandoc's linter.
package man

import (
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/rumpnet/rumpnet/internal/testkit"
)

func TestMandocLint(t *testing.T) {
	if _, err := exec.LookPath("mandoc"); err != nil {
		testkit.Skip(t, "mandoc not installed: apt-get install mandoc (scripts/setup.sh does)")
	}
	pages, _ := filepath.Glob("*.[1-9]")
	if len(pages) == 0 {
		t.Fatal("no manual pages found")
	}
	for _, p := range pages {
		out, err := exec.Command("mandoc", "-Tlint", "-W", "warning", p).CombinedOutput()
		if err != nil || len(out) > 0 {
			t.Errorf("mandoc -Tlint %s: %v\n%s", p, err, out)
		}
	}
}
