package client

// The WireGuard resource: one wg interface's configuration and changes to
// it, as rwgconfig asks them.

import "github.com/rumpnet/rumpnet/pkg/api"

// WgStatus returns a wg interface's listen port and peers, without keys
// that are secret (GET /v1/wg/NAME). ENXIO for no such interface, EINVAL
// for one that is not wg.
func (c *Client) WgStatus(name string) (api.WgStatus, error) {
	var st api.WgStatus
	err := c.do("GET", nodePath("wg", name), nil, &st)
	return st, err
}

// WgSecrets returns the status with the private key and the preshared
// keys (GET /v1/wgsecrets/NAME); only root and the server's owner may ask.
func (c *Client) WgSecrets(name string) (api.WgStatus, error) {
	var st api.WgStatus
	err := c.do("GET", nodePath("wgsecrets", name), nil, &st)
	return st, err
}

// Wg applies one change to a wg interface (POST /v1/wg/NAME). Errors:
// EEXIST for a peer name or key already there, ENOENT for no such peer,
// EINVAL for a bad key or value, EADDRINUSE for a listen port taken.
func (c *Client) Wg(name string, req api.WgRequest) error {
	return c.do("POST", nodePath("wg", name), req, nil)
}
