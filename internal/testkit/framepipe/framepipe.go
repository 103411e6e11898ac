// Package framepipe joins two frame devices with an in-memory wire, so that
// in-process tests can connect rump kernels' virt interfaces without host
// taps or privileges.
//
// It is for tests and embedders only; frames are copied and queued, and a
// full queue drops, like a wire with no buffer left.
package framepipe

import (
	"io"
	"os"
	"sync"
)

// queueLen is how many frames an end buffers before dropping.
const queueLen = 256

// End is one end of a pipe; it implements rump.FrameDevice.
type End struct {
	in   chan []byte
	peer *End

	once   sync.Once
	closed chan struct{}
}

// End is a rump.FrameDevice: one frame per Read and per Write.
var _ io.ReadWriteCloser = (*End)(nil)

// New returns the two ends of a new pipe.
func New() (*End, *End) {
	a := &End{in: make(chan []byte, queueLen), closed: make(chan struct{})}
	b := &End{in: make(chan []byte, queueLen), closed: make(chan struct{})}
	a.peer, b.peer = b, a
	return a, b
}

// Read returns the next frame the other end wrote, blocking until there is
// one or this end is closed.
func (e *End) Read(p []byte) (int, error) {
	select {
	case f := <-e.in:
		return copy(p, f), nil
	case <-e.closed:
		return 0, os.ErrClosed
	}
}

// Write sends one frame to the other end; it is dropped if the other end is
// closed or its queue is full.
func (e *End) Write(p []byte) (int, error) {
	select {
	case <-e.closed:
		return 0, os.ErrClosed
	default:
	}
	f := append([]byte(nil), p...)
	select {
	case e.peer.in <- f:
	case <-e.peer.closed:
	default:
	}
	return len(p), nil
}

// Close ends Read; it is safe to call more than once.
func (e *End) Close() error {
	e.once.Do(func() { close(e.closed) })
	return nil
}
