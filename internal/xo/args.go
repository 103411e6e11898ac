// Package xo writes a tool's records as text, JSON or XML, in the manner of
// FreeBSD's libxo: the same facts under containers, instance lists and leaves
// whose names a tool chooses (FreeBSD's, where FreeBSD has them). It also
// takes the --libxo option out of a command line.
//
// It only formats: it must not open sockets, read the kernel, print usage or
// exit. Text output stays the tool's own printing; a Writer is used only for
// the JSON and XML styles.
package xo

import (
	"fmt"
	"strings"
)

// Style is an output encoding.
type Style int

// The styles. Text is the tool's ordinary output.
const (
	Text Style = iota
	JSON
	XML
)

func (s Style) String() string {
	switch s {
	case JSON:
		return "json"
	case XML:
		return "xml"
	}
	return "text"
}

// Options is the parsed --libxo value.
type Options struct {
	Style       Style
	Pretty      bool // indent the output
	Underscores bool // write '_' for '-' in names, as libxo's "underscores"
}

// Error is a usage error in a --libxo option.
type Error struct {
	Msg string
}

func (e *Error) Error() string { return e.Msg }

// ignored are libxo flags that change nothing in our output but that scripts
// pass, so they are accepted.
var ignored = map[string]bool{
	"warn": true, "warn-xml": true, "flush": true, "flush-line": true,
	"no-locale": true, "no-humanize": true, "allow-text": true, "dtrt": true,
	"keys": true, "info": true, "no-color": true, "color": true,
}

// Parse removes every --libxo option from args, as libxo's xo_parse_args
// does, until a "--" that ends the options. It accepts "--libxo STYLE",
// "--libxo=STYLE" and "--libxo:FLAGS" (the one-letter form: J, X, T, P, U).
// STYLE is a comma-separated list such as "json,pretty". The returned args
// keep their order and are a new slice.
func Parse(args []string) (Options, []string, error) {
	var o Options
	rest := make([]string, 0, len(args))
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			rest = append(rest, args[i:]...)
			break
		}
		if !strings.HasPrefix(a, "--libxo") {
			rest = append(rest, a)
			continue
		}
		v := a[len("--libxo"):]
		var err error
		switch {
		case v == "":
			if i+1 >= len(args) {
				return o, nil, &Error{Msg: "option --libxo requires an argument"}
			}
			i++
			err = o.setWords(args[i])
		case v[0] == '=':
			err = o.setWords(v[1:])
		case v[0] == ':':
			err = o.setLetters(v[1:])
		default:
			rest = append(rest, a)
			continue
		}
		if err != nil {
			return o, nil, err
		}
	}
	return o, rest, nil
}

func (o *Options) setWords(s string) error {
	if s == "" {
		return &Error{Msg: "option --libxo requires an argument"}
	}
	for _, w := range strings.Split(s, ",") {
		switch w {
		case "json":
			o.Style = JSON
		case "xml":
			o.Style = XML
		case "text":
			o.Style = Text
		case "pretty":
			o.Pretty = true
		case "underscores":
			o.Underscores = true
		default:
			if !ignored[w] {
				return &Error{Msg: fmt.Sprintf("unknown libxo option value '%s'", w)}
			}
		}
	}
	return nil
}

func (o *Options) setLetters(s string) error {
	for _, c := range s {
		switch c {
		case 'J':
			o.Style = JSON
		case 'X':
			o.Style = XML
		case 'T':
			o.Style = Text
		case 'P':
			o.Pretty = true
		case 'U':
			o.Underscores = true
		case 'W', 'F', 'f', 'n', 'k', 'I':
		default:
			return &Error{Msg: fmt.Sprintf("unknown libxo option value '%c'", c)}
		}
	}
	return nil
}
