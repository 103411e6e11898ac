package rump

import (
	"bytes"
	"io"
	"testing"

	"golang.org/x/sys/unix"
	"gvisor.dev/gvisor/pkg/buffer"
)

// TestStreamPayload reads a pair's queued bytes the way the endpoint does
// (buffer.View.ReadFrom probes with an empty read first), in pieces.
func TestStreamPayload(t *testing.T) {
	tests := []struct {
		name  string
		queue int // bytes the program wrote
		count int // bytes counted before the read
	}{
		{"small", 64, 64},
		{"chunks", 3*buffer.MaxChunkSize + 17, 3*buffer.MaxChunkSize + 17},
		{"counted less", 1000, 600},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer unix.Close(fds[0])
			defer unix.Close(fds[1])
			unix.SetsockoptInt(fds[0], unix.SOL_SOCKET, unix.SO_RCVBUF, 1<<20)
			unix.SetNonblock(fds[0], true)
			want := make([]byte, tt.queue)
			for i := range want {
				want[i] = byte(i * 7)
			}
			for off := 0; off < len(want); {
				n, err := unix.Write(fds[1], want[off:])
				if err != nil {
					t.Fatal(err)
				}
				off += n
			}
			p := &streamPayload{fd: fds[0], n: tt.count}
			var b buffer.Buffer
			defer b.Release()
			if _, err := b.WriteFromReaderAndLimitedReader(p, int64(p.Len()), nil); err != nil {
				t.Fatal(err)
			}
			if got := b.Flatten(); !bytes.Equal(got, want[:tt.count]) {
				t.Errorf("got %d bytes (equal %v), want the first %d written", len(got), bytes.Equal(got, want[:len(got)]), tt.count)
			}
			if n, err := p.Read(make([]byte, 10)); n != 0 || err != io.EOF {
				t.Errorf("read past the count: got %d, %v, want 0, EOF", n, err)
			}
		})
	}
}
