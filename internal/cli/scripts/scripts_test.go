package scripts

import (
	"os"
	"path/filepath"
	"testing"
)

// TestScriptsCurrent keeps completion/ what gencompletion writes: run
// "go generate ./internal/cli/" after changing a tool's name or a script.
func TestScriptsCurrent(t *testing.T) {
	files, err := Scripts()
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join("..", "..", "..", "completion")
	for name, want := range files {
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil || string(got) != string(want) {
			t.Errorf("completion/%s: got %d bytes (%v), want the %d gencompletion writes; run go generate ./internal/cli/", name, len(got), err, len(want))
		}
	}
	on, _ := filepath.Glob(filepath.Join(dir, "*", "*"))
	if len(on) != len(files) {
		t.Errorf("completion/: got %d files, want %d", len(on), len(files))
	}
}
