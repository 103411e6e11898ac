package brconfig

// Running a parsed request: find the bridge, run the steps left to right,
// then apply up or down once. The first failure stops the run; what ran
// before it stays done, as with NetBSD's brconfig.

import (
	"errors"
	"io"
	"syscall"

	"github.com/rumpnet/rumpnet/pkg/api"
)

// opError is a failed step, named the way NetBSD's brconfig names it in
// messages ("add tap0", "unable to get interface flags").
type opError struct {
	op  string
	err error
}

func (e *opError) Error() string { return e.op + ": " + e.err.Error() }
func (e *opError) Unwrap() error { return e.err }

func fail(op string, err error) error { return &opError{op, err} }

// execute runs r against b, writing output to w.
func execute(b Backend, r *request, w io.Writer) error {
	if r.mode == modeShowAll {
		names, err := b.Bridges()
		if err != nil {
			return fail("getifaddrs", err)
		}
		for _, name := range names {
			// As NetBSD, only names brconfig accepts are shown.
			if !isBridgeName(name) {
				continue
			}
			if err := show(b, name, w); err != nil {
				return err
			}
		}
		return nil
	}
	if _, err := b.Flags(r.bridge); err != nil {
		return fail("unable to get interface flags", err)
	}
	if r.mode == modeShow {
		return show(b, r.bridge, w)
	}
	for _, s := range r.steps {
		if err := runStep(b, r.bridge, s, w); err != nil {
			return err
		}
	}
	if r.setUp {
		if err := b.SetUp(r.bridge, r.up); err != nil {
			return fail("unable to set interface flags", err)
		}
	}
	return nil
}

func show(b Backend, name string, w io.Writer) error {
	st, err := b.Status(name)
	if err != nil {
		return fail("unable to get bridge status", err)
	}
	writeStatus(w, st)
	return nil
}

func runStep(b Backend, bridge string, s step, w io.Writer) error {
	if s.showCache {
		st, err := b.Status(bridge)
		if err != nil {
			return fail("unable to get address cache", err)
		}
		writeCache(w, st.Cache, "\t")
		return nil
	}
	err := b.Do(bridge, s.req)
	if err == nil {
		return nil
	}
	if s.req.Op == api.BridgeMemberFlag {
		// NetBSD reads the member's flags, then writes them: a member
		// that is not there fails the read.
		if errors.Is(err, syscall.ENOENT) {
			return fail("unable to get bridge flags", err)
		}
		return fail("unable to set bridge flags", err)
	}
	return fail(s.label, err)
}
