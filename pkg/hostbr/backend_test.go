package hostbr_test

import (
	"github.com/rumpnet/rumpnet/pkg/cli/brconfig"
	"github.com/rumpnet/rumpnet/pkg/hostbr"
)

// Host is rbrconfig's backend for the Linux host.
var _ brconfig.Backend = (*hostbr.Host)(nil)
