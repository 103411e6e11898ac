// Package conform checks the command-line tools against NetBSD's documented
// behaviour: expectations restated from NetBSD's test scripts and manual
// pages, one file per case under a package's testdata/netbsd/, compared
// field by field with what our tool prints.
//
// It is for tests only and must not be imported by product code. It must
// not write expectation files from our own output: that is what golden
// files are for, and conformance would then prove nothing.
package conform

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// Result is what one run of a tool produced.
type Result struct {
	Stdout, Stderr string
	Status         int
}

// Case is one command run against a prepared kernel.
type Case struct {
	Name string // expectation file testdata/netbsd/<Name>.txt
	Args string // the tool's arguments, split on blanks
	// Run prepares the kernel and runs the tool with args; the case's
	// expectation is checked against the result of its last run.
	Run func(t *testing.T, args []string) Result
}

// Expect is one expectation file: a NetBSD source reference and the checks
// that restate it.
type Expect struct {
	Source string  // the comment lines naming where the facts come from
	checks []check // in file order
}

type check struct {
	stream string // "stdout" or "stderr"
	re     *regexp.Regexp
	not    bool // must not match
	empty  bool // the stream must be empty
	status string
	line   int
}

// Parse reads an expectation. Lines:
//
//	# SOURCE              where the fact is stated (at least one)
//	status N | status !N  exit status is (is not) N
//	stdout RE             some line or lines of stdout match RE ((?m) mode)
//	stdout! RE            nothing in stdout matches RE
//	stdout empty          stdout is empty (also stderr)
//	stderr RE | stderr! RE | stderr empty
func Parse(name, text string) (*Expect, error) {
	e := &Expect{}
	sc := bufio.NewScanner(strings.NewReader(text))
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if strings.TrimSpace(line) == "" {
			continue
		}
		if strings.HasPrefix(line, "#") {
			e.Source += strings.TrimSpace(strings.TrimPrefix(line, "#")) + "\n"
			continue
		}
		word, arg, _ := strings.Cut(line, " ")
		c := check{line: n}
		switch word {
		case "status":
			if _, err := strconv.Atoi(strings.TrimPrefix(arg, "!")); err != nil {
				return nil, fmt.Errorf("%s:%d: bad status %q", name, n, arg)
			}
			c.status = arg
		case "stdout", "stdout!", "stderr", "stderr!":
			c.stream, c.not = strings.TrimSuffix(word, "!"), strings.HasSuffix(word, "!")
			if arg == "empty" && !c.not {
				c.empty = true
				break
			}
			re, err := regexp.Compile("(?m)" + arg)
			if err != nil {
				return nil, fmt.Errorf("%s:%d: %v", name, n, err)
			}
			c.re = re
		default:
			return nil, fmt.Errorf("%s:%d: unknown directive %q", name, n, word)
		}
		e.checks = append(e.checks, c)
	}
	if e.Source == "" {
		return nil, fmt.Errorf("%s: no comment naming the NetBSD source", name)
	}
	if len(e.checks) == 0 {
		return nil, fmt.Errorf("%s: no checks", name)
	}
	return e, nil
}

// Mismatches lists the checks r fails, empty when r conforms.
func (e *Expect) Mismatches(r Result) []string {
	var bad []string
	for _, c := range e.checks {
		switch {
		case c.status != "":
			want, _ := strconv.Atoi(strings.TrimPrefix(c.status, "!"))
			if neg := strings.HasPrefix(c.status, "!"); (r.Status == want) == !neg {
				continue
			}
			bad = append(bad, fmt.Sprintf("line %d: got status %d, want %s", c.line, r.Status, c.status))
		default:
			s := r.Stdout
			if c.stream == "stderr" {
				s = r.Stderr
			}
			var ok bool
			switch {
			case c.empty:
				ok = s == ""
			case c.not:
				ok = !c.re.MatchString(s)
			default:
				ok = c.re.MatchString(s)
			}
			if !ok {
				want := "empty"
				if c.re != nil {
					want = map[bool]string{false: "=~ ", true: "!~ "}[c.not] + strings.TrimPrefix(c.re.String(), "(?m)")
				}
				bad = append(bad, fmt.Sprintf("line %d: got %s %q, want %s", c.line, c.stream, s, want))
			}
		}
	}
	return bad
}

// Run checks every case against testdata/netbsd/<name>.txt. A case that
// does not conform fails unless known names it (case name → why rumpnet
// differs); a known difference that conforms fails too, so the list stays
// true. Every file in testdata/netbsd must belong to a case, and every
// known difference to a case.
func Run(t *testing.T, cases []Case, known map[string]string) {
	t.Helper()
	names := map[string]bool{}
	conforming, differing := 0, 0
	for _, c := range cases {
		if names[c.Name] {
			t.Fatalf("case %s twice", c.Name)
		}
		names[c.Name] = true
		text, err := os.ReadFile(filepath.Join("testdata", "netbsd", c.Name+".txt"))
		if err != nil {
			t.Errorf("case %s: %v", c.Name, err)
			continue
		}
		e, err := Parse(c.Name, string(text))
		if err != nil {
			t.Error(err)
			continue
		}
		bad := []string{"the case did not finish"}
		t.Run(c.Name, func(t *testing.T) {
			bad = e.Mismatches(c.Run(t, strings.Fields(c.Args)))
			why, isKnown := known[c.Name]
			switch {
			case len(bad) > 0 && !isKnown:
				t.Errorf("%s: does not conform to NetBSD (%s):\n%s",
					c.Args, strings.TrimSpace(e.Source), strings.Join(bad, "\n"))
			case len(bad) == 0 && isKnown:
				t.Errorf("%s: now conforms (known difference was %q): remove it from knownDifferences", c.Args, why)
			case isKnown:
				t.Logf("known difference: %s", why)
			}
		})
		if len(bad) == 0 {
			conforming++
		} else {
			differing++
		}
	}
	for name := range known {
		if !names[name] {
			t.Errorf("knownDifferences names %s, which is no case", name)
		}
	}
	files, _ := filepath.Glob(filepath.Join("testdata", "netbsd", "*.txt"))
	sort.Strings(files)
	for _, f := range files {
		if n := strings.TrimSuffix(filepath.Base(f), ".txt"); !names[n] {
			t.Errorf("%s belongs to no case", f)
		}
	}
	t.Logf("%d cases, %d conform, %d known differences", len(cases), conforming, len(known))
}
