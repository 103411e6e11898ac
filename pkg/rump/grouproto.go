package rump

// Group membership protocols as NetBSD speaks them: IGMPv2 (RFC 2236)
// and MLDv1 (RFC 2710). NetBSD's igmp.c implements IGMP versions 1 and 2
// and its mld6.c MLD version 1; gVisor starts at IGMPv3 and MLDv2. Every
// interface's endpoints are set to the older versions when it is
// created, and stay there: a version 3 or version 2 query is then
// answered as the older protocol answers a query (the host does not
// switch up), as NetBSD does. This also keeps gVisor's IGMPv3 and MLDv2
// report builders, which loop forever on a link too small for one record
// (design.md), from ever running. Neither protocol reports the
// all-hosts group (224.0.0.1), the all-nodes group (ff02::1) or
// interface-local groups, in NetBSD as in gVisor; neither runs on lo0.

import (
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv6"
)

// setGroupProtocolsLocked sets a new interface's IGMP to version 2 and
// its MLD to version 1.
func (k *Kernel) setGroupProtocolsLocked(ifp *Interface) {
	if ep, err := k.stack.GetNetworkEndpoint(ifp.nic, ipv4.ProtocolNumber); err == nil {
		if m, ok := ep.(ipv4.IGMPEndpoint); ok {
			m.SetIGMPVersion(ipv4.IGMPVersion2)
		}
	}
	if ep, err := k.stack.GetNetworkEndpoint(ifp.nic, ipv6.ProtocolNumber); err == nil {
		setMLDVersion(ep, ipv6.MLDVersion1)
	}
}
