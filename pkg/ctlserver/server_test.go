package ctlserver

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"

	"github.com/rumpnet/rumpnet/internal/testkit/framepipe"
	"github.com/rumpnet/rumpnet/pkg/api"
	"github.com/rumpnet/rumpnet/pkg/client"
	"github.com/rumpnet/rumpnet/pkg/rump"
)

func TestRoutesSorted(t *testing.T) {
	less := func(i, j int) bool {
		if routes[i].path != routes[j].path {
			return routes[i].path < routes[j].path
		}
		return routes[i].method < routes[j].method
	}
	if !sort.SliceIsSorted(routes, less) {
		t.Errorf("routes are not sorted by path, then method")
	}
}

func TestStaticNodesSorted(t *testing.T) {
	tr := newTree(nil)
	if !sort.SliceIsSorted(tr.static, func(i, j int) bool { return tr.static[i].name < tr.static[j].name }) {
		t.Errorf("static nodes are not sorted")
	}
	if !sort.SliceIsSorted(leafTable, func(i, j int) bool { return leafTable[i].name < leafTable[j].name }) {
		t.Errorf("interface leaves are not sorted")
	}
}

func newKernel(t testing.TB) *rump.Kernel {
	t.Helper()
	k, err := rump.New(rump.Options{OpenTap: func(string) (rump.FrameDevice, error) {
		a, _ := framepipe.New()
		return a, nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(k.Close)
	return k
}

// serve starts a server on a Unix socket in a temporary directory and
// returns a client for it.
func serve(t *testing.T) (*client.Client, string) {
	t.Helper()
	k := newKernel(t)
	path := filepath.Join(t.TempDir(), "s")
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	s := New(k, nil)
	go s.Serve(l)
	t.Cleanup(func() { s.Close() })
	return &client.Client{URL: "unix://" + path}, path
}

func TestClientRoundTrip(t *testing.T) {
	c, _ := serve(t)
	info, err := c.Info()
	if err != nil {
		t.Fatal(err)
	}
	if info.Version != api.Version || strings.Join(info.Cloners, " ") != "gre gif wg l2tp tap vlan bridge shmif virt lo" {
		t.Errorf("info: got %+v", info)
	}
	if err := c.CreateInterface("virt0"); err != nil {
		t.Fatal(err)
	}
	if err := c.CreateInterface("virt0"); !errors.Is(err, syscall.EEXIST) {
		t.Errorf("second create: got %v, want EEXIST", err)
	}
	if err := c.AddAddr("virt0", api.IfAddr{Addr: "10.0.0.2/24"}); err != nil {
		t.Fatal(err)
	}
	if err := c.AddAddr("virt0", api.IfAddr{Addr: "fc00::2/64"}); err != nil {
		t.Fatal(err)
	}
	ifs, err := c.Interfaces()
	if err != nil {
		t.Fatal(err)
	}
	if len(ifs) != 2 || ifs[1].Name != "virt0" || ifs[1].Flags != 0x8843 || len(ifs[1].Inet) != 1 || len(ifs[1].Inet6) != 2 {
		t.Fatalf("interfaces: got %+v", ifs)
	}
	r, err := c.Set("net.link.virt0.mtu", 1400)
	if err != nil {
		t.Fatal(err)
	}
	if string(r.Old) != "1500" || string(r.New) != "1400" {
		t.Errorf("set mtu: got %s -> %s, want 1500 -> 1400", r.Old, r.New)
	}
	if _, err := c.Set(api.NodeIPForwarding, 1); err != nil {
		t.Fatal(err)
	}
	if n, _ := c.Get(api.NodeIPForwarding); string(n.Value) != "1" {
		t.Errorf("forwarding: got %s, want 1", n.Value)
	}
	if err := c.DelAddr("virt0", "10.0.0.2"); err != nil {
		t.Fatal(err)
	}
	if err := c.DelAddr("virt0", "10.0.0.2"); !errors.Is(err, syscall.EADDRNOTAVAIL) {
		t.Errorf("second delete: got %v, want EADDRNOTAVAIL", err)
	}
	if _, err := c.Interface("virt7"); !errors.Is(err, syscall.ENXIO) {
		t.Errorf("missing interface: got %v, want ENXIO", err)
	}
	if err := c.DestroyInterface("virt0"); err != nil {
		t.Fatal(err)
	}
	if err := c.DestroyInterface("virt0"); !errors.Is(err, syscall.ENXIO) {
		t.Errorf("second destroy: got %v, want ENXIO", err)
	}
}

func TestErrors(t *testing.T) {
	c, path := serve(t)
	if err := c.CreateInterface("virt0"); err != nil {
		t.Fatal(err)
	}
	hc := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return new(net.Dialer).DialContext(ctx, "unix", path)
	}}}
	tests := []struct {
		name, method, path, body string
		status                   int
		errno                    string
	}{
		{"unknown node", "GET", "/v1/node/net.nosuch", "", 404, "ENOENT"},
		{"unknown leaf", "GET", "/v1/node/net.link.virt0.nosuch", "", 404, "ENOENT"},
		{"missing interface", "GET", "/v1/node/net.link.virt9.mtu", "", 404, "ENXIO"},
		{"unknown request", "GET", "/v2/node/x", "", 404, "ENOENT"},
		{"wrong method", "DELETE", "/v1/node/kern.hostname", "", 405, "EOPNOTSUPP"},
		{"read-only", "PUT", "/v1/node/net.link.virt0.index", "5", 403, "EPERM"},
		{"lo has no linkstr", "PUT", "/v1/node/net.link.lo0.linkstr", `"tap0"`, 400, "ENOTTY"},
		{"not JSON", "PUT", "/v1/node/net.link.virt0.mtu", "{{{", 400, "EINVAL"},
		{"wrong type", "PUT", "/v1/node/net.link.virt0.mtu", `"big"`, 400, "EINVAL"},
		{"no value", "PUT", "/v1/node/net.link.virt0.mtu", "", 400, "EINVAL"},
		{"bad mtu", "PUT", "/v1/node/net.link.virt0.mtu", "9", 400, "EINVAL"},
		{"too big", "PUT", "/v1/node/kern.hostname", `"` + strings.Repeat("x", api.MaxRequestBytes) + `"`, 413, "EMSGSIZE"},
		{"family mismatch", "POST", "/v1/create/net.link.virt0.inet", `{"addr":"fc00::1/64"}`, 400, "EAFNOSUPPORT"},
		{"verb on leaf", "POST", "/v1/create/net.link.virt0.mtu", "", 405, "EOPNOTSUPP"},
		{"verb outside net.link", "POST", "/v1/destroy/kern.hostname", "", 405, "EOPNOTSUPP"},
		{"bad name", "POST", "/v1/create/net.link.Virt0", "", 400, "EINVAL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, "http://rump"+tt.path, strings.NewReader(tt.body))
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
	if _, err := c.Interface("virt0"); err != nil {
		t.Errorf("server unusable after bad requests: %v", err)
	}
}

func TestUnknownPeerMayOnlyRead(t *testing.T) {
	s := New(newKernel(t), nil)
	for _, tt := range []struct {
		method, path string
		status       int
	}{
		{"GET", "/v1/node/kern.hostname", 200},
		{"PUT", "/v1/node/kern.hostname", 403},
		{"POST", "/v1/create/net.link.virt0", 403},
		{"POST", "/v1/halt", 403},
		{"GET", "/v1/wgsecrets/wg0", 403}, // private keys are the owner's only
		{"POST", "/v1/wg/wg0", 403},
	} {
		w := handleForTest(context.Background(), s, peer{}, tt.method, tt.path, []byte(`"x"`))
		if w.code != tt.status {
			t.Errorf("%s %s without peer credentials: got %d, want %d", tt.method, tt.path, w.code, tt.status)
		}
	}
}

// FuzzHandle feeds the handlers arbitrary requests from root: every reply
// that is not a success is an errno reply.
func FuzzHandle(f *testing.F) {
	f.Add("GET", "/v1/list", []byte(nil))
	f.Add("PUT", "/v1/node/net.link.lo0.mtu", []byte("1500"))
	f.Add("POST", "/v1/create/net.link.lo0.inet6", []byte(`{"addr":"fc00::1/64"}`))
	f.Add("POST", "/v1/destroy/net.link.lo0.inet", []byte(`{"addr":"127.0.0.1"}`))
	f.Add("POST", "/v1/create/net.link.virt3", []byte(`{"linkstr":"tap9"}`))
	f.Add("POST", "/v1/wg/wg0", []byte(`{"op":"delete-peer","name":"p"}`))
	k := newKernel(f)
	s := New(k, nil)
	f.Fuzz(func(t *testing.T, method, path string, body []byte) {
		// A ping may run for ever (and a halt ends the kernel).
		if path == "/v1/halt" || path == api.PingPath {
			return
		}
		w := handleForTest(context.Background(), s, peer{uid: 0, known: true}, method, path, body)
		if w.code != 200 {
			var er api.ErrorReply
			if err := json.Unmarshal(w.body.Bytes(), &er); err != nil || er.Errno == "" {
				t.Fatalf("%s %s: status %d without an errno reply: %q", method, path, w.code, w.body.String())
			}
		}
		if w.contentType != "application/json" || !bytes.HasSuffix(w.body.Bytes(), []byte("\n")) {
			t.Fatalf("%s %s: reply %q of type %q, want JSON ending in a newline", method, path, w.body.String(), w.contentType)
		}
	})
}
