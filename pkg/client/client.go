// Package client is the typed Go client of rump_server's control interface.
//
// A zero Client is ready to use: it finds the server through the RUMP_SERVER
// environment variable on first use. Every method returns errors that unwrap
// to a syscall.Errno, so callers print them the err(3) way and branch with
// errors.Is. It must not format output for people; the CLIs do that.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"sync"
	"syscall"

	"github.com/rumpnet/rumpnet/pkg/api"
)

// EnvServer is the environment variable that names the server.
const EnvServer = "RUMP_SERVER"

// Client talks to one rump_server.
type Client struct {
	// URL is the server, "unix://path"; empty means $RUMP_SERVER.
	URL string

	once sync.Once
	http *http.Client
	err  error

	smu   sync.Mutex
	socks *Sockets // the session Dial, Listen and ListenPacket share (dial.go)
}

// InitError is returned when the client cannot reach its server at all (no
// URL, bad URL, nothing listening): NetBSD's "rump client init" failure.
type InitError struct {
	Err error
}

func (e *InitError) Error() string { return "rump client init: " + e.Err.Error() }

// Unwrap returns the cause, which unwraps to an errno.
func (e *InitError) Unwrap() error { return e.Err }

func (c *Client) init() error {
	c.once.Do(func() {
		u := c.URL
		if u == "" {
			u = os.Getenv(EnvServer)
		}
		if u == "" {
			c.err = &InitError{api.Errorf(syscall.ENOENT, EnvServer+" not set")}
			return
		}
		path, err := api.SocketPath(u)
		if err != nil {
			c.err = &InitError{err}
			return
		}
		c.http = &http.Client{Transport: &http.Transport{
			DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
				var d net.Dialer
				return d.DialContext(ctx, "unix", path)
			},
			DisableCompression: true,
		}}
	})
	return c.err
}

func (c *Client) do(method, path string, in, out any) error {
	if err := c.init(); err != nil {
		return err
	}
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return api.Errorf(syscall.EINVAL, err.Error())
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, "http://rump"+path, body)
	if err != nil {
		return api.Errorf(syscall.EINVAL, err.Error())
	}
	resp, err := c.http.Do(req)
	if err != nil {
		var errno syscall.Errno
		if !errors.As(err, &errno) {
			errno = syscall.EIO
		}
		return &InitError{api.Errorf(errno, err.Error())}
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return api.Errorf(syscall.EIO, "read reply: "+err.Error())
	}
	if resp.StatusCode != http.StatusOK {
		var er api.ErrorReply
		if json.Unmarshal(data, &er) != nil {
			return api.Errorf(syscall.EPROTO, fmt.Sprintf("server answered %s", resp.Status))
		}
		e, ok := api.ErrnoByName(er.Errno)
		if !ok {
			e = syscall.Errno(er.Code)
		}
		return api.Errorf(e, er.Detail)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			return api.Errorf(syscall.EPROTO, "decode reply: "+err.Error())
		}
	}
	return nil
}

func nodePath(verb, name string) string {
	return api.PathPrefix + verb + "/" + url.PathEscape(name)
}

// Info returns the server's version, pid and components.
func (c *Client) Info() (api.ServerInfo, error) {
	var info api.ServerInfo
	err := c.do("GET", api.PathPrefix, nil, &info)
	return info, err
}

// Get reads one node.
func (c *Client) Get(name string) (api.Node, error) {
	var n api.Node
	err := c.do("GET", nodePath("node", name), nil, &n)
	return n, err
}

// Set writes one node and returns its old and new values.
func (c *Client) Set(name string, value any) (api.SetReply, error) {
	var r api.SetReply
	err := c.do("PUT", nodePath("node", name), value, &r)
	return r, err
}

// List returns every leaf under prefix ("" for the whole tree).
func (c *Client) List(prefix string) ([]api.Node, error) {
	var nodes []api.Node
	path := api.PathPrefix + "list"
	if prefix != "" {
		path = nodePath("list", prefix)
	}
	err := c.do("GET", path, nil, &nodes)
	return nodes, err
}

// Create runs the create verb on a node; body may be nil.
func (c *Client) Create(name string, body any) error {
	return c.do("POST", nodePath("create", name), body, nil)
}

// Destroy runs the destroy verb on a node; body may be nil.
func (c *Client) Destroy(name string, body any) error {
	return c.do("POST", nodePath("destroy", name), body, nil)
}

// Halt asks the server to shut down.
func (c *Client) Halt() error {
	return c.do("POST", api.PathPrefix+"halt", nil, nil)
}
