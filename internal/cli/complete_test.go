package cli

import (
	"slices"
	"strings"
	"testing"
)

// fakeKernel answers with fixed names.
type fakeKernel struct{ ifs, sysctl []string }

func (k fakeKernel) Interfaces() []string { return k.ifs }
func (k fakeKernel) Sysctl() []string     { return k.sysctl }

func TestComplete(t *testing.T) {
	spec := &Spec{
		Optstring: "ab:n",
		OptArg: func(k Kernel, opt byte, _ string) Reply {
			return Words("arg-of-" + string(opt))
		},
		Operand: func(k Kernel, ops []string, _ string) Reply {
			if len(ops) == 0 {
				return Words(k.Interfaces()...)
			}
			return Words("up", "-up", ops[0])
		},
	}
	k := fakeKernel{ifs: []string{"lo0", "virt0", "virt1", "shmif0"}}
	tests := []struct {
		line string // the words before the one typed, then the typed word after "|"
		want []string
	}{
		{"|", []string{"lo0", "virt0", "virt1", "shmif0"}},
		{"|vi", []string{"virt0", "virt1"}},
		{"|-", []string{"-a", "-b", "-n"}},
		{"|-n", []string{"-n"}},
		{"-a|vi", []string{"virt0", "virt1"}},
		{"-b|", []string{"arg-of-b"}},
		{"-ab|", []string{"arg-of-b"}},
		{"-bx|vi", []string{"virt0", "virt1"}},
		{"-b x|vi", []string{"virt0", "virt1"}},
		{"-n -b|a", []string{"arg-of-b"}},
		{"--|-", nil},
		{"--|v", []string{"virt0", "virt1"}},
		{"virt0|-", []string{"-up"}},
		{"virt0|", []string{"up", "-up", "virt0"}},
		{"virt0 up|u", []string{"up"}},
		{"-z|v", []string{"virt0", "virt1"}},
	}
	for _, tt := range tests {
		before, word, _ := strings.Cut(tt.line, "|")
		got := Complete(spec, k, strings.Fields(before), word)
		if !slices.Equal(got.Words, tt.want) {
			t.Errorf("complete %q: got %q, want %q", tt.line, got.Words, tt.want)
		}
	}
}

func TestCompleteLibXO(t *testing.T) {
	spec := &Spec{Optstring: "al", LibXO: true, Operand: func(k Kernel, ops []string, _ string) Reply {
		return Words(append([]string{"op"}, ops...)...)
	}}
	tests := []struct {
		line string
		want []string
	}{
		{"|-", []string{"-a", "-l", "--libxo"}},
		{"|--", []string{"--libxo"}},
		{"--libxo|", []string{"json", "json,pretty", "xml", "xml,pretty", "text"}},
		{"--libxo|j", []string{"json", "json,pretty"}},
		{"--libxo json|", []string{"op"}},
		{"--libxo json -a|", []string{"op"}},
		{"--libxo json|-", []string{"-a", "-l"}},
		{"-a|-", []string{"-a", "-l"}},
		{"x|", []string{"op", "x"}},
	}
	k := fakeKernel{}
	for _, tt := range tests {
		before, word, _ := strings.Cut(tt.line, "|")
		got := Complete(spec, k, strings.Fields(before), word)
		if !slices.Equal(got.Words, tt.want) {
			t.Errorf("complete %q: got %q, want %q", tt.line, got.Words, tt.want)
		}
	}
}

func TestSysctlWords(t *testing.T) {
	names := []string{"kern.hostname", "net.inet.ip.ttl", "net.inet.ip.forwarding", "net.inet6.ip6.hlim", "net.link.lo0.mtu"}
	tests := []struct {
		word    string
		want    []string
		noSpace bool
	}{
		{"", []string{"kern.", "net."}, true},
		{"net.i", []string{"net.inet.", "net.inet6."}, true},
		{"net.inet.ip.", []string{"net.inet.ip.ttl", "net.inet.ip.forwarding"}, false},
		{"net.inet.ip.t", []string{"net.inet.ip.ttl"}, false},
		{"nosuch", nil, false},
	}
	for _, tt := range tests {
		got := finish(SysctlWords(names, tt.word), tt.word)
		if !slices.Equal(got.Words, tt.want) || got.NoSpace != tt.noSpace {
			t.Errorf("sysctl %q: got %q nospace %v, want %q nospace %v", tt.word, got.Words, got.NoSpace, tt.want, tt.noSpace)
		}
	}
}
