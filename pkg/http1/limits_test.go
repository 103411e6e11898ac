package http1

import (
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Connections from other uids cannot be made without root, so these tests
// give each connection a uid of its own: a client that binds to a name
// "uid-N-..." counts as uid N, an unnamed client as the server's owner.
func fakePeer(nc net.Conn) Peer {
	name := filepath.Base(nc.RemoteAddr().String())
	if rest, ok := strings.CutPrefix(name, "uid-"); ok {
		n, _, _ := strings.Cut(rest, "-")
		uid, err := strconv.Atoi(n)
		if err == nil {
			return Peer{UID: uid, Known: true}
		}
	}
	return PeerCred(nc)
}

// serveLimited starts a server with the given limits and fake peers; root
// and the owner may use the reserved connections.
func serveLimited(t *testing.T, lim Limits) (*Server, string) {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "s")
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	s := newServer()
	s.Limits, s.PeerOf = lim, fakePeer
	s.Reserved = func(p Peer) bool { return p.Known && (p.UID == 0 || p.UID == os.Getuid()) }
	s.OverLimit = Reply{ContentType: "application/json", Body: []byte(`{"errno":"EAGAIN"}` + "\n")}
	go s.Serve(l)
	t.Cleanup(func() { s.Close() })
	return s, path
}

var dialSeq struct {
	sync.Mutex
	n int
}

// dialAs connects to the server as uid (-1: as the owner).
func dialAs(t *testing.T, path string, uid int) *rawClient {
	t.Helper()
	if uid < 0 {
		return dialRaw(t, path)
	}
	dialSeq.Lock()
	dialSeq.n++
	name := filepath.Join(filepath.Dir(path), "uid-"+strconv.Itoa(uid)+"-"+strconv.Itoa(dialSeq.n))
	dialSeq.Unlock()
	c, err := net.DialUnix("unix", &net.UnixAddr{Name: name, Net: "unix"}, &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(20 * time.Second))
	return newRawClient(t, c)
}

// wantRefused checks that the server answers 503 with EAGAIN and closes.
func (rc *rawClient) wantRefused() {
	rc.t.Helper()
	resp, body := rc.response("GET")
	if resp.StatusCode != 503 || !resp.Close || !strings.Contains(body, `"errno":"EAGAIN"`) {
		rc.t.Errorf("got %s (close %v) %q, want 503 EAGAIN and close", resp.Status, resp.Close, body)
	}
}

func TestConnLimits(t *testing.T) {
	const owner = -1
	s, path := serveLimited(t, Limits{Total: 6, Reserved: 2, PerUID: 3})
	steps := []struct {
		uid   int
		admit bool
	}{
		{1001, true}, {1001, true}, {1001, true},
		{1001, false}, // over the per-uid limit
		{1002, true},
		{1002, false}, // the rest is reserved
		{owner, true}, {owner, true},
		{owner, false}, // full
	}
	held := 0
	var owners []*rawClient
	for _, st := range steps {
		rc := dialAs(t, path, st.uid)
		if !st.admit {
			rc.wantRefused()
			continue
		}
		held++
		waitConns(t, s, held, 0)
		if st.uid == owner {
			owners = append(owners, rc)
		}
	}
	// The owner is served while others hold every other connection.
	for _, rc := range owners {
		rc.send("GET / HTTP/1.1\r\n\r\n")
		if resp, _ := rc.response("GET"); resp.StatusCode != 200 {
			t.Errorf("owner: got %s, want 200", resp.Status)
		}
	}
}

// TestOwnerServedDuringFlood floods the server with connections of one uid
// that send requests and never read; the owner is still answered.
func TestOwnerServedDuringFlood(t *testing.T) {
	s, path := serveLimited(t, Limits{Total: 64, Reserved: 8, PerUID: 16})
	var flood []*rawClient
	for i := 0; i < 100; i++ {
		rc := dialAs(t, path, 1001)
		flood = append(flood, rc)
		go func() {
			for {
				if _, err := io.WriteString(rc.c, "GET / HTTP/1.1\r\n\r\n"); err != nil {
					return
				}
			}
		}()
	}
	for i := 0; i < 5; i++ {
		rc := dialAs(t, path, -1)
		rc.send("GET / HTTP/1.1\r\nConnection: close\r\n\r\n")
		if resp, _ := rc.response("GET"); resp.StatusCode != 200 {
			t.Errorf("owner request %d: got %s, want 200", i, resp.Status)
		}
	}
	if all, _ := s.Conns(); all > 16+1 {
		t.Errorf("connections held: got %d, want at most 16 of the flood and the owner's", all)
	}
	for _, rc := range flood {
		rc.c.Close()
	}
}

// TestNonReadingClientDropped pipelines requests without reading a reply:
// the server's writes stall, and it drops the connection.
func TestNonReadingClientDropped(t *testing.T) {
	shortWrites(t, 200*time.Millisecond)
	s, path, _ := serveRaw(t)
	rc := dialRaw(t, path)
	rc.send("GET / HTTP/1.1\r\n\r\n")
	rc.response("GET")
	waitConns(t, s, 1, 0)
	go func() {
		for {
			if _, err := io.WriteString(rc.c, "GET / HTTP/1.1\r\n\r\n"); err != nil {
				return
			}
		}
	}()
	waitConns(t, s, 0, 0)
}

// TestStreamNotReadDropped starts a fast stream and reads nothing: the
// stream ends and its connection is dropped.
func TestStreamNotReadDropped(t *testing.T) {
	shortWrites(t, 200*time.Millisecond)
	s, path, _ := serveRaw(t)
	rc := dialRaw(t, path)
	rc.send("POST /stream/forever HTTP/1.1\r\nContent-Length: 0\r\n\r\n")
	waitConns(t, s, 1, 1)
	waitConns(t, s, 0, 0)
}

// shortListener fails its first accepts with an error, as accept(2) does
// when the process is out of descriptors, then hands out conns.
type shortListener struct {
	net.Listener
	mu    sync.Mutex
	fails int
	err   error
}

func (l *shortListener) Accept() (net.Conn, error) {
	l.mu.Lock()
	if l.fails > 0 {
		l.fails--
		l.mu.Unlock()
		return nil, &net.OpError{Op: "accept", Net: "unix", Err: os.NewSyscallError("accept4", l.err)}
	}
	l.mu.Unlock()
	return l.Listener.Accept()
}

// TestAcceptShortage checks that running out of descriptors or memory in
// accept neither stops the server nor makes it spin: it goes on serving.
func TestAcceptShortage(t *testing.T) {
	for _, errno := range []syscall.Errno{syscall.EMFILE, syscall.ENFILE, syscall.ENOBUFS, syscall.ENOMEM} {
		t.Run(errno.Error(), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "s")
			ul, err := net.Listen("unix", path)
			if err != nil {
				t.Fatal(err)
			}
			s := newServer()
			served := make(chan error, 1)
			go func() { served <- s.Serve(&shortListener{Listener: ul, fails: 5, err: errno}) }()
			t.Cleanup(func() { s.Close() })
			rc := dialRaw(t, path)
			rc.send("GET / HTTP/1.1\r\n\r\n")
			if resp, _ := rc.response("GET"); resp.StatusCode != 200 {
				t.Errorf("after %v from accept: got %s, want 200", errno, resp.Status)
			}
			select {
			case err := <-served:
				t.Errorf("Serve returned %v after %v from accept, want it to go on", err, errno)
			default:
			}
		})
	}
}
