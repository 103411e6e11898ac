package xo

// A Writer collects a document in memory and writes it at Finish, so the
// JSON separators and the XML nesting come out right whatever order the
// caller opens things in. Documents are small (a routing table, an ARP
// cache), so holding them is cheap.
//
// The model is libxo's: a container is a named object; an instance is one
// element of a named list (consecutive instances of the same name form one
// JSON array, or repeated XML elements); a leaf is a named scalar; a leaf
// list is a named list of scalars.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
)

type kind int

const (
	object kind = iota
	list
	leaf
	leafList
)

type node struct {
	kind     kind
	name     string
	children []*node // object: members; list: instances (objects)
	value    any     // leaf
	values   []any   // leaf list
}

// Writer builds one JSON or XML document. Its methods record the first
// misuse (a Close that does not match its Open) and Finish reports it.
type Writer struct {
	out   io.Writer
	opt   Options
	root  *node
	stack []*node
	err   error
}

// NewWriter returns a Writer that writes to out in opt's style at Finish.
// For the Text style it collects and writes nothing.
func NewWriter(out io.Writer, opt Options) *Writer {
	r := &node{kind: object}
	return &Writer{out: out, opt: opt, root: r, stack: []*node{r}}
}

func (w *Writer) top() *node { return w.stack[len(w.stack)-1] }

func (w *Writer) fail(format string, a ...any) {
	if w.err == nil {
		w.err = fmt.Errorf("xo: "+format, a...)
	}
}

// Open starts a container (a JSON object member, an XML element).
func (w *Writer) Open(name string) {
	n := &node{kind: object, name: name}
	t := w.top()
	t.children = append(t.children, n)
	w.stack = append(w.stack, n)
}

// Close ends the container Open started.
func (w *Writer) Close(name string) { w.pop(name, false) }

// OpenInstance starts one element of the list name. Consecutive instances of
// one name in one container are one list.
func (w *Writer) OpenInstance(name string) {
	t := w.top()
	var l *node
	if k := len(t.children); k > 0 && t.children[k-1].kind == list && t.children[k-1].name == name {
		l = t.children[k-1]
	} else {
		l = &node{kind: list, name: name}
		t.children = append(t.children, l)
	}
	n := &node{kind: object, name: name}
	l.children = append(l.children, n)
	w.stack = append(w.stack, n)
}

// CloseInstance ends the instance OpenInstance started.
func (w *Writer) CloseInstance(name string) { w.pop(name, true) }

func (w *Writer) pop(name string, _ bool) {
	if len(w.stack) < 2 {
		w.fail("close %q with nothing open", name)
		return
	}
	if t := w.top(); t.name != name {
		w.fail("close %q while %q is open", name, t.name)
	}
	w.stack = w.stack[:len(w.stack)-1]
}

// Emit adds the leaf name with value: a string, an integer, a bool or a
// float. Integers and bools are JSON numbers and booleans.
func (w *Writer) Emit(name string, value any) {
	t := w.top()
	t.children = append(t.children, &node{kind: leaf, name: name, value: value})
}

// EmitList adds the leaf list name (libxo's "{l:name}"): a JSON array of
// scalars, or one XML element per value.
func (w *Writer) EmitList(name string, values ...any) {
	t := w.top()
	t.children = append(t.children, &node{kind: leafList, name: name, values: values})
}

// Finish writes the document. XML has no place for leaves outside every
// container (a "__version"), so it leaves them out. It fails if a container is still open or a
// Close did not match.
func (w *Writer) Finish() error {
	if w.err != nil {
		return w.err
	}
	if len(w.stack) != 1 {
		return fmt.Errorf("xo: %q still open", w.top().name)
	}
	var b bytes.Buffer
	switch w.opt.Style {
	case JSON:
		w.json(&b, w.root, 0)
		b.WriteByte('\n')
	case XML:
		for _, c := range w.root.children {
			if c.kind == object || c.kind == list {
				w.xml(&b, c, 0) // a top-level leaf such as "__version" is JSON's only
			}
		}
		if !w.opt.Pretty {
			b.WriteByte('\n')
		}
	default:
		return nil
	}
	_, err := w.out.Write(b.Bytes())
	return err
}

func (w *Writer) key(name string) string {
	if w.opt.Underscores {
		return strings.ReplaceAll(name, "-", "_")
	}
	return name
}

func (w *Writer) newline(b *bytes.Buffer, depth int) {
	if w.opt.Pretty {
		b.WriteByte('\n')
		b.WriteString(strings.Repeat("  ", depth))
	}
}

// json writes an object's members.
func (w *Writer) json(b *bytes.Buffer, n *node, depth int) {
	b.WriteByte('{')
	for i, c := range n.children {
		if i > 0 {
			b.WriteByte(',')
			if !w.opt.Pretty {
				b.WriteByte(' ')
			}
		}
		w.newline(b, depth+1)
		b.WriteString(jsonString(w.key(c.name)))
		b.WriteString(": ")
		switch c.kind {
		case object:
			w.json(b, c, depth+1)
		case list:
			b.WriteByte('[')
			for j, e := range c.children {
				if j > 0 {
					b.WriteString(", ")
				}
				w.json(b, e, depth+1)
			}
			b.WriteByte(']')
		case leaf:
			b.WriteString(jsonScalar(c.value))
		case leafList:
			b.WriteByte('[')
			for j, v := range c.values {
				if j > 0 {
					b.WriteString(", ")
				}
				b.WriteString(jsonScalar(v))
			}
			b.WriteByte(']')
		}
	}
	if len(n.children) > 0 {
		w.newline(b, depth)
	}
	b.WriteByte('}')
}

func jsonString(s string) string {
	var b bytes.Buffer
	e := json.NewEncoder(&b)
	e.SetEscapeHTML(false)
	_ = e.Encode(s) // a string always encodes
	return strings.TrimSuffix(b.String(), "\n")
}

func jsonScalar(v any) string {
	switch v := v.(type) {
	case bool:
		return strconv.FormatBool(v)
	case int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
		return fmt.Sprint(v)
	case float32, float64:
		return fmt.Sprint(v)
	case string:
		return jsonString(v)
	}
	return jsonString(fmt.Sprint(v))
}

func (w *Writer) xml(b *bytes.Buffer, n *node, depth int) {
	switch n.kind {
	case list:
		for _, e := range n.children {
			w.xml(b, e, depth)
		}
	case object:
		w.indent(b, depth)
		b.WriteString("<" + w.key(n.name) + ">")
		if w.opt.Pretty && len(n.children) > 0 {
			b.WriteByte('\n')
		}
		for _, c := range n.children {
			w.xml(b, c, depth+1)
		}
		if len(n.children) > 0 {
			w.indent(b, depth)
		}
		b.WriteString("</" + w.key(n.name) + ">")
		w.endLine(b)
	case leaf:
		w.xmlLeaf(b, n.name, n.value, depth)
	case leafList:
		for _, v := range n.values {
			w.xmlLeaf(b, n.name, v, depth)
		}
	}
}

func (w *Writer) xmlLeaf(b *bytes.Buffer, name string, v any, depth int) {
	w.indent(b, depth)
	k := w.key(name)
	b.WriteString("<" + k + ">")
	escapeText(b, fmt.Sprint(v))
	b.WriteString("</" + k + ">")
	w.endLine(b)
}

func (w *Writer) indent(b *bytes.Buffer, depth int) {
	if w.opt.Pretty {
		b.WriteString(strings.Repeat("  ", depth))
	}
}

func (w *Writer) endLine(b *bytes.Buffer) {
	if w.opt.Pretty {
		b.WriteByte('\n')
	}
}
