package ifconfig

// vlan(4)'s parameters, as NetBSD's ifconfig has them: "vlan n vlanif
// parent" configures a vlan, "-vlanif" takes it off its parent, and
// showing a configured vlan prints "vlan: n parent: parent".

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"syscall"

	"github.com/rumpnet/rumpnet/internal/cli"
	"github.com/rumpnet/rumpnet/pkg/api"
)

// VlanBackend is a Backend that configures vlan interfaces (a rump
// kernel's client); others cannot.
type VlanBackend interface {
	// SetVlan configures name with 802.1Q identifier tag on parent, or
	// unconfigures it if parent is "" (SIOCSETVLAN).
	SetVlan(name string, tag int, parent string) error
}

func init() {
	keywords = append(keywords,
		keyword{"vlan", 1, func(r *request, args []string) error {
			// NetBSD's parser takes 0..65535; the kernel refuses what it
			// cannot configure.
			n, err := strconv.ParseUint(args[0], 10, 16)
			if err != nil {
				return cli.Usagef("%s: bad VLAN tag", args[0])
			}
			r.actions = append(r.actions, action{what: "vlan", n: int(n)})
			return nil
		}},
		keyword{"vlanif", 1, func(r *request, args []string) error {
			last := len(r.actions) - 1
			if last < 0 || r.actions[last].what != "vlan" || r.actions[last].s != "" {
				return cli.Usagef("vlanif: needs vlan n before it")
			}
			r.actions[last].s = args[0]
			return nil
		}},
		keyword{"-vlanif", 0, func(r *request, _ []string) error {
			r.actions = append(r.actions, action{what: "-vlanif"})
			return nil
		}},
	)
}

// skipVlanifOperand reports whether word, after -vlanif, is the parent
// NetBSD's ifconfig lets follow it (and ignores).
func skipVlanifOperand(kw string, words []string) bool {
	if kw != "-vlanif" || len(words) == 0 {
		return false
	}
	_, isKeyword := lookupKeyword(words[0])
	return !isKeyword
}

// isVlanName is NetBSD's check: vlan and a digit.
func isVlanName(name string) bool {
	return strings.HasPrefix(name, "vlan") && len(name) > 4 && name[4] >= '0' && name[4] <= '9'
}

// setVlan carries out a vlan action. As NetBSD's ifconfig, "vlan n" first
// sets the tag on the vlan's current parent, so on a configured vlan any
// "vlan n [vlanif p]" fails as a reconfiguration does (EBUSY), whatever p
// names, even an interface that does not exist.
func setVlan(b Backend, ifc api.Interface, a action) error {
	if !isVlanName(ifc.Name) {
		return cli.Refuse("valid only with vlan(4) interfaces")
	}
	vb, ok := b.(VlanBackend)
	if !ok {
		return cli.Fail("SIOCSETVLAN", api.Errorf(syscall.EOPNOTSUPP, "no vlan interfaces here"))
	}
	tag, parent := a.n, a.s
	switch {
	case a.what == "-vlanif":
		tag, parent = 0, ""
	case ifc.Vlan != nil && ifc.Vlan.Parent != "":
		parent = ifc.Vlan.Parent
	}
	if err := vb.SetVlan(ifc.Name, tag, parent); err != nil {
		return cli.Fail("SIOCSETVLAN", err)
	}
	return nil
}

// writeVlan prints a vlan's configuration line, as NetBSD's vlan_status.
func writeVlan(w io.Writer, v *api.Vlan) {
	if v == nil || v.Tag == 0 && v.Parent == "" {
		return
	}
	parent := v.Parent
	if parent == "" {
		parent = "<none>"
	}
	fmt.Fprintf(w, "\tvlan: %d parent: %s\n", v.Tag, parent)
}
