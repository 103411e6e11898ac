package cli

import (
	"strings"
	"testing"
)

// FuzzComplete feeds Complete arbitrary command lines: it must not panic,
// and every word it returns begins with the typed one.
func FuzzComplete(f *testing.F) {
	f.Add("-ab x", "vi")
	f.Add("-- -b", "-")
	f.Add("virt0 up", "")
	f.Add("-b", "net.i")
	spec := &Spec{
		Optstring: "ab:n:",
		OptArg:    func(k Kernel, _ byte, w string) Reply { return SysctlWords(k.Sysctl(), w) },
		Operand:   func(k Kernel, _ []string, _ string) Reply { return Words(k.Interfaces()...) },
	}
	k := fakeKernel{ifs: []string{"lo0", "virt0"}, sysctl: []string{"net.inet.ip.ttl", "kern.hostname"}}
	f.Fuzz(func(t *testing.T, line, word string) {
		r := Complete(spec, k, strings.Fields(line), word)
		for _, w := range r.Words {
			if !strings.HasPrefix(w, word) {
				t.Errorf("complete %q %q: got %q, want words beginning with %q", line, word, w, word)
			}
		}
	})
}
