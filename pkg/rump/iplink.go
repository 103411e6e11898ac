package rump

import (
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/header"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
)

// ipLink is the part of stack.LinkEndpoint that an IP-level interface
// (gif, gre, wg) answers the same way: no link header, no link address,
// nothing to resolve. Its endpoints embed it.
type ipLink struct{}

// Capabilities implements stack.LinkEndpoint: no link addresses to resolve.
func (ipLink) Capabilities() stack.LinkEndpointCapabilities { return 0 }

// MaxHeaderLength implements stack.LinkEndpoint: packets carry no link header.
func (ipLink) MaxHeaderLength() uint16 { return 0 }

// LinkAddress implements stack.LinkEndpoint: a tunnel has none.
func (ipLink) LinkAddress() tcpip.LinkAddress { return "" }

// SetLinkAddress implements stack.LinkEndpoint.
func (ipLink) SetLinkAddress(tcpip.LinkAddress) {}

// Wait implements stack.LinkEndpoint.
func (ipLink) Wait() {}

// ARPHardwareType implements stack.LinkEndpoint.
func (ipLink) ARPHardwareType() header.ARPHardwareType { return header.ARPHardwareNone }

// AddHeader implements stack.LinkEndpoint.
func (ipLink) AddHeader(*stack.PacketBuffer) {}

// ParseHeader implements stack.LinkEndpoint.
func (ipLink) ParseHeader(*stack.PacketBuffer) bool { return true }

// SetOnCloseAction implements stack.LinkEndpoint.
func (ipLink) SetOnCloseAction(func()) {}
