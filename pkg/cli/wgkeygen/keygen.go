// Package wgkeygen is rwg-keygen(8), NetBSD's wg-keygen: it makes
// WireGuard keys. It prints a new private key, the public key of the
// private key on its standard input (--pub), or a new preshared key
// (--psk), each in base64 on a line of its own.
//
// It must not talk to a kernel, and must not write a key anywhere but its
// standard output.
package wgkeygen

import (
	"bufio"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"os"

	"github.com/rumpnet/rumpnet/internal/cli"
	"github.com/rumpnet/rumpnet/pkg/cli/wgconfig"
	"golang.org/x/crypto/curve25519"
)

const usage = "Usage:\n" +
	"\trwg-keygen       : Generate a private key\n" +
	"\trwg-keygen --pub : Generate a public key from a private key via stdin\n" +
	"\trwg-keygen --psk : Generate a pre-shared key\n"

// Stdin is where --pub reads the private key; tests replace it.
var Stdin io.Reader = os.Stdin

// Run is rwg-keygen's main.
func Run(args []string, stdout, stderr io.Writer) int {
	t := &cli.Tool{Name: "rwg-keygen", Stdout: stdout, Stderr: stderr, Usage: usage,
		Complete: &cli.Spec{Operand: func(_ cli.Kernel, ops []string, _ string) cli.Reply {
			if len(ops) == 0 {
				return cli.Words("--pub", "--psk")
			}
			return cli.Reply{}
		}}}
	return t.Run(args, func(args []string) int { return run(t, args) })
}

func run(t *cli.Tool, args []string) int {
	var key []byte
	var err error
	switch {
	case len(args) == 0:
		key = PrivateKey()
	case len(args) == 1 && args[0] == "--psk":
		key = make([]byte, 32)
		rand.Read(key)
	case len(args) == 1 && args[0] == "--pub":
		key, err = PublicKeyOf(Stdin)
	default:
		fmt.Fprint(t.Stderr, usage)
		return 1
	}
	if err != nil {
		return t.Report(err)
	}
	fmt.Fprintln(t.Stdout, base64.StdEncoding.EncodeToString(key))
	return 0
}

// PrivateKey returns a new Curve25519 private key, clamped as WireGuard's
// own tools clamp it.
func PrivateKey() []byte {
	k := make([]byte, 32)
	rand.Read(k)
	k[0] &= 248
	k[31] = k[31]&127 | 64
	return k
}

// PublicKeyOf reads a base64 private key from the first line of r (as
// wg-keygen's fgets: at most 44 characters) and returns its public key.
func PublicKeyOf(r io.Reader) ([]byte, error) {
	line, err := bufio.NewReader(r).ReadString('\n')
	if line == "" && err != nil {
		return nil, cli.Refuse("fgets: no private key on standard input")
	}
	if len(line) > wgconfig.KeyB64Len {
		line = line[:wgconfig.KeyB64Len]
	}
	if len(line) != wgconfig.KeyB64Len {
		return nil, cli.Refuse("Invalid length of a private key")
	}
	priv, err := wgconfig.DecodeKey(line)
	if err != nil {
		return nil, err
	}
	return curve25519.X25519(priv, curve25519.Basepoint)
}
