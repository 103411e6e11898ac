package client

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"syscall"
	"testing"

	"github.com/rumpnet/rumpnet/pkg/api"
)

// FuzzReadReply checks that no reply, however broken, makes the client
// panic or read a body past its length.
func FuzzReadReply(f *testing.F) {
	f.Add([]byte("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 3\r\n\r\n{}\n"))
	f.Add([]byte("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n1c\r\n{\"seq\":0,\"bytes\":64,\"ttl\":64}\r\n0\r\n\r\n"))
	f.Add([]byte("HTTP/1.1 404 Not Found\r\nContent-Length: 60\r\n\r\n{\"errno\":\"ENXIO\",\"code\":6,\"detail\":\"no such interface\"}\n"))
	f.Add([]byte("HTTP/1.0 200 OK\r\n\r\nbody"))
	f.Fuzz(func(t *testing.T, in []byte) {
		r, err := readReply(bufio.NewReaderSize(bytes.NewReader(in), 4096))
		if err != nil {
			return
		}
		body, _ := io.ReadAll(r.body)
		if len(body) > len(in) {
			t.Errorf("got a body of %d bytes from %d bytes of input", len(body), len(in))
		}
	})
}

// FuzzRouteMonitor feeds arbitrary stream bodies to the routing-message
// reader: no panic, every failure EPROTO or the stream's end, and the
// stream ends.
func FuzzRouteMonitor(f *testing.F) {
	f.Add([]byte(`{"type":1,"flags":2115,"index":2,"dst":"10.1.0.0","gateway":"10.0.0.1","netmask":"255.255.0.0"}` + "\n"))
	f.Add([]byte(`{"type":22,"flags":1,"index":2,"netmask":"255.255.255.0","ifp":"shmif0","ifa":"10.0.0.1","brd":"10.0.0.255"}` + "\n" +
		`{"type":16,"index":3,"ifp":"shmif1","what":"arrival","dropped":4}` + "\n"))
	f.Add([]byte(`{"type":20,"flags":34883,"index":2,"link_state":"down"}` + "\n{\"type\":"))
	f.Add([]byte("[1,2]\n{}\n\"x\"\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		body := io.NopCloser(bytes.NewReader(in))
		m := newEventStream[api.RouteMessage](body, func(error) {}, "routing message stream")
		defer m.Close()
		for i := 0; ; i++ {
			if i > len(in)+1 {
				t.Fatalf("got more than %d messages from %d bytes", i, len(in))
			}
			_, err := m.Next()
			if err == io.EOF {
				return
			}
			if err != nil {
				if api.ErrnoOf(err) != syscall.EPROTO {
					t.Fatalf("got error %v, want EPROTO", err)
				}
				return
			}
		}
	})
}

// FuzzNameList checks the request body of Nodes against encoding/json's.
func FuzzNameList(f *testing.F) {
	f.Add("net.route.inet", "net.link.*.flags")
	f.Add(`odd"name`, "caf\u00e9")
	f.Fuzz(func(t *testing.T, a, b string) {
		names := []string{a, b}
		want, _ := json.Marshal(names)
		got, ok := nameList(names).(rawBody)
		if ok && string(got) != string(want) {
			t.Errorf("nameList(%q): got %s, want %s", names, got, want)
		}
	})
}
