package rump

// The link state (carrier) of a virt or shmif interface, shown as
// "status: active" or "no carrier". A device that reports its own (a host
// tap, through linkReporter) sets it when it changes; for any other (a bus
// port) it is what the device's last failed or successful read or write
// said. Either way it is one atomic flag, written by the device's
// goroutines and read by status readers; the kernel lock is never taken
// for it. gVisor's NIC has
// no link state, so frames the stack sends while there is no carrier are
// still offered to the device, which refuses them: they are dropped and
// counted as output errors. A read error does not end the receive loop: it
// retries with a backoff bounded at readRetryMax until the device works
// again or is let go.

import (
	"time"

	"github.com/rumpnet/rumpnet/pkg/hosttap"
)

// linkReporter is a FrameDevice that reports its own link state (a host
// tap): whether frames can pass, and a function to call when that may
// have changed.
type linkReporter interface {
	LinkUp() bool
	NotifyLink(fn func())
}

var _ linkReporter = (*hosttap.Tap)(nil)

// Receive retry backoff after a read error: from readRetryMin, doubling up
// to readRetryMax.
const (
	readRetryMin = 10 * time.Millisecond
	readRetryMax = time.Second
)

// linkChanged takes a reporting device's link state, unless the device
// has been replaced since.
func (e *ethEndpoint) linkChanged(lr linkReporter) {
	e.linkmu.Lock()
	defer e.linkmu.Unlock()
	e.mu.RLock()
	cur := e.dev != nil && any(e.dev) == any(lr)
	e.mu.RUnlock()
	if cur {
		e.setCarrier(lr.LinkUp())
	}
}

// linkUp reports whether a device is attached and has carrier.
func (e *ethEndpoint) linkUp() bool { return e.hasDevice() && e.carrier.Load() && !e.noMedia.Load() }

// ioFailed notes a failed read or write: a device that does not report
// its link state has lost it.
func (e *ethEndpoint) ioFailed() {
	if !e.selfRep.Load() {
		e.setCarrier(false)
	}
}

// ioWorked notes a successful read or write: a device that does not
// report its link state has it (back). One load in the common case.
func (e *ethEndpoint) ioWorked() {
	if !e.carrier.Load() && !e.selfRep.Load() {
		e.setCarrier(true)
	}
}

// setCarrier takes the device's link state and calls onLink when it
// changed (an RTM_IFINFO; rtmsg.go).
func (e *ethEndpoint) setCarrier(up bool) {
	if e.carrier.Swap(up) != up && e.onLink != nil {
		e.onLink()
	}
}

// readRetry handles a read error on the device: it waits *wait, doubling
// it, and reports whether to read again (false once the device is let go).
func (e *ethEndpoint) readRetry(stop <-chan struct{}, wait *time.Duration) bool {
	select {
	case <-stop:
		return false
	default:
	}
	e.ioFailed()
	t := time.NewTimer(*wait)
	defer t.Stop()
	*wait = min(2**wait, readRetryMax)
	select {
	case <-stop:
		return false
	case <-t.C:
		return true
	}
}
