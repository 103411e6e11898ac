package ctlserver

import (
	"context"
	"maps"
	"strings"
	"testing"

	"github.com/rumpnet/rumpnet/pkg/api"
)

// TestStringBytes sets kern.hostname to bytes that are not UTF-8: they are
// kept as given and come back in the {"b64": ...} form; a JSON string with
// such bytes is refused rather than changed.
func TestStringBytes(t *testing.T) {
	s := New(newKernel(t), nil)
	root := peer{uid: 0, known: true}
	tests := []struct {
		method, body string
		status       int
		want         string
	}{
		{"PUT", `{"b64":"/2jD"}`, 200, `"new":{"b64":"/2jD"}`},
		{"GET", "", 200, `"value":{"b64":"/2jD"}`},
		{"PUT", `"rump1"`, 200, `"old":{"b64":"/2jD"},"new":"rump1"`},
		{"PUT", "\"\xffh\"", 400, `"errno":"EINVAL"`},
		{"PUT", `{"b64":"*"}`, 400, `"errno":"EINVAL"`},
		{"GET", "", 200, `"value":"rump1"`},
	}
	for _, tt := range tests {
		w := handleForTest(context.Background(), s, root, tt.method, "/v1/node/kern.hostname", []byte(tt.body))
		if w.code != tt.status || !strings.Contains(w.body.String(), tt.want) {
			t.Errorf("%s %q: got %d %s, want %d with %s", tt.method, tt.body, w.code, w.body.String(), tt.status, tt.want)
		}
	}
}

// TestLeafTable checks that the server's interface leaves are api.Leaves,
// in the same order, and that a writable leaf without the kernel's write,
// or a write for a leaf that is read-only or unknown, is refused.
func TestLeafTable(t *testing.T) {
	if len(leafTable) != len(api.Leaves) {
		t.Fatalf("got %d leaves, want %d (api.Leaves)", len(leafTable), len(api.Leaves))
	}
	for i, l := range leafTable {
		d := api.Leaves[i]
		if l.name != d.Name || l.typ != d.Type || (l.set != nil) != d.Writable {
			t.Errorf("leaf %d: got %s %s writable=%v, want %s %s writable=%v",
				i, l.name, l.typ, l.set != nil, d.Name, d.Type, d.Writable)
		}
	}
	without := func(name string) map[string]leafWriter {
		m := maps.Clone(leafWriters)
		delete(m, name)
		return m
	}
	with := func(name string) map[string]leafWriter {
		m := maps.Clone(leafWriters)
		m[name] = leafWriters[api.LeafMTU]
		return m
	}
	tests := []struct {
		name    string
		writers map[string]leafWriter
		wantErr string
	}{
		{"as built", leafWriters, ""},
		{"writable leaf without a write", without(api.LeafMTU), "mtu is writable"},
		{"write for a read-only leaf", with(api.LeafIndex), "index is read-only"},
		{"write for an unknown leaf", with("nosuch"), "nosuch"},
	}
	for _, tt := range tests {
		_, err := buildLeafTable(api.Leaves, tt.writers)
		switch {
		case tt.wantErr == "" && err != nil:
			t.Errorf("%s: got %v, want no error", tt.name, err)
		case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
			t.Errorf("%s: got %v, want an error with %q", tt.name, err, tt.wantErr)
		}
	}
}
