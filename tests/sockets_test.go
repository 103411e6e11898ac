package tests

// Sockets of real rump_server processes owned by this test process: two
// kernels on a shmif bus, a client.Dial in one to a client.Listen in the
// other, both families, data checked both ways.

import (
	"bytes"
	"crypto/sha256"
	"io"
	"net"
	"path/filepath"
	"testing"

	"github.com/rumpnet/rumpnet/pkg/client"
)

func TestSocketsDialListenAcrossBus(t *testing.T) {
	e := newEnv(t)
	bus := filepath.Join(e.dir, "bus")
	url1, url2 := e.busKernel("k1", bus, 1), e.busKernel("k2", bus, 2)
	e.waitUsableAt(url1, "shmif0")
	e.waitUsableAt(url2, "shmif0")
	c1, c2 := &client.Client{URL: url1}, &client.Client{URL: url2}
	defer c1.CloseSockets()
	defer c2.CloseSockets()
	for _, tt := range []struct{ listen, dial string }{
		{"10.1.0.2:8000", "10.1.0.2:8000"},
		{"[fd01::2]:8001", "[fd01::2]:8001"},
	} {
		l, err := c2.Listen("tcp", tt.listen)
		if err != nil {
			t.Fatalf("listen %s: %v", tt.listen, err)
		}
		msgA, msgB := bytes.Repeat([]byte("a→b."), 1<<18), bytes.Repeat([]byte("b→a"), 1<<18)
		got := make(chan [32]byte, 1)
		go func() {
			c, err := l.Accept()
			if err != nil {
				got <- [32]byte{}
				return
			}
			defer c.Close()
			go func() { c.Write(msgB); c.(interface{ CloseWrite() error }).CloseWrite() }()
			b, _ := io.ReadAll(c)
			got <- sha256.Sum256(b)
		}()
		c, err := c1.Dial("tcp", tt.dial)
		if err != nil {
			t.Fatalf("dial %s: %v", tt.dial, err)
		}
		if ra := c.RemoteAddr().(*net.TCPAddr).AddrPort().String(); ra != tt.dial {
			t.Errorf("RemoteAddr: got %s, want %s", ra, tt.dial)
		}
		go func() { c.Write(msgA); c.(interface{ CloseWrite() error }).CloseWrite() }()
		b, _ := io.ReadAll(c)
		if sha256.Sum256(b) != sha256.Sum256(msgB) {
			t.Errorf("%s b→a: got %d bytes, want %d", tt.dial, len(b), len(msgB))
		}
		if <-got != sha256.Sum256(msgA) {
			t.Errorf("%s a→b: digest differs", tt.dial)
		}
		c.Close()
		l.Close()
	}
	// The sockets are the stack's own: rnetstat lists the listener while
	// it exists.
	l, err := c2.Listen("tcp4", ":8002")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	r := e.toolAt(url2, "rnetstat", "-an")
	if !bytes.Contains([]byte(r.stdout), []byte(".8002")) {
		t.Errorf("rnetstat -an: no listener on 8002:\n%s", r)
	}
}
