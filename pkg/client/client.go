// Package client is the typed Go client of rump_server's control interface.
//
// A zero Client is ready to use: it finds the server through the RUMP_SERVER
// environment variable on first use. Every method returns errors that unwrap
// to a syscall.Errno, so callers print them the err(3) way and branch with
// errors.Is. It must not format output for people; the CLIs do that.
package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/rumpnet/rumpnet/pkg/api"
)

// EnvServer is the environment variable that names the server.
const EnvServer = "RUMP_SERVER"

// DefaultTimeout is how long a request waits for its whole reply when
// Client.Timeout is zero.
const DefaultTimeout = 30 * time.Second

// Client talks to one rump_server.
type Client struct {
	// URL is the server, "unix://path"; empty means $RUMP_SERVER.
	URL string
	// Timeout bounds each request, from connecting to the end of its
	// reply; for a stream (Ping) it bounds the wait for the stream to
	// start, and the stream itself runs as long as its context allows.
	// Zero means DefaultTimeout, a negative value no bound.
	Timeout time.Duration

	once sync.Once
	url  string // URL, or $RUMP_SERVER
	path string // of the control socket
	err  error

	smu   sync.Mutex
	socks *Sockets // the session Dial, Listen and ListenPacket share (dial.go)
}

// timeout is the bound of one request, 0 for none.
func (c *Client) timeout() time.Duration {
	switch {
	case c.Timeout == 0:
		return DefaultTimeout
	case c.Timeout < 0:
		return 0
	}
	return c.Timeout
}

// errNoReply is the cause of a request's context ending at its timeout.
var errNoReply = errors.New("no reply in time")

// noReply is the error of a request that timed out: it names the server, as
// a person with several kernels needs to know which one does not answer.
func (c *Client) noReply() error {
	return api.Explainf(syscall.ETIMEDOUT, "%s: no reply within %v", c.url, c.timeout())
}

// transportError turns a failure to exchange a request into an error: the
// timeout's, or an *InitError with the errno of the cause (initerr.go).
func (c *Client) transportError(ctx context.Context, err error) error {
	if context.Cause(ctx) == errNoReply || errors.Is(err, errNoReply) {
		return c.noReply()
	}
	var df *dialFailure
	if errors.As(err, &df) {
		return dialError(c.url, c.path, df.err)
	}
	var errno syscall.Errno
	if !errors.As(err, &errno) {
		errno = syscall.EIO
	}
	return &InitError{URL: c.url, Err: api.Errorf(errno, err.Error())}
}

func (c *Client) init() error {
	c.once.Do(func() {
		u := c.URL
		if u == "" {
			u = os.Getenv(EnvServer)
		}
		if u == "" {
			c.err = errNotSet()
			return
		}
		c.url = u
		path, err := api.SocketPath(u)
		if err != nil {
			c.err = urlError(u, err)
			return
		}
		c.path = path
	})
	return c.err
}

func (c *Client) do(method, path string, in, out any) error {
	if err := c.init(); err != nil {
		return err
	}
	var body []byte
	if raw, ok := in.(rawBody); ok {
		body = raw
	} else if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return api.Errorf(syscall.EINVAL, err.Error())
		}
		body = b
	}
	var deadline time.Time
	if d := c.timeout(); d > 0 {
		deadline = time.Now().Add(d)
	}
	resp, err := exchange(c.path, method, path, body, deadline)
	if err != nil {
		return c.transportError(context.Background(), err)
	}
	defer resp.body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.body, 64<<20))
	if err != nil {
		if errors.Is(err, errNoReply) {
			return c.noReply()
		}
		return api.Errorf(syscall.EIO, "read reply: "+err.Error())
	}
	if resp.code != 200 {
		var er api.ErrorReply
		if json.Unmarshal(data, &er) != nil {
			return api.Errorf(syscall.EPROTO, fmt.Sprintf("server answered %s", resp.status))
		}
		e, ok := api.ErrnoByName(er.Errno)
		if !ok {
			e = syscall.Errno(er.Code)
		}
		if er.Explained {
			return api.Explainf(e, "%s", er.Detail)
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

// Set writes one node and returns its old and new values. A string value
// that is not UTF-8 is sent as {"b64": ...} (api.StringValue), so its bytes
// arrive as they are; old and new values come in that form too.
func (c *Client) Set(name string, value any) (api.SetReply, error) {
	if s, ok := value.(string); ok {
		value = api.StringValue(s)
	}
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
