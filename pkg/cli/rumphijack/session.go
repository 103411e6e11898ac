package rumphijack

import (
	"context"
	"syscall"

	"github.com/rumpnet/rumpnet/pkg/api"
	"github.com/rumpnet/rumpnet/pkg/hijack"
)

// openSession opens the server's socket session.
func openSession(ctx context.Context, url string) (hijack.Backend, error) {
	return nil, api.Errorf(syscall.ENOSYS, "socket sessions are not available in this build")
}
