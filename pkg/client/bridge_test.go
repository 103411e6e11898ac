package client

import (
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"reflect"
	"syscall"
	"testing"

	"github.com/rumpnet/rumpnet/pkg/api"
)

// fakeServer serves h on a socket in a temporary directory until the test
// ends and returns a client for it.
func fakeServer(t *testing.T, h http.Handler) *Client {
	t.Helper()
	path := filepath.Join(t.TempDir(), "s")
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return &Client{URL: "unix://" + path}
}

// replyError answers the way the control server fails a request.
func replyError(w http.ResponseWriter, status int, e syscall.Errno, detail string) {
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(api.ErrorReply{Errno: api.ErrnoName(e), Code: int(e), Message: api.Strerror(e), Detail: detail})
}

func TestBridgeStatus(t *testing.T) {
	want := api.BridgeStatus{
		Name: "bridge0", Flags: api.IFF_UP | api.IFF_RUNNING, Priority: 32768, HelloTime: 2,
		FwdDelay: 15, MaxAge: 20, MaxAddr: 100, Timeout: 1200,
		Members: []api.BridgeMember{{Name: "virt0", Flags: api.IFBIF_LEARNING, Port: 2, Priority: 128, PathCost: 55, State: api.STPForwarding}},
		Cache:   []api.BridgeAddr{{MAC: "00:aa:aa:aa:aa:aa", Member: "virt0", Flags: api.IFBAF_STATIC}},
	}
	c := fakeServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method != "GET":
			replyError(w, http.StatusMethodNotAllowed, syscall.EOPNOTSUPP, r.Method)
		case r.URL.Path == "/v1/bridge/bridge0":
			json.NewEncoder(w).Encode(want)
		case r.URL.Path == "/v1/bridge/bridge9":
			replyError(w, http.StatusNotFound, syscall.ENXIO, "bridge9")
		default:
			w.WriteHeader(http.StatusOK)
			io.WriteString(w, "{not json")
		}
	}))
	got, err := c.BridgeStatus("bridge0")
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("BridgeStatus(bridge0): got %+v, %v; want %+v", got, err, want)
	}
	_, err = c.BridgeStatus("bridge9")
	var ae *api.Error
	if !errors.As(err, &ae) || ae.Errno != syscall.ENXIO || ae.Detail != "bridge9" {
		t.Errorf("BridgeStatus(bridge9): got %v, want an *api.Error with ENXIO", err)
	}
	if _, err := c.BridgeStatus("bridge1"); !errors.Is(err, syscall.EPROTO) {
		t.Errorf("BridgeStatus with a garbled reply: got %v, want EPROTO", err)
	}
}

func TestBridge(t *testing.T) {
	var got []api.BridgeRequest
	c := fakeServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != "POST" || r.URL.Path != "/v1/bridge/bridge0" {
			replyError(w, http.StatusNotFound, syscall.ENXIO, r.URL.Path)
			return
		}
		var req api.BridgeRequest
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			replyError(w, http.StatusBadRequest, syscall.EINVAL, err.Error())
			return
		}
		got = append(got, req)
		switch req.Member {
		case "virt9":
			replyError(w, http.StatusNotFound, syscall.ENOENT, "virt9")
		case "virt1":
			replyError(w, http.StatusConflict, syscall.EEXIST, "virt1")
		default:
			w.WriteHeader(http.StatusOK)
			io.WriteString(w, "{}")
		}
	}))
	reqs := []struct {
		req   api.BridgeRequest
		errno syscall.Errno
	}{
		{api.BridgeRequest{Op: api.BridgeAdd, Member: "virt0"}, 0},
		{api.BridgeRequest{Op: api.BridgeAdd, Member: "virt1"}, syscall.EEXIST},
		{api.BridgeRequest{Op: api.BridgeMemberFlag, Member: "virt9", Value: api.IFBIF_LEARNING}, syscall.ENOENT},
		{api.BridgeRequest{Op: api.BridgeStatic, Member: "virt0", MAC: "00:aa:aa:aa:aa:aa"}, 0},
		{api.BridgeRequest{Op: api.BridgeIPF, On: true}, 0},
		{api.BridgeRequest{Op: api.BridgeTimeout, Value: 0}, 0},
	}
	var want []api.BridgeRequest
	for _, tt := range reqs {
		want = append(want, tt.req)
		err := c.Bridge("bridge0", tt.req)
		if tt.errno == 0 && err != nil || tt.errno != 0 && !errors.Is(err, tt.errno) {
			t.Errorf("Bridge(%+v): got %v, want errno %v", tt.req, err, api.ErrnoName(tt.errno))
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("server saw %+v, want %+v", got, want)
	}
	if err := c.Bridge("bridge1", api.BridgeRequest{Op: api.BridgeFlush}); !errors.Is(err, syscall.ENXIO) {
		t.Errorf("Bridge(bridge1): got %v, want ENXIO", err)
	}
}

func TestBridgeWithoutServer(t *testing.T) {
	c := &Client{URL: "unix://" + filepath.Join(t.TempDir(), "none")}
	_, err := c.BridgeStatus("bridge0")
	var ie *InitError
	if !errors.As(err, &ie) {
		t.Errorf("BridgeStatus without a server: got %v, want an InitError", err)
	}
	if err := c.Bridge("bridge0", api.BridgeRequest{Op: api.BridgeFlush}); !errors.As(err, &ie) {
		t.Errorf("Bridge without a server: got %v, want an InitError", err)
	}
}
