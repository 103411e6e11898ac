// Package getopt parses BSD getopt(3) style options: single-letter flags that
// may be combined ("-sv"), option arguments attached or separate ("-c2",
// "-c 2"), "--" ending the options, and the first non-option word ending them
// too. The rump tools use it under their cobra roots, which have flag parsing
// turned off because BSD words such as "-alias" are not GNU flags.
//
// It only parses; it must not print or exit.
package getopt

import "fmt"

// Opt is one parsed option.
type Opt struct {
	Flag byte
	Arg  string // for options that take an argument
}

// Error is a usage error: an unknown option or a missing argument.
type Error struct {
	Msg string
}

func (e *Error) Error() string { return e.Msg }

// Parse parses args against optstring (getopt(3) syntax: a letter followed by
// ':' takes an argument) and returns the options in order and the remaining
// operands.
func Parse(optstring string, args []string) ([]Opt, []string, error) {
	var opts []Opt
	i := 0
	for ; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			i++
			break
		}
		if len(a) < 2 || a[0] != '-' {
			break
		}
		for j := 1; j < len(a); j++ {
			c := a[j]
			takes, known := lookup(optstring, c)
			if !known {
				return nil, nil, &Error{fmt.Sprintf("unknown option -- %c", c)}
			}
			if !takes {
				opts = append(opts, Opt{Flag: c})
				continue
			}
			if j+1 < len(a) {
				opts = append(opts, Opt{Flag: c, Arg: a[j+1:]})
			} else if i+1 < len(args) {
				i++
				opts = append(opts, Opt{Flag: c, Arg: args[i]})
			} else {
				return nil, nil, &Error{fmt.Sprintf("option requires an argument -- %c", c)}
			}
			break
		}
	}
	return opts, args[i:], nil
}

func lookup(optstring string, c byte) (takesArg, known bool) {
	for i := 0; i < len(optstring); i++ {
		if optstring[i] == c && c != ':' {
			return i+1 < len(optstring) && optstring[i+1] == ':', true
		}
	}
	return false, false
}
