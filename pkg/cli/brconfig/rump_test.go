package brconfig

import (
	"encoding/json"
	"net"
	"net/http"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/rumpnet/rumpnet/pkg/api"
	"github.com/rumpnet/rumpnet/pkg/client"
)

// fakeKernel answers the control requests the rump backend makes: interface
// lists, flag writes and the bridge resource. Bridge requests for the
// member "virt9" fail with ENOENT.
type fakeKernel struct {
	mu    sync.Mutex
	ifs   []api.Interface
	sts   map[string]api.BridgeStatus
	calls []string
}

func (k *fakeKernel) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	k.mu.Lock()
	defer k.mu.Unlock()
	fail := func(status int, e syscall.Errno) {
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(api.ErrorReply{Errno: api.ErrnoName(e), Code: int(e), Message: api.Strerror(e)})
	}
	path := r.URL.Path
	switch {
	case r.Method == "GET" && strings.HasPrefix(path, "/v1/list/net.link"):
		prefix := strings.TrimPrefix(path, "/v1/list/")
		var nodes []api.Node
		for _, ifc := range k.ifs {
			base := api.LinkPrefix + ifc.Name
			if prefix != "net.link" && prefix != base {
				continue
			}
			for leaf, v := range map[string]any{api.LeafIndex: ifc.Index, api.LeafKind: ifc.Kind, api.LeafFlags: ifc.Flags} {
				raw, _ := json.Marshal(v)
				nodes = append(nodes, api.Node{Name: base + "." + leaf, Type: "int", Value: raw})
			}
		}
		if len(nodes) == 0 && prefix != "net.link" {
			fail(http.StatusNotFound, syscall.ENOENT)
			return
		}
		json.NewEncoder(w).Encode(nodes)
	case r.Method == "PUT" && strings.HasPrefix(path, "/v1/node/net.link.") && strings.HasSuffix(path, ".flags"):
		name := strings.TrimSuffix(strings.TrimPrefix(path, "/v1/node/net.link."), ".flags")
		var flags int
		json.NewDecoder(r.Body).Decode(&flags)
		for i := range k.ifs {
			if k.ifs[i].Name == name {
				k.ifs[i].Flags = flags
				k.calls = append(k.calls, "flags "+name+" "+api.IfFlagNames[0]+map[bool]string{true: "", false: " off"}[flags&api.IFF_UP != 0])
				json.NewEncoder(w).Encode(api.SetReply{Name: path})
				return
			}
		}
		fail(http.StatusNotFound, syscall.ENXIO)
	case strings.HasPrefix(path, "/v1/bridge/"):
		name := strings.TrimPrefix(path, "/v1/bridge/")
		st, ok := k.sts[name]
		if !ok {
			fail(http.StatusNotFound, syscall.ENXIO)
			return
		}
		if r.Method == "GET" {
			json.NewEncoder(w).Encode(st)
			return
		}
		var req api.BridgeRequest
		json.NewDecoder(r.Body).Decode(&req)
		k.calls = append(k.calls, name+" "+req.Op+" "+req.Member)
		if req.Member == "virt9" {
			fail(http.StatusNotFound, syscall.ENOENT)
			return
		}
		w.Write([]byte("{}"))
	default:
		fail(http.StatusNotFound, syscall.ENOENT)
	}
}

func serveFake(t *testing.T, k *fakeKernel) *client.Client {
	t.Helper()
	path := filepath.Join(t.TempDir(), "s")
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: k}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return &client.Client{URL: "unix://" + path}
}

func TestRumpBackend(t *testing.T) {
	k := &fakeKernel{
		ifs: []api.Interface{
			{Name: "lo0", Index: 1, Kind: "lo", Flags: 0x8049},
			{Name: "bridge0", Index: 2, Kind: "bridge", Flags: 0},
			{Name: "virt0", Index: 3, Kind: "virt", Flags: 0x8802},
			{Name: "bridge1", Index: 4, Kind: "bridge", Flags: 0x41},
		},
		sts: map[string]api.BridgeStatus{"bridge0": bridge1, "bridge1": bridge0},
	}
	k.sts["bridge0"] = func() api.BridgeStatus { st := bridge1; st.Name = "bridge0"; return st }()
	k.sts["bridge1"] = func() api.BridgeStatus { st := bridge0; st.Name = "bridge1"; return st }()
	c := serveFake(t, k)
	b := rump{c}

	names, err := b.Bridges()
	if err != nil || strings.Join(names, " ") != "bridge0 bridge1" {
		t.Errorf("Bridges: got %v, %v, want [bridge0 bridge1]", names, err)
	}
	steps := []struct {
		args      string
		wantOut   string
		wantErr   string
		wantCalls []string
	}{
		{"-a", "bridge0: flags=0<>\n", "", nil},
		{"bridge1 addr", "\tb2:0a:11:0b:0e:01 virt1 1199 flags=0<>\n\t00:aa:aa:aa:aa:aa virt0 0 flags=1<STATIC>\n", "", nil},
		{"bridge0 add virt0 up", "", "", []string{"bridge0 add virt0", "flags bridge0 UP"}},
		{"bridge0 down", "", "", []string{"flags bridge0 UP off"}},
		{"bridge9 add virt0", "", "rbrconfig: unable to get interface flags: Device not configured\n", nil},
		{"bridge0 add virt9 up", "", "rbrconfig: add virt9: No such file or directory\n", []string{"bridge0 add virt9"}},
		{"bridge0 -learn virt9", "", "rbrconfig: unable to get bridge flags: No such file or directory\n", []string{"bridge0 memberflag virt9"}},
	}
	for _, s := range steps {
		k.calls = nil
		out, errs, st := runMain(b, strings.Fields(s.args)...)
		wantSt := 0
		if s.wantErr != "" {
			wantSt = 1
		}
		if st != wantSt || !strings.HasPrefix(out, s.wantOut) || errs != s.wantErr || !reflect.DeepEqual(k.calls, s.wantCalls) {
			t.Errorf("rbrconfig %s: got status %d stdout %q stderr %q calls %q\nwant status %d stdout %q... stderr %q calls %q",
				s.args, st, out, errs, k.calls, wantSt, s.wantOut, s.wantErr, s.wantCalls)
		}
	}
	if flags, err := b.Flags("bridge1"); err != nil || flags != 0x41 {
		t.Errorf("Flags(bridge1): got %#x, %v, want 0x41", flags, err)
	}
}

func TestRumpNoServer(t *testing.T) {
	c := &client.Client{URL: "unix://" + filepath.Join(t.TempDir(), "none")}
	for _, args := range []string{"-a", "bridge0", "bridge0 add virt0"} {
		_, errs, st := runMain(rump{c}, strings.Fields(args)...)
		if st != 1 || errs != "rbrconfig: rump client init: "+c.URL+": No such file or directory (no such socket: is rump_server running?)\n" {
			t.Errorf("rbrconfig %s without a server: got status %d, stderr %q; want 1 and the rump client init message", args, st, errs)
		}
	}
}
