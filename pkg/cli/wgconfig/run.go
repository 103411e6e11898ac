// Package wgconfig is rwgconfig(8), NetBSD's wgconfig against a rump
// kernel: it shows and changes the keys, listen port and peers of a wg(4)
// interface, with wgconfig's commands, output and messages.
//
// It must not print a private or preshared key unless asked for it by
// name (show private-key, show peer NAME --show-preshared-key), and must
// send nothing to the kernel before the whole command line has parsed.
package wgconfig

import (
	"fmt"
	"io"
	"strings"

	"github.com/rumpnet/rumpnet/internal/cli"
	"github.com/rumpnet/rumpnet/pkg/api"
	"github.com/rumpnet/rumpnet/pkg/client"
)

// usageFor is wgconfig's usage text for the program called prog.
func usageFor(prog string) string {
	var b strings.Builder
	b.WriteString("Usage:\n")
	for _, l := range []string{
		"[show all]",
		"show peer <peer name> [--show-preshared-key]",
		"show private-key",
		"set private-key <file path>",
		"set listen-port <port>",
		"add peer <peer name> <base64 public key>\n" +
			"\t                     [--preshared-key=<file path>] [--endpoint=<ip>:<port>]\n" +
			"\t                     [--allowed-ips=<ip1>/<cidr1>[,<ip2>/<cidr2>]...]",
		"delete peer <peer name>",
	} {
		fmt.Fprintf(&b, "\t%s <interface> %s\n", prog, l)
	}
	return b.String()
}

var usage = usageFor("rwgconfig")

// command is one line of wgconfig's command table.
type command struct {
	verb, target string
	run          func(c *client.Client, t *cli.Tool, ifname string, args []string) error
}

var commands = []command{
	{"show", "all", showAll},
	{"show", "peer", showPeer},
	{"show", "private-key", showPrivateKey},
	{"set", "private-key", setPrivateKey},
	{"set", "listen-port", setListenPort},
	{"add", "peer", addPeer},
	{"delete", "peer", deletePeer},
}

// Run is rwgconfig's main.
func Run(args []string, stdout, stderr io.Writer) int {
	t := &cli.Tool{Name: "rwgconfig", Stdout: stdout, Stderr: stderr, Usage: usage, Complete: &completion}
	return t.Run(args, func(args []string) int { return run(t, args) })
}

// errNotFound is show peer's silent failure: no such peer, exit 1.
type errNotFound struct{}

func (errNotFound) Error() string { return "" }

func run(t *cli.Tool, args []string) int {
	cmd, err := lookup(args)
	if err != nil {
		t.ReportParse(err, usage)
		return 1
	}
	url := t.Server()
	if url == "" {
		return 1
	}
	c := &client.Client{URL: url}
	rest := []string{}
	if len(args) > 3 {
		rest = args[3:]
	}
	switch err := cmd.run(c, t, args[0], rest); err.(type) {
	case nil:
		return 0
	case errNotFound:
		return 1
	case *cli.UsageError:
		t.ReportParse(err, usage)
		return 1
	default:
		return t.Report(err)
	}
}

// lookup finds the command of a command line, as wgconfig matches it: each
// word need only begin with the table's.
func lookup(args []string) (command, error) {
	if len(args) < 1 || strings.HasPrefix(args[0], "-") { // -h, -?, --help, and no interface is named "-"
		return command{}, &cli.UsageError{}
	}
	if len(args[0]) > ifNameMax {
		return command{}, cli.Refuse("interface name too long")
	}
	if len(args) == 1 {
		return commands[0], nil
	}
	if len(args) < 3 {
		return command{}, &cli.UsageError{}
	}
	for _, c := range commands {
		if strings.HasPrefix(args[1], c.verb) && strings.HasPrefix(args[2], c.target) {
			return c, nil
		}
	}
	return command{}, &cli.UsageError{}
}

func getFailed(err error) error { return cli.Fail("ioctl(SIOCGDRVSPEC)", err) }

func set(c *client.Client, ifname string, req api.WgRequest) error {
	if err := c.Wg(ifname, req); err != nil {
		return cli.Fail(fmt.Sprintf("ioctl(SIOCSDRVSPEC): cmd=%d", api.WgCmd(req.Op)), err)
	}
	return nil
}

func showAll(c *client.Client, t *cli.Tool, ifname string, _ []string) error {
	st, err := c.WgStatus(ifname)
	if err != nil {
		return getFailed(err)
	}
	io.WriteString(t.Stdout, FormatAll(ifname, st))
	return nil
}

func showPeer(c *client.Client, t *cli.Tool, ifname string, args []string) error {
	if len(args) != 1 && len(args) != 2 {
		return &cli.UsageError{}
	}
	secrets := len(args) == 2
	if secrets && !strings.HasPrefix(args[1], "--show-preshared-key") {
		return &cli.UsageError{}
	}
	get := c.WgStatus
	if secrets {
		get = c.WgSecrets
	}
	st, err := get(ifname)
	if err != nil {
		return getFailed(err)
	}
	for _, p := range st.Peers {
		if p.Name == args[0] {
			io.WriteString(t.Stdout, "peer: "+p.Name+"\n"+FormatPeer(p, "\t", secrets))
			return nil
		}
	}
	return errNotFound{}
}

func showPrivateKey(c *client.Client, t *cli.Tool, ifname string, _ []string) error {
	st, err := c.WgSecrets(ifname)
	if err != nil {
		return getFailed(err)
	}
	fmt.Fprintf(t.Stdout, "private-key: %s\n", formatKey(st.PrivateKey))
	return nil
}

func setPrivateKey(c *client.Client, _ *cli.Tool, ifname string, args []string) error {
	if len(args) != 1 {
		return &cli.UsageError{}
	}
	key, err := readKey(args[0])
	if err != nil {
		return err
	}
	return set(c, ifname, api.WgRequest{Op: api.WgSetPrivateKey, PrivateKey: key})
}

func setListenPort(c *client.Client, _ *cli.Tool, ifname string, args []string) error {
	if len(args) != 1 {
		return &cli.UsageError{}
	}
	port, err := parseUint16(args[0])
	if err != nil {
		return err
	}
	if port == 0 {
		return cli.Refuse("port 0 is not allowed")
	}
	return set(c, ifname, api.WgRequest{Op: api.WgSetListenPort, ListenPort: port})
}

func addPeer(c *client.Client, _ *cli.Tool, ifname string, args []string) error {
	p, err := parseAddPeer(args)
	if err != nil {
		return err
	}
	return set(c, ifname, api.WgRequest{Op: api.WgAddPeer, Peer: p})
}

func deletePeer(c *client.Client, _ *cli.Tool, ifname string, args []string) error {
	if len(args) != 1 {
		return &cli.UsageError{}
	}
	if len(args[0]) > api.WgPeerNameMax {
		return cli.Refuse("peer name too long")
	}
	return set(c, ifname, api.WgRequest{Op: api.WgDeletePeer, Name: args[0]})
}
