package brconfig

// Output in NetBSD's format: flags in hex without 0x and always followed
// by their names in <...>, TAB indents, members and cache entries in the
// order the backend gives them (newest first).

import (
	"fmt"
	"io"
	"strings"

	"github.com/rumpnet/rumpnet/pkg/api"
)

// memberFlagNames name the IFBIF_* bits, bit 0 first.
var memberFlagNames = []string{"LEARNING", "DISCOVER", "STP", "PROTECTED"}

// cacheFlagNames name the IFBAF_* bits, bit 0 first.
var cacheFlagNames = []string{"STATIC"}

// ipfUseIPF is the ipfilter flag word's bit for "enabled"
// (NetBSD's IFBF_FILT_USEIPF).
const ipfUseIPF = 0x1

// flagsString prints v as brconfig does: "41<UP,RUNNING>", "0<>". Bits
// without a name are counted in the number but not named.
func flagsString(v int, names []string) string {
	var set []string
	for i, n := range names {
		if v&(1<<i) != 0 {
			set = append(set, n)
		}
	}
	return fmt.Sprintf("%x<%s>", v, strings.Join(set, ","))
}

// writeStatus prints one bridge.
func writeStatus(w io.Writer, st api.BridgeStatus) {
	fmt.Fprintf(w, "%s: flags=%s\n", st.Name, flagsString(st.Flags, api.IfFlagNames))
	fmt.Fprintf(w, "\tConfiguration:\n")
	fmt.Fprintf(w, "\t\tpriority %d hellotime %d fwddelay %d maxage %d\n",
		st.Priority, st.HelloTime, st.FwdDelay, st.MaxAge)
	ipf, state := 0, "disabled"
	if st.IPFilter {
		ipf, state = ipfUseIPF, "enabled"
	}
	fmt.Fprintf(w, "\t\tipfilter %s flags 0x%x\n", state, ipf)
	fmt.Fprintf(w, "\tInterfaces:\n")
	for _, m := range st.Members {
		fmt.Fprintf(w, "\t\t%s flags=%s\n", m.Name, flagsString(m.Flags, memberFlagNames))
		fmt.Fprintf(w, "\t\t\tport %d priority %d", m.Port, m.Priority)
		if m.Flags&api.IFBIF_STP != 0 {
			fmt.Fprintf(w, " path cost %d", m.PathCost)
			if m.State != "" {
				fmt.Fprintf(w, " %s", m.State)
			}
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "\tAddress cache (max cache: %d, timeout: %d):\n", st.MaxAddr, st.Timeout)
	writeCache(w, st.Cache, "\t\t")
}

// writeCache prints address cache entries, each line after prefix.
func writeCache(w io.Writer, cache []api.BridgeAddr, prefix string) {
	for _, a := range cache {
		fmt.Fprintf(w, "%s%s %s %d flags=%s\n", prefix, macString(a.MAC), a.Member, a.Expire,
			flagsString(a.Flags, cacheFlagNames))
	}
}

// macString prints a MAC lower case and zero padded, whatever the backend
// sent; something that is not a MAC is printed as it is.
func macString(s string) string {
	if mac, ok := normalMAC(s); ok {
		return mac
	}
	return s
}
