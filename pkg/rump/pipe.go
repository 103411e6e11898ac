package rump

// A hand-over between two goroutines on the frame path, used by a virt
// interface in both directions (see pipe below): the receive loop hands
// large frames to a goroutine that delivers them to the stack (rxPipe,
// linkrecv.go); the stack's sending goroutines hand theirs to one that
// writes them to the tap (txPipe, linksend.go).
//
// Goroutines: a pipe's goroutine starts with the first push and ends in
// stop, once it has handled everything queued. Locking: a pipe has none of
// its own; its user serializes the pushes and stop (the receive loop is a
// single goroutine, the transmit side holds the endpoint's wmu).
// Ownership: an item pushed belongs to the handler from then on.

import "sync/atomic"

// pipe hands items from one goroutine to a second that processes them in
// order, started with the first item, so that a virt interface carrying
// large frames uses two cores in each direction: on receive the loop reads
// the next frame from the tap while the second goroutine passes the
// previous ones up the stack (rxItem); on transmit the stack's goroutines
// go on while the second one writes their frames to the tap (txPipe).
// Small frames are not handed over when nothing is queued, so a ping pays
// no hand-over; behind queued frames they are queued too, which keeps
// every frame in order.
type pipe[T any] struct {
	handle  func(T)
	size    int // queue length
	q       chan T
	pending atomic.Int32 // items queued and not yet handled
	done    chan struct{}
}

// Queue lengths. A received frame queued holds its own chunks (64 KiB at
// most). A transmitted one stays charged to its socket's send buffer until
// it is written, so the transmit queue holds no memory of its own; it is
// long enough never to fill under a stream, because a full queue makes the
// stack's goroutine that is sending (often the one processing ACKs) wait
// for the writer frame by frame. With 32 slots one rump->host stream found
// it full at 5 % of its frames.
const (
	rxPipeLen = 32
	txPipeLen = 256
)

// busy reports whether items are queued or being handled.
func (p *pipe[T]) busy() bool { return p.pending.Load() > 0 }

// push queues an item, waiting while the queue is full. Pushes must not
// run concurrently with each other or with stop.
func (p *pipe[T]) push(it T) {
	if p.q == nil {
		p.q = make(chan T, p.size)
		p.done = make(chan struct{})
		go p.run()
	}
	p.pending.Add(1)
	p.q <- it
}

func (p *pipe[T]) run() {
	defer close(p.done)
	for it := range p.q {
		p.handle(it)
		p.pending.Add(-1)
	}
}

// stop handles what is queued and ends the goroutine.
func (p *pipe[T]) stop() {
	if p.q != nil {
		close(p.q)
		<-p.done
	}
}
