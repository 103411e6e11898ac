package sysctl

// --libxo: the variables as JSON or XML instead of "name = value" lines.
// sysctl(8) has no libxo output on NetBSD or FreeBSD, so the form is ours
// and documented in rsysctl(8): one "sysctl" container whose members are
// the variables, by their full dotted name, in the order the text prints
// them:
//
//	{"sysctl": {"net.inet.ip.ttl": 64, "kern.hostname": "rump1"}}
//
// A value keeps its type (number, string, boolean; a structure as a
// nested object or list); with -w a variable's member is
// {"old": ..., "new": ...}. A name given twice is one member, the last.

import (
	"bytes"
	"encoding/json"
	"io"
	"sort"
	"strconv"

	"github.com/rumpnet/rumpnet/internal/xo"
	"github.com/rumpnet/rumpnet/pkg/api"
)

// xoOut collects the variables until finish writes them.
type xoOut struct {
	opt     xo.Options
	entries []xoEntry
	index   map[string]int
}

// xoEntry is one variable: its value, or with change its old and new one.
type xoEntry struct {
	name     string
	typ      string
	value    json.RawMessage
	change   bool
	old, new json.RawMessage
}

func newXOOut(opt xo.Options) *xoOut {
	return &xoOut{opt: opt, index: map[string]int{}}
}

func (o *xoOut) add(e xoEntry) {
	if i, ok := o.index[e.name]; ok {
		o.entries[i] = e
		return
	}
	o.index[e.name] = len(o.entries)
	o.entries = append(o.entries, e)
}

// value adds a variable read.
func (o *xoOut) value(name, typ string, v json.RawMessage) {
	o.add(xoEntry{name: name, typ: typ, value: v})
}

// change adds a variable written.
func (o *xoOut) change(name, typ string, old, new json.RawMessage) {
	o.add(xoEntry{name: name, typ: typ, change: true, old: old, new: new})
}

// finish writes the document: always when the command succeeded, and when
// it failed only if something was read or written, so that a command
// that did nothing prints nothing, as in text.
func (o *xoOut) finish(w io.Writer, ok bool) error {
	if !ok && len(o.entries) == 0 {
		return nil
	}
	x := xo.NewWriter(w, o.opt)
	x.Open("sysctl")
	for _, e := range o.entries {
		if !e.change {
			emitValue(x, e.name, decodeValue(e.typ, e.value))
			continue
		}
		x.Open(e.name)
		emitValue(x, "old", decodeValue(e.typ, e.old))
		emitValue(x, "new", decodeValue(e.typ, e.new))
		x.Close(e.name)
	}
	x.Close("sysctl")
	return x.Finish()
}

// decodeValue turns a node's JSON value into a Go value for the writer:
// numbers as int64 (float64 if not whole), strings with their bytes as the
// text prints them, structures as maps and slices.
func decodeValue(typ string, raw json.RawMessage) any {
	if typ == "string" {
		if s, err := api.DecodeString(raw); err == nil {
			return s
		}
	}
	var v any
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	if err := d.Decode(&v); err != nil {
		return string(raw)
	}
	return v
}

// emitValue writes v under name: a leaf, a container for an object (its
// members in name order), instances for a list of objects, a leaf list for
// a list of scalars. A list that mixes kinds is written as its JSON text.
func emitValue(x *xo.Writer, name string, v any) {
	switch v := v.(type) {
	case map[string]any:
		x.Open(name)
		emitMembers(x, v)
		x.Close(name)
	case []any:
		emitList(x, name, v)
	default:
		x.Emit(name, scalar(v))
	}
}

func emitMembers(x *xo.Writer, m map[string]any) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		emitValue(x, k, m[k])
	}
}

func emitList(x *xo.Writer, name string, vs []any) {
	objects, scalars := 0, 0
	for _, e := range vs {
		switch e.(type) {
		case map[string]any:
			objects++
		case []any:
		default:
			scalars++
		}
	}
	switch {
	case objects == len(vs) && objects > 0:
		for _, e := range vs {
			x.OpenInstance(name)
			emitMembers(x, e.(map[string]any))
			x.CloseInstance(name)
		}
	case scalars == len(vs):
		ss := make([]any, len(vs))
		for i, e := range vs {
			ss[i] = scalar(e)
		}
		x.EmitList(name, ss...)
	default:
		b, _ := json.Marshal(vs) // decoded JSON always encodes
		x.Emit(name, string(b))
	}
}

// scalar makes a decoded JSON scalar one the writer prints as such.
func scalar(v any) any {
	switch v := v.(type) {
	case json.Number:
		if i, err := strconv.ParseInt(string(v), 10, 64); err == nil {
			return i
		}
		if u, err := strconv.ParseUint(string(v), 10, 64); err == nil {
			return u
		}
		if f, err := v.Float64(); err == nil {
			return f
		}
		return string(v)
	case nil:
		return ""
	}
	return v
}
