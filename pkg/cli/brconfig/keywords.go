package brconfig

// The command table: every word rbrconfig knows after a bridge's name, how
// many arguments it takes, and the step it records. Values are checked
// here, with brconfig's limits and messages, before anything is sent.

import "github.com/rumpnet/rumpnet/pkg/api"

// command is one entry of the table.
type command struct {
	name  string
	nargs int
	// more: names after the argument that are not commands are further
	// arguments, one step each ("add tap0 em0").
	more  bool
	apply func(r *request, name string, args []string) error
}

// valueRange is what a command's number may be: the width of the field
// NetBSD's brconfig sends it in, and for the spanning tree times at least
// one second (NetBSD's kernel refuses 0 with EINVAL; rbrconfig refuses it
// before anything is sent).
type valueRange struct{ min, max uint64 }

var (
	range8    = valueRange{0, 0xff}
	range16   = valueRange{0, 0xffff}
	range32   = valueRange{0, 0xffffffff}
	rangeTime = valueRange{1, 0xff}
)

var commands = []command{
	{"add", 1, true, memberCommand(api.BridgeAdd)},
	{"delete", 1, true, memberCommand(api.BridgeDelete)},
	{"up", 0, false, upCommand(true)},
	{"down", 0, false, upCommand(false)},
	{"discover", 1, false, flagCommand(api.IFBIF_DISCOVER, true)},
	{"-discover", 1, false, flagCommand(api.IFBIF_DISCOVER, false)},
	{"learn", 1, false, flagCommand(api.IFBIF_LEARNING, true)},
	{"-learn", 1, false, flagCommand(api.IFBIF_LEARNING, false)},
	{"protect", 1, false, flagCommand(api.IFBIF_PROTECTED, true)},
	{"-protect", 1, false, flagCommand(api.IFBIF_PROTECTED, false)},
	{"stp", 1, false, flagCommand(api.IFBIF_STP, true)},
	{"-stp", 1, false, flagCommand(api.IFBIF_STP, false)},
	{"flush", 0, false, plainCommand(api.BridgeFlush)},
	{"flushall", 0, false, plainCommand(api.BridgeFlushAll)},
	{"static", 2, false, staticCommand},
	{"deladdr", 1, false, delAddrCommand},
	{"addr", 0, false, func(r *request, _ string, _ []string) error {
		r.steps = append(r.steps, step{showCache: true})
		return nil
	}},
	{"maxaddr", 1, false, valueCommand(api.BridgeMaxAddr, range32)},
	{"timeout", 1, false, valueCommand(api.BridgeTimeout, range32)},
	{"hellotime", 1, false, valueCommand(api.BridgeHelloTime, rangeTime)},
	{"fwddelay", 1, false, valueCommand(api.BridgeFwdDelay, rangeTime)},
	{"maxage", 1, false, valueCommand(api.BridgeMaxAge, rangeTime)},
	{"priority", 1, false, valueCommand(api.BridgePriority, range16)},
	{"ifpriority", 2, false, memberValueCommand(api.BridgeIfPriority, range8)},
	{"ifpathcost", 2, false, memberValueCommand(api.BridgeIfPathCost, range8)},
	{"ipf", 0, false, ipfCommand(true)},
	{"-ipf", 0, false, ipfCommand(false)},
}

func lookupCommand(w string) (command, bool) {
	for _, c := range commands {
		if c.name == w {
			return c, true
		}
	}
	return command{}, false
}

func isCommand(w string) bool {
	_, ok := lookupCommand(w)
	return ok
}

// memberCommand is add or delete of one member.
func memberCommand(op string) func(*request, string, []string) error {
	return func(r *request, name string, args []string) error {
		r.steps = append(r.steps, step{label: name + " " + args[0], req: api.BridgeRequest{Op: op, Member: args[0]}})
		return nil
	}
}

// upCommand records up or down; the last one wins and is applied at the
// end.
func upCommand(up bool) func(*request, string, []string) error {
	return func(r *request, _ string, _ []string) error {
		r.setUp, r.up = true, up
		return nil
	}
}

// flagCommand sets or clears one IFBIF_* flag of a member.
func flagCommand(bit int, on bool) func(*request, string, []string) error {
	return func(r *request, _ string, args []string) error {
		r.steps = append(r.steps, step{req: api.BridgeRequest{Op: api.BridgeMemberFlag, Member: args[0], Value: bit, On: on}})
		return nil
	}
}

// plainCommand is a change without arguments.
func plainCommand(op string) func(*request, string, []string) error {
	return func(r *request, name string, _ []string) error {
		r.steps = append(r.steps, step{label: name, req: api.BridgeRequest{Op: op}})
		return nil
	}
}

// valueCommand sets a bridge-wide number in vr.
func valueCommand(op string, vr valueRange) func(*request, string, []string) error {
	return func(r *request, name string, args []string) error {
		n, err := parseValue(name, args[0], vr.min, vr.max)
		if err != nil {
			return err
		}
		r.steps = append(r.steps, step{label: name + " " + args[0], req: api.BridgeRequest{Op: op, Value: n}})
		return nil
	}
}

// memberValueCommand sets a member's number in vr.
func memberValueCommand(op string, vr valueRange) func(*request, string, []string) error {
	return func(r *request, name string, args []string) error {
		n, err := parseValue(name, args[1], vr.min, vr.max)
		if err != nil {
			return err
		}
		r.steps = append(r.steps, step{label: name + " " + args[0], req: api.BridgeRequest{Op: op, Member: args[0], Value: n}})
		return nil
	}
}

func staticCommand(r *request, name string, args []string) error {
	mac, err := parseMAC(name, args[1])
	if err != nil {
		return err
	}
	r.steps = append(r.steps, step{
		label: name + " " + args[0] + " " + args[1],
		req:   api.BridgeRequest{Op: api.BridgeStatic, Member: args[0], MAC: mac},
	})
	return nil
}

func delAddrCommand(r *request, name string, args []string) error {
	mac, err := parseMAC(name, args[0])
	if err != nil {
		return err
	}
	r.steps = append(r.steps, step{label: name + " " + args[0], req: api.BridgeRequest{Op: api.BridgeDelAddr, MAC: mac}})
	return nil
}

func ipfCommand(on bool) func(*request, string, []string) error {
	return func(r *request, name string, _ []string) error {
		r.steps = append(r.steps, step{label: name, req: api.BridgeRequest{Op: api.BridgeIPF, On: on}})
		return nil
	}
}
