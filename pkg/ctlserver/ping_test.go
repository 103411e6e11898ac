package ctlserver

import (
	"bufio"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/rumpnet/rumpnet/pkg/api"
)

func TestPingStream(t *testing.T) {
	_, path := serve(t)
	hc := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return new(net.Dialer).DialContext(ctx, "unix", path)
	}}}
	resp, err := hc.Post("http://rump/v1/ping", "application/json",
		strings.NewReader(`{"dst":"127.0.0.1","count":2,"interval":0.2,"size":56}`))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != api.PingContentType {
		t.Fatalf("got %s, Content-Type %q; want 200 and %s", resp.Status, resp.Header.Get("Content-Type"), api.PingContentType)
	}
	var types []string
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		var ev api.PingEvent
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		types = append(types, ev.Type)
	}
	if got, want := strings.Join(types, " "), "start sent reply sent reply end"; got != want {
		t.Errorf("event types: got %q, want %q", got, want)
	}
}

func TestPingErrors(t *testing.T) {
	_, path := serve(t)
	hc := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return new(net.Dialer).DialContext(ctx, "unix", path)
	}}}
	tests := []struct {
		name, method, body string
		status             int
		errno              string
	}{
		{"no body", "POST", "", 400, "EINVAL"},
		{"not a request", "POST", `[1]`, 400, "EINVAL"},
		{"not an address", "POST", `{"dst":"localhost"}`, 400, "EINVAL"},
		{"foreign source", "POST", `{"dst":"127.0.0.1","src":"10.9.9.9"}`, 400, "EADDRNOTAVAIL"},
		{"no such interface", "POST", `{"dst":"127.0.0.1","interface":"virt9"}`, 404, "ENXIO"},
		{"too big", "POST", `{"dst":"127.0.0.1","size":70000}`, 413, "EMSGSIZE"},
		{"wrong method", "GET", "", 405, "EOPNOTSUPP"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, "http://rump/v1/ping", strings.NewReader(tt.body))
			resp, err := hc.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var er api.ErrorReply
			if err := json.NewDecoder(resp.Body).Decode(&er); err != nil {
				t.Fatalf("reply is not an ErrorReply: %v", err)
			}
			if resp.StatusCode != tt.status || er.Errno != tt.errno {
				t.Errorf("got %d %s (%s), want %d %s", resp.StatusCode, er.Errno, er.Detail, tt.status, tt.errno)
			}
		})
	}
}

// TestPingFastOnlyForOwners checks ping(8)'s rule: only root (here: root
// and the server's owner) may ping more than once a second.
func TestPingFastOnlyForOwners(t *testing.T) {
	s := New(newKernel(t), nil)
	for _, tt := range []struct {
		uid    int
		body   string
		status int
	}{
		{os.Getuid() + 1000, `{"dst":"127.0.0.1","count":1,"interval":0.5}`, 403},
		{os.Getuid() + 1000, `{"dst":"127.0.0.1","count":1,"interval":1}`, 200},
		{os.Getuid(), `{"dst":"127.0.0.1","count":1,"interval":0.5}`, 200},
	} {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		w := handleForTest(ctx, s, peer{uid: tt.uid, known: true}, "POST", "/v1/ping", []byte(tt.body))
		cancel()
		if w.code != tt.status {
			t.Errorf("uid %d, %s: got %d %s, want %d", tt.uid, tt.body, w.code, &w.body, tt.status)
		}
	}
}
