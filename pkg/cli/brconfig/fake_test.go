package brconfig

import (
	"fmt"
	"syscall"

	"github.com/rumpnet/rumpnet/pkg/api"
)

// fake is a Backend in memory: bridges with their status, a log of the
// calls that change something, and errors to inject per operation.
type fake struct {
	bridges map[string]*api.BridgeStatus
	order   []string
	calls   []string
	// fail makes the operation (BridgeRequest.Op, "status", "list",
	// "setup") fail with the error.
	fail map[string]error
}

func newFake(sts ...api.BridgeStatus) *fake {
	f := &fake{bridges: map[string]*api.BridgeStatus{}, fail: map[string]error{}}
	for _, st := range sts {
		st := st
		f.bridges[st.Name] = &st
		f.order = append(f.order, st.Name)
	}
	return f
}

func (f *fake) Bridges() ([]string, error) {
	if err := f.fail["list"]; err != nil {
		return nil, err
	}
	return f.order, nil
}

func (f *fake) Flags(name string) (int, error) {
	st, ok := f.bridges[name]
	if !ok {
		return 0, api.Errorf(syscall.ENXIO, name)
	}
	return st.Flags, nil
}

func (f *fake) Status(name string) (api.BridgeStatus, error) {
	if err := f.fail["status"]; err != nil {
		return api.BridgeStatus{}, err
	}
	st, ok := f.bridges[name]
	if !ok {
		return api.BridgeStatus{}, api.Errorf(syscall.ENXIO, name)
	}
	return *st, nil
}

func (f *fake) Do(name string, req api.BridgeRequest) error {
	f.calls = append(f.calls, fmt.Sprintf("%s %+v", name, req))
	if err := f.fail[req.Op]; err != nil {
		return err
	}
	st := f.bridges[name]
	switch req.Op {
	case api.BridgeAdd:
		st.Members = append([]api.BridgeMember{{Name: req.Member, Flags: api.IFBIF_LEARNING | api.IFBIF_DISCOVER}}, st.Members...)
	case api.BridgeFlushAll:
		st.Cache = nil
	case api.BridgeTimeout:
		st.Timeout = req.Value
	}
	return nil
}

func (f *fake) SetUp(name string, up bool) error {
	f.calls = append(f.calls, fmt.Sprintf("%s up=%v", name, up))
	if err := f.fail["setup"]; err != nil {
		return err
	}
	st := f.bridges[name]
	st.Flags &^= api.IFF_UP | api.IFF_RUNNING
	if up {
		st.Flags |= api.IFF_UP | api.IFF_RUNNING
	}
	return nil
}
