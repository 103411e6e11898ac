package rump

import (
	"fmt"
	"sort"
	"strings"
	"syscall"

	"github.com/rumpnet/rumpnet/pkg/api"
)

// A component is one of NetBSD's rump kernel libraries as rump_server -l
// names it. Each one turns on a part of the kernel.
type component struct {
	name   string
	cloner string // interface cloner it provides, "" for none
	inet   bool   // provides IPv4 (with ARP)
	inet6  bool   // provides IPv6 (with NDP)
	// implemented is false for components rumpnet accepts so that NetBSD
	// command lines keep working, but whose feature is not built yet; their
	// cloners are not offered.
	implemented bool
}

// componentTable is every component, in the order a kernel with all of
// them attaches their cloners. A new interface type is one line here (and
// its registerKind, kinds.go).
var componentTable = []component{
	{name: "rumpkern", implemented: true},
	{name: "rumpvfs", implemented: true},
	{name: "rumpdev", implemented: true},
	{name: "rumpnet", implemented: true},
	{name: "rumpnet_net", cloner: "lo", implemented: true},
	{name: "rumpnet_local", implemented: true},
	{name: "rumpnet_netinet", inet: true, implemented: true},
	{name: "rumpnet_netinet6", inet6: true, implemented: true},
	{name: "rumpnet_virtif", cloner: "virt", implemented: true},
	{name: "rumpnet_shmif", cloner: "shmif", implemented: true},
	{name: "rumpnet_bridge", cloner: "bridge", implemented: true},
	{name: "rumpnet_vlan", cloner: "vlan", implemented: true},
	{name: "rumpnet_tap", cloner: "tap", implemented: true},
	{name: "rumpnet_l2tp", cloner: "l2tp", implemented: true},
	// wg(4), and the crypto libraries NetBSD's wg needs beside it.
	{name: "rumpnet_wg", cloner: "wg", implemented: true},
	{name: "rumpkern_crypto", implemented: true},
	{name: "rumpkern_z", implemented: true},
	{name: "rumpdev_opencrypto", implemented: true},
	{name: "rumpnet_gif", cloner: "gif", implemented: true},
	{name: "rumpnet_gre", cloner: "gre", implemented: true}, // NetBSD's gre is no rump component
}

// componentSet is the set of components a kernel was booted with.
type componentSet map[string]component

// parseComponents resolves rump_server -l arguments. An empty list means every
// component. Names may be given as NetBSD does: "rumpnet_virtif",
// "librumpnet_virtif" or "librumpnet_virtif.so".
func parseComponents(names []string) (componentSet, error) {
	set := componentSet{}
	if len(names) == 0 {
		for _, c := range componentTable {
			set[c.name] = c
		}
		return set, nil
	}
	for _, n := range names {
		c, ok := lookupComponent(n)
		if !ok {
			return nil, api.Errorf(syscall.ENOENT, fmt.Sprintf("unknown component %q", n))
		}
		set[c.name] = c
	}
	// Every rump kernel has the networking base and lo0.
	for _, base := range []string{"rumpnet", "rumpnet_net"} {
		c, _ := lookupComponent(base)
		set[base] = c
	}
	return set, nil
}

func lookupComponent(n string) (component, bool) {
	n = strings.TrimPrefix(n, "lib")
	if i := strings.Index(n, ".so"); i >= 0 {
		n = n[:i]
	}
	for _, c := range componentTable {
		if c.name == n {
			return c, true
		}
	}
	return component{}, false
}

func (s componentSet) names() []string {
	var out []string
	for n := range s {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

func (s componentSet) inet() bool  { return s.any(func(c component) bool { return c.inet }) }
func (s componentSet) inet6() bool { return s.any(func(c component) bool { return c.inet6 }) }

func (s componentSet) any(f func(component) bool) bool {
	for _, c := range s {
		if f(c) {
			return true
		}
	}
	return false
}

// cloners lists the interface cloners available in NetBSD's order:
// the last attached first, as if_clone_attach puts each at the head of
// its list ("shmif lo"). componentTable is in attach order.
func (s componentSet) cloners() []string {
	var out []string
	for i := len(componentTable) - 1; i >= 0; i-- {
		c, ok := s[componentTable[i].name]
		if ok && c.cloner != "" && c.implemented {
			out = append(out, c.cloner)
		}
	}
	return out
}

func (s componentSet) hasCloner(name string) bool {
	for _, c := range s.cloners() {
		if c == name {
			return true
		}
	}
	return false
}
