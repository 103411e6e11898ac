package ctlserver

// The sysctl-like tree. Static nodes are a sorted table; interface nodes are
// generated per interface under net.link.<ifname>.<leaf> from leafTable
// (api.Leaves with the kernel's writes), so a lookup never builds the whole
// tree.

import (
	"encoding/json"
	"fmt"
	"runtime"
	"sort"
	"strings"
	"sync"
	"syscall"

	"github.com/rumpnet/rumpnet/pkg/api"
	"github.com/rumpnet/rumpnet/pkg/rump"
)

// node is one leaf: how to read it and, if writable, how to write it.
type node struct {
	name string
	typ  string
	get  func() (any, error)
	set  func(json.RawMessage) error // nil: read-only
}

// tree resolves names against a kernel.
type tree struct {
	k      *rump.Kernel
	static []node // sorted by name

	mu       sync.Mutex
	hostname string
}

func newTree(k *rump.Kernel) *tree {
	t := &tree{k: k}
	t.static = []node{
		{name: api.NodeHostname, typ: "string",
			get: func() (any, error) { t.mu.Lock(); defer t.mu.Unlock(); return t.hostname, nil },
			set: func(v json.RawMessage) error {
				s, err := api.DecodeString(v)
				if err != nil {
					return err
				}
				if len(s) > 255 {
					return api.Errorf(syscall.EINVAL, "hostname too long")
				}
				t.mu.Lock()
				t.hostname = s
				t.mu.Unlock()
				return nil
			}},
		{name: "kern.ostype", typ: "string", get: constant("rumpnet")},
		{name: "debug.goroutines", typ: "int", get: func() (any, error) { return runtime.NumGoroutine(), nil }},
		{name: "kern.osrelease", typ: "string", get: constant(Release)},
	}
	for _, tu := range rump.Tunables() {
		t.static = append(t.static, tunableNode(k, tu))
	}
	t.static = append(t.static, t.netNodes()...)
	sort.Slice(t.static, func(i, j int) bool { return t.static[i].name < t.static[j].name })
	return t
}

// Release is the version kern.osrelease reports.
const Release = "0.1"

func constant(v any) func() (any, error) { return func() (any, error) { return v, nil } }

// tunableNode makes the node of one of the kernel's integer settings.
func tunableNode(k *rump.Kernel, tu rump.Tunable) node {
	n := node{name: tu.Name, typ: "int", get: func() (any, error) { return tu.Get(k), nil }}
	if tu.Set != nil {
		n.set = func(v json.RawMessage) error {
			var i int
			if err := decodeValue(v, &i); err != nil {
				return err
			}
			return tu.Set(k, i)
		}
	}
	return n
}

func decodeValue(v json.RawMessage, dst any) error {
	if err := json.Unmarshal(v, dst); err != nil {
		return api.Errorf(syscall.EINVAL, "value: "+err.Error())
	}
	return nil
}

// leaf is one per-interface node: its description in api.Leaves and, if it
// is writable, how the kernel writes it.
type leaf struct {
	name string
	typ  string
	desc api.Leaf
	leafWriter
}

// leafWriter is the kernel's side of a writable leaf.
type leafWriter struct {
	set func(k *rump.Kernel, ifname string, v json.RawMessage) error
	// only, if set, limits writing to the interface kinds it accepts;
	// writing it on another kind fails with refuse.
	only   func(api.Interface) bool
	refuse syscall.Errno
}

func (l leaf) writable(i api.Interface) bool {
	return l.set != nil && (l.only == nil || l.only(i))
}

// value is the leaf's value in i as it is sent. An interface without
// inactive link-layer addresses has the list [], not null.
func (l leaf) value(i api.Interface) any {
	switch p := l.desc.Field(&i).(type) {
	case *string:
		return *p // makeNode chooses its wire form
	case *[]api.LinkAddr:
		if *p == nil {
			return []api.LinkAddr{}
		}
		return *p
	default:
		return p
	}
}

// leafWriters are the kernel's writes of the writable leaves of api.Leaves,
// by leaf name.
var leafWriters = map[string]leafWriter{
	api.LeafCapEnable: {set: intSetter((*rump.Kernel).SetCapabilities)},
	api.LeafFlags:     {set: intSetter((*rump.Kernel).SetFlags)},
	api.LeafLinkstr: {
		set: func(k *rump.Kernel, ifname string, v json.RawMessage) error {
			s, err := api.DecodeString(v)
			if err != nil {
				return err
			}
			return k.SetLinkstr(ifname, s)
		},
		only:   func(i api.Interface) bool { return i.Kind == "virt" || i.Kind == "shmif" },
		refuse: syscall.ENOTTY},
	api.LeafMedia: {
		set: func(k *rump.Kernel, ifname string, v json.RawMessage) error {
			s, err := api.DecodeString(v)
			if err != nil {
				return err
			}
			return k.SetMedia(ifname, s)
		},
		only:   func(i api.Interface) bool { return i.Kind == "shmif" },
		refuse: syscall.ENOTTY},
	api.LeafMetric: {set: intSetter((*rump.Kernel).SetMetric)},
	api.LeafMTU:    {set: intSetter((*rump.Kernel).SetMTU)},
	api.LeafVlan: {
		set: func(k *rump.Kernel, ifname string, v json.RawMessage) error {
			var req api.Vlan
			if err := decodeValue(v, &req); err != nil {
				return err
			}
			return k.SetVlan(ifname, req.Tag, req.Parent)
		},
		only:   func(i api.Interface) bool { return i.Kind == "vlan" },
		refuse: syscall.ENOTTY},
	api.LeafL2tp: {
		set: func(k *rump.Kernel, ifname string, v json.RawMessage) error {
			var req api.L2tpChange
			if err := decodeValue(v, &req); err != nil {
				return err
			}
			return k.L2tp(ifname, req)
		},
		only:   func(i api.Interface) bool { return i.Kind == "l2tp" },
		refuse: syscall.ENOTTY},
	api.LeafTunnel: {
		set: func(k *rump.Kernel, ifname string, v json.RawMessage) error {
			var req api.Tunnel
			if err := decodeValue(v, &req); err != nil {
				return err
			}
			return k.SetTunnel(ifname, req)
		},
		only:   func(i api.Interface) bool { return i.Kind == "gif" || i.Kind == "gre" },
		refuse: syscall.ENOTTY},
	api.LeafStats: {set: func(k *rump.Kernel, ifname string, v json.RawMessage) error {
		var n int
		if err := decodeValue(v, &n); err != nil || n != 0 {
			return api.Errorf(syscall.EINVAL, "stats can only be set to 0")
		}
		return k.ZeroStats(ifname)
	}},
}

// leafTable is api.Leaves with the kernel's writes, in the same order.
var leafTable = mustLeafTable(api.Leaves, leafWriters)

// buildLeafTable joins the leaves with their writers. Every writable leaf
// must have a writer, and every writer a writable leaf.
func buildLeafTable(leaves []api.Leaf, writers map[string]leafWriter) ([]leaf, error) {
	out := make([]leaf, 0, len(leaves))
	names := map[string]bool{}
	for _, d := range leaves {
		w, ok := writers[d.Name]
		switch {
		case d.Writable && (!ok || w.set == nil):
			return nil, fmt.Errorf("leaf %s is writable but the kernel has no write for it", d.Name)
		case !d.Writable && ok:
			return nil, fmt.Errorf("leaf %s is read-only but the kernel has a write for it", d.Name)
		}
		names[d.Name] = true
		out = append(out, leaf{name: d.Name, typ: d.Type, desc: d, leafWriter: w})
	}
	for name := range writers {
		if !names[name] {
			return nil, fmt.Errorf("the kernel writes leaf %s, which api.Leaves lacks", name)
		}
	}
	return out, nil
}

func mustLeafTable(leaves []api.Leaf, writers map[string]leafWriter) []leaf {
	t, err := buildLeafTable(leaves, writers)
	if err != nil {
		panic(err)
	}
	return t
}

func intSetter(f func(*rump.Kernel, string, int) error) func(*rump.Kernel, string, json.RawMessage) error {
	return func(k *rump.Kernel, ifname string, v json.RawMessage) error {
		var n int
		if err := decodeValue(v, &n); err != nil {
			return err
		}
		return f(k, ifname, n)
	}
}

// splitLink splits "net.link.virt0.mtu" into ("virt0", "mtu"); ok is false
// for names outside net.link. leafName is "" for the interface node itself.
func splitLink(name string) (ifname, leafName string, ok bool) {
	rest, ok := strings.CutPrefix(name, api.LinkPrefix)
	if !ok || rest == "" {
		return "", "", false
	}
	ifname, leafName, _ = strings.Cut(rest, ".")
	return ifname, leafName, true
}

func findLeaf(name string) (leaf, bool) {
	for _, l := range leafTable {
		if l.name == name {
			return l, true
		}
	}
	return leaf{}, false
}

func noNode(name string) error { return api.Errorf(syscall.ENOENT, "no node "+name) }

// get returns the node called name with its value.
func (t *tree) get(name string) (api.Node, error) {
	if ifname, leafName, ok := splitLink(name); ok {
		l, ok := findLeaf(leafName)
		if !ok {
			return api.Node{}, noNode(name)
		}
		info, err := t.k.Interface(ifname)
		if err != nil {
			return api.Node{}, err
		}
		return makeNode(name, l.typ, l.writable(info), l.value(info))
	}
	i := sort.Search(len(t.static), func(i int) bool { return t.static[i].name >= name })
	if i == len(t.static) || t.static[i].name != name {
		return api.Node{}, noNode(name)
	}
	n := t.static[i]
	v, err := n.get()
	if err != nil {
		return api.Node{}, err
	}
	return makeNode(n.name, n.typ, n.set != nil, v)
}

// makeNode encodes a node's value; a string that is not UTF-8 takes the
// {"b64": ...} form (api.StringValue).
func makeNode(name, typ string, writable bool, v any) (api.Node, error) {
	if s, ok := v.(string); ok {
		v = api.StringValue(s)
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return api.Node{}, api.Errorf(syscall.EIO, "encode "+name)
	}
	return api.Node{Name: name, Type: typ, Writable: writable, Value: raw}, nil
}

// set writes a node and returns its old and new values.
func (t *tree) set(name string, v json.RawMessage) (api.SetReply, error) {
	old, err := t.get(name)
	if err != nil {
		return api.SetReply{}, err
	}
	ifname, leafName, isLink := splitLink(name)
	l, _ := findLeaf(leafName)
	if !old.Writable {
		if isLink && l.set != nil && l.refuse != 0 {
			return api.SetReply{}, api.Errorf(l.refuse, name+" does not apply to this interface")
		}
		return api.SetReply{}, api.Errorf(syscall.EPERM, name+" is read-only")
	}
	if isLink {
		err = l.set(t.k, ifname, v)
	} else {
		i := sort.Search(len(t.static), func(i int) bool { return t.static[i].name >= name })
		err = t.static[i].set(v)
	}
	if err != nil {
		return api.SetReply{}, err
	}
	now, err := t.get(name)
	if err != nil {
		return api.SetReply{}, err
	}
	return api.SetReply{Name: name, Old: old.Value, New: now.Value}, nil
}

// list returns every leaf whose name equals prefix or starts with prefix + ".",
// in name order for static nodes and index order for interfaces.
func (t *tree) list(prefix string) ([]api.Node, error) {
	under := func(name string) bool {
		return prefix == "" || name == prefix || strings.HasPrefix(name, prefix+".")
	}
	var out []api.Node
	for _, n := range t.static {
		if under(n.name) {
			node, err := t.get(n.name)
			if err != nil {
				return nil, err
			}
			out = append(out, node)
		}
	}
	for _, info := range t.k.Interfaces() {
		base := api.LinkPrefix + info.Name
		if prefix != "" && !strings.HasPrefix(base+".", prefix+".") && !strings.HasPrefix(prefix+".", base+".") {
			continue // neither above nor below this interface
		}
		for _, l := range leafTable {
			name := base + "." + l.name
			if !under(name) {
				continue
			}
			node, err := makeNode(name, l.typ, l.writable(info), l.value(info))
			if err != nil {
				return nil, err
			}
			out = append(out, node)
		}
	}
	if len(out) == 0 && prefix != "" {
		return nil, noNode(prefix)
	}
	return out, nil
}

// create and destroy act on net.link.<if> (interfaces),
// net.link.<if>.inet / .inet6 (addresses, body api.IfAddr) and
// net.link.<if>.link (link-layer addresses, body api.LinkAddr).
func (t *tree) create(name string, body json.RawMessage) error {
	if handled, err := t.netVerb(name, body, true); handled {
		return err
	}
	create := t.k.Create
	if len(body) > 0 {
		create = func(ifname string) error {
			var c api.IfCreate
			if err := decodeValue(body, &c); err != nil {
				return err
			}
			return t.k.CreateLinked(ifname, c.Linkstr)
		}
	}
	return t.verb(name, body, create, t.k.AddAddr, func(ifname string, l api.LinkAddr) error {
		return t.k.AddLinkAddr(ifname, l.Addr, l.Active)
	})
}

func (t *tree) destroy(name string, body json.RawMessage) error {
	if handled, err := t.netVerb(name, body, false); handled {
		return err
	}
	return t.verb(name, body, t.k.Destroy, func(ifname string, a api.IfAddr) error {
		return t.k.DelAddr(ifname, a.Addr)
	}, func(ifname string, l api.LinkAddr) error {
		return t.k.DelLinkAddr(ifname, l.Addr)
	})
}

func (t *tree) verb(name string, body json.RawMessage, onIf func(string) error,
	onAddr func(string, api.IfAddr) error, onLink func(string, api.LinkAddr) error) error {
	ifname, leafName, ok := splitLink(name)
	if !ok {
		return api.Errorf(syscall.EOPNOTSUPP, name+" has no create or destroy")
	}
	switch leafName {
	case "":
		return onIf(ifname)
	case api.LeafLink:
		var l api.LinkAddr
		if err := decodeValue(body, &l); err != nil {
			return err
		}
		return onLink(ifname, l)
	case api.LeafInet, api.LeafInet6:
		var a api.IfAddr
		if err := decodeValue(body, &a); err != nil {
			return err
		}
		p, err := rump.ParseAddr(a.Addr)
		if err != nil {
			return err
		}
		if p.Addr().Is4() != (leafName == api.LeafInet) {
			return api.Errorf(syscall.EAFNOSUPPORT, a.Addr+" is not "+leafName)
		}
		return onAddr(ifname, a)
	}
	if _, ok := findLeaf(leafName); ok {
		return api.Errorf(syscall.EOPNOTSUPP, name+" has no create or destroy")
	}
	return noNode(name)
}
