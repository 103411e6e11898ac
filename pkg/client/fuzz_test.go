package client

import (
	"bufio"
	"bytes"
	"io"
	"testing"
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
