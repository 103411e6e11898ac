package ctlserver

import (
	"context"
	"encoding/json"
	"runtime"
	"testing"
	"time"

	"github.com/rumpnet/rumpnet/pkg/api"
)

// FuzzNodeBody sends arbitrary JSON bodies to the requests that decode one:
// set (of int, string and read-only nodes), create/destroy of addresses and
// the nodes request.
// Every failure must be an errno reply, never a panic.
func FuzzNodeBody(f *testing.F) {
	for _, b := range []string{`"rump1"`, `{"b64":"/2jD"}`, `64`, `0x40`, `{"addr":"10.0.0.1/24"}`,
		`{"addr":"fc00::1/64","flags":1}`, `{"addr":"00:11:22:33:44:55","active":true}`, `null`, `[]`, `{"b64":null}`, `1e400`,
		`["net.link.*.flags","net.route.inet"]`, `["net.link.*"]`, `["net.link.*.*"]`, `[""]`} {
		f.Add(b)
	}
	s := New(newKernel(f), nil)
	root := peer{uid: 0, known: true}
	requests := []struct{ method, path string }{
		{"PUT", "/v1/node/kern.hostname"},
		{"PUT", "/v1/node/net.inet.ip.ttl"},
		{"PUT", "/v1/node/kern.ostype"},
		{"PUT", "/v1/node/net.link.lo0.stats"},
		// Each create is followed by its destroy, so that the kernel's
		// state, and with it what an input does, stays the same from one
		// run to the next.
		{"POST", "/v1/create/net.link.lo0.inet"},
		{"POST", "/v1/destroy/net.link.lo0.inet"},
		{"POST", "/v1/create/net.link.lo0.inet6"},
		{"POST", "/v1/destroy/net.link.lo0.inet6"},
		{"POST", "/v1/create/net.link.lo0.link"},
		{"POST", "/v1/destroy/net.link.lo0.link"},
		{"POST", api.NodesPath},
	}
	f.Fuzz(func(t *testing.T, body string) {
		for _, r := range requests {
			done := make(chan *recorder, 1)
			go func() { done <- handleForTest(context.Background(), s, root, r.method, r.path, []byte(body)) }()
			var w *recorder
			select {
			case w = <-done:
			case <-time.After(20 * time.Second):
				buf := make([]byte, 1<<20)
				t.Fatalf("%s %s %q: no reply\n%s", r.method, r.path, body, buf[:runtime.Stack(buf, true)])
			}
			if w.code == 200 {
				continue
			}
			var er api.ErrorReply
			if err := json.Unmarshal(w.body.Bytes(), &er); err != nil || er.Errno == "" || er.Message == "" {
				t.Fatalf("%s %s %q: status %d without an errno reply: %q", r.method, r.path, body, w.code, w.body.String())
			}
		}
		// Back to the values of boot, for the same reason.
		handleForTest(context.Background(), s, root, "PUT", "/v1/node/kern.hostname", []byte(`""`))
		handleForTest(context.Background(), s, root, "PUT", "/v1/node/net.inet.ip.ttl", []byte(`64`))
	})
}
