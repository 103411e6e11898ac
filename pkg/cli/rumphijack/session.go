package rumphijack

import (
	"context"

	"github.com/rumpnet/rumpnet/pkg/client"
	"github.com/rumpnet/rumpnet/pkg/hijack"
)

var _ hijack.Backend = (*client.Sockets)(nil)

// openSession opens the server's socket session.
func openSession(ctx context.Context, url string) (hijack.Backend, error) {
	c := &client.Client{URL: url}
	return c.OpenSockets(ctx)
}
