package ctlserver

import (
	"encoding/json"
	"syscall"

	"github.com/rumpnet/rumpnet/pkg/api"
)

// maxNodeNames bounds the names of one nodes request.
const maxNodeNames = 256

// nodes answers POST /v1/nodes: the nodes a JSON array of names asks for,
// in its order, each as GET /v1/node would give it. A name
// net.link.*.LEAF gives that leaf of every interface in index order (none
// if there is no interface). The first name that fails fails the request,
// with its error, so a tool that used to ask for each node in turn sees the
// same error.
func (s *Server) nodes(_ string, body json.RawMessage) (any, error) {
	var names []string
	if err := json.Unmarshal(body, &names); err != nil {
		return nil, api.Errorf(syscall.EINVAL, "nodes request needs a JSON array of node names")
	}
	if len(names) > maxNodeNames {
		return nil, api.Errorf(syscall.EINVAL, "nodes request of more than 256 names")
	}
	return s.tree.nodes(names)
}

// nodes reads the nodes of names (see Server.nodes).
func (t *tree) nodes(names []string) ([]api.Node, error) {
	out := make([]api.Node, 0, len(names))
	var all []api.Interface // net.link's interfaces, read once
	read := false
	for _, name := range names {
		ifname, leafName, isLink := splitLink(name)
		if !isLink || ifname != api.LinkAll {
			n, err := t.get(name)
			if err != nil {
				return nil, err
			}
			out = append(out, n)
			continue
		}
		l, ok := findLeaf(leafName)
		if !ok {
			return nil, noNode(name)
		}
		if !read {
			all, read = t.k.Interfaces(), true
		}
		for _, info := range all {
			n, err := makeNode(api.LinkPrefix+info.Name+"."+l.name, l.typ, l.writable(info), l.value(info))
			if err != nil {
				return nil, err
			}
			out = append(out, n)
		}
	}
	return out, nil
}
