package brconfig

// Running a parsed request: find the bridge, run the steps left to right,
// then apply up or down once. The first failure stops the run; what ran
// before it stays done, as with NetBSD's brconfig.

import (
	"errors"
	"io"
	"syscall"

	"github.com/rumpnet/rumpnet/internal/cli"
	"github.com/rumpnet/rumpnet/pkg/api"
)

// execute runs r against b, writing output to w.
func execute(b Backend, r *request, w io.Writer) error {
	p := newPrinter(r, w)
	err := run(b, r, p)
	if err != nil && !p.started() {
		return err // no document at all, as the text prints nothing
	}
	if ferr := p.finish(); err == nil {
		err = ferr
	}
	return err
}

func run(b Backend, r *request, w printer) error {
	if r.mode == modeShowAll {
		names, err := b.Bridges()
		if err != nil {
			return cli.Fail("getifaddrs", err)
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
		return cli.Fail("unable to get interface flags", err)
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
			return cli.Fail("unable to set interface flags", err)
		}
	}
	return nil
}

func show(b Backend, name string, w printer) error {
	st, err := b.Status(name)
	if err != nil {
		return cli.Fail("unable to get bridge status", err)
	}
	w.status(st)
	return nil
}

func runStep(b Backend, bridge string, s step, w printer) error {
	if s.showCache {
		st, err := b.Status(bridge)
		if err != nil {
			return cli.Fail("unable to get address cache", err)
		}
		w.cache(bridge, st.Cache)
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
			return cli.Fail("unable to get bridge flags", err)
		}
		return cli.Fail("unable to set bridge flags", err)
	}
	return cli.Fail(s.label, err)
}
