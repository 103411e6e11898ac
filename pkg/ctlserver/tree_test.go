package ctlserver

import (
	"context"
	"strings"
	"testing"
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
