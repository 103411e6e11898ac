package cli

// Completion. A shell asks a tool what may follow a half-typed command line
// with cobra's hidden request, "rifconfig __complete vi" (the scripts under
// completion/ make it; gencompletion writes them). Run answers it as
// cobra's root command would, through the tool's Spec, without linking
// cobra: Complete walks the words before the
// one being typed as getopt would, then asks the Spec for an option's
// argument or for an operand. Nothing here acts: the only thing a
// completion may do to a kernel is read its interfaces and sysctl names,
// within CompleteTimeout, and a kernel that cannot be asked is no kernel
// (no words, no message).

import (
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rumpnet/rumpnet/pkg/client"
)

//go:generate go run ./gencompletion ../../completion

// CompletedTools are the tools that answer "__complete".
var CompletedTools = []string{
	"rarp", "rbrconfig", "rhalt", "rifconfig", "rifmcstat", "rndp", "rnetstat",
	"rping", "rping6", "rroute", "rsysctl", "rtcpdump", "rtraceroute", "rtraceroute6", "rump_server",
	"rwg-keygen", "rwgconfig", "shmif_dumpbus", "shmif_pcapin",
}

// CompleteTimeout bounds what a completion waits for the kernel: a shell
// waits for it at every tab.
const CompleteTimeout = time.Second

// Kernel is what a completion may ask the kernel at RUMP_SERVER. Each
// method answers nothing rather than fail.
type Kernel interface {
	Interfaces() []string // the names of its interfaces
	Sysctl() []string     // the names of its sysctl variables
}

// Spec is how one tool's command line completes.
type Spec struct {
	// Optstring is the tool's getopt(3) option string.
	Optstring string
	// OptArg completes the argument of option opt; nil completes none.
	OptArg func(k Kernel, opt byte, word string) Reply
	// Operand completes an operand after the operands ops; nil completes
	// none.
	Operand func(k Kernel, ops []string, word string) Reply
	// LibXO says the tool takes "--libxo style" (internal/xo) before its
	// options: it is offered with them, and its style completes.
	LibXO bool
}

// libxoStyles are the --libxo arguments completion offers.
var libxoStyles = []string{"json", "json,pretty", "xml", "xml,pretty", "text"}

// Reply is a completion's answer.
type Reply struct {
	Words   []string // candidates; Complete keeps those beginning with the word
	Files   bool     // the shell completes file names too
	NoSpace bool     // no space after the word (a sysctl name's "net.")
}

// Words is a Reply of the words ws.
func Words(ws ...string) Reply { return Reply{Words: ws} }

// Complete returns what may take the place of word after args on the
// command line spec describes.
func Complete(spec *Spec, k Kernel, args []string, word string) Reply {
	i, ended := 0, false
	for i < len(args) {
		a := args[i]
		if a == "--" {
			i, ended = i+1, true
			break
		}
		if len(a) < 2 || a[0] != '-' {
			break
		}
		i++
		if spec.LibXO && a == "--libxo" {
			if i == len(args) {
				return finish(Words(libxoStyles...), word)
			}
			i++
			continue
		}
		if opt, ok := pendingArg(spec.Optstring, a); ok {
			if i == len(args) {
				return finish(call(spec.OptArg, k, opt, word), word)
			}
			i++
		}
	}
	ops := args[i:]
	if len(ops) == 0 && !ended && strings.HasPrefix(word, "-") {
		r := optionWords(spec.Optstring)
		if spec.LibXO && i == 0 {
			r.Words = append(r.Words, "--libxo")
		}
		return finish(r, word)
	}
	if spec.Operand == nil {
		return Reply{}
	}
	return finish(spec.Operand(k, ops, word), word)
}

// pendingArg reports whether the option word a ends in an option whose
// argument is the next word, and which.
func pendingArg(optstring, a string) (byte, bool) {
	for j := 1; j < len(a); j++ {
		k := strings.IndexByte(optstring, a[j])
		if a[j] == ':' || k < 0 {
			return 0, false
		}
		if k+1 < len(optstring) && optstring[k+1] == ':' {
			return a[j], j == len(a)-1
		}
	}
	return 0, false
}

func call(f func(Kernel, byte, string) Reply, k Kernel, opt byte, word string) Reply {
	if f == nil {
		return Reply{}
	}
	return f(k, opt, word)
}

func optionWords(optstring string) Reply {
	var r Reply
	for _, c := range optstring {
		if c != ':' {
			r.Words = append(r.Words, "-"+string(c))
		}
	}
	return r
}

// finish keeps the words that begin with word, each once, in order.
func finish(r Reply, word string) Reply {
	var ws []string
	for _, w := range r.Words {
		if strings.HasPrefix(w, word) && !slices.Contains(ws, w) {
			ws = append(ws, w)
		}
	}
	r.Words = ws
	return r
}

// SysctlWords completes a sysctl name one level at a time: "net.i" gives
// "net.inet." and "net.inet6.", and a whole name ends the word.
func SysctlWords(names []string, word string) Reply {
	r := Reply{}
	for _, n := range names {
		rest, ok := strings.CutPrefix(n, word)
		if !ok {
			continue
		}
		if i := strings.IndexByte(rest, '.'); i >= 0 {
			n = word + rest[:i+1]
			r.NoSpace = true
		}
		r.Words = append(r.Words, n)
	}
	return r
}

// InterfacesLike returns the names of k's interfaces that begin with one of
// the prefixes, or all of them for none.
func InterfacesLike(k Kernel, prefixes ...string) []string {
	var ws []string
	for _, n := range k.Interfaces() {
		if len(prefixes) == 0 || slices.ContainsFunc(prefixes, func(p string) bool { return strings.HasPrefix(n, p) }) {
			ws = append(ws, n)
		}
	}
	return ws
}

// KernelOf is the Kernel c talks to.
func KernelOf(c *client.Client) Kernel { return clientKernel{c} }

type clientKernel struct{ c *client.Client }

func (k clientKernel) Interfaces() []string {
	ifs, err := k.c.Interfaces()
	if err != nil {
		return nil
	}
	var names []string
	for _, ifp := range ifs {
		names = append(names, ifp.Name)
	}
	return names
}

func (k clientKernel) Sysctl() []string {
	nodes, err := k.c.List("")
	if err != nil {
		return nil
	}
	var names []string
	for _, n := range nodes {
		names = append(names, n.Name)
	}
	return names
}

// The directives of an answer, cobra's numbers, which the scripts read
// from its last line (":4").
const (
	directiveError      = 1
	directiveNoSpace    = 2
	directiveNoFileComp = 4
)

// directiveNames are the directives' names as cobra prints them to stderr,
// for a person trying a completion by hand.
var directiveNames = []string{"ShellCompDirectiveError", "ShellCompDirectiveNoSpace", "ShellCompDirectiveNoFileComp"}

// answer answers the completion request args ("__complete WORD...
// CURRENT") the way cobra does: a candidate a line, then ":directive", and
// on stderr "Completion ended with directive: ...". spec nil completes
// file names. It returns the exit status.
func (t *Tool) answer(spec *Spec, args []string) int {
	words := args[1:]
	if len(words) == 0 {
		t.Warnx("requires at least 1 arg(s), only received 0")
		return 1
	}
	var r Reply
	d := 0
	if spec != nil {
		k := KernelOf(&client.Client{Timeout: CompleteTimeout})
		r = Complete(spec, k, words[:len(words)-1], words[len(words)-1])
		if !r.Files {
			d |= directiveNoFileComp
		}
		if r.NoSpace {
			d |= directiveNoSpace
		}
	}
	var b strings.Builder
	for _, w := range r.Words {
		w, _, _ = strings.Cut(w, "\n")
		if args[0] == completeNoDesc {
			w, _, _ = strings.Cut(w, "\t")
		}
		b.WriteString(strings.TrimSpace(w) + "\n")
	}
	b.WriteString(":" + strconv.Itoa(d) + "\n")
	io.WriteString(t.Stdout, b.String())
	var names []string
	for i, n := range directiveNames {
		if d&(1<<i) != 0 {
			names = append(names, n)
		}
	}
	if len(names) == 0 {
		names = []string{"ShellCompDirectiveDefault"}
	}
	io.WriteString(t.Stderr, "Completion ended with directive: "+strings.Join(names, ", ")+"\n")
	return 0
}
