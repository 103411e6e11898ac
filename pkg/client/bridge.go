package client

// The bridge resource: one bridge's status and changes to it, outside the
// sysctl-like tree because a change (add a member, set a flag on one) is
// an operation rather than a value.

import "github.com/rumpnet/rumpnet/pkg/api"

// bridgeVerb is the path element of the bridge resource:
// /v1/bridge/NAME.
const bridgeVerb = "bridge"

// BridgeStatus returns a bridge's flags, configuration, members and address
// cache (GET /v1/bridge/NAME). ENXIO if there is no such interface.
func (c *Client) BridgeStatus(name string) (api.BridgeStatus, error) {
	var st api.BridgeStatus
	err := c.do("GET", nodePath(bridgeVerb, name), nil, &st)
	return st, err
}

// Bridge applies one change to a bridge (POST /v1/bridge/NAME with req as
// the body). The kernel's refusal comes back with its errno: ENOENT for a
// member or entry that is not there, EEXIST, EBUSY, EINVAL, ENOSPC, ...
func (c *Client) Bridge(name string, req api.BridgeRequest) error {
	return c.do("POST", nodePath(bridgeVerb, name), req, nil)
}
