package rump

// tunnelProto: the tunnels' receive hook in the stack. It is a transport
// protocol of the stack for one IP protocol number (4, 41 or 47) that
// has no endpoints: every packet of its protocol addressed to the kernel
// comes to HandleUnknownDestinationPacket, which hands it to the tunnel
// whose source and destination are the packet's destination and source.
// A packet no tunnel takes is dropped, as NetBSD's encap input does
// when no raw socket wants it.

import (
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
	"gvisor.dev/gvisor/pkg/waiter"
)

type tunnelProto struct {
	num tcpip.TransportProtocolNumber
	mux *tunnelMux
}

// tunnelProtocols returns the transport protocol factories for the
// tunnel kinds the kernel has (gif: 4 and 41; gre: 47).
func tunnelProtocols(mux *tunnelMux, gif, gre bool) []stack.TransportProtocolFactory {
	var nums []tcpip.TransportProtocolNumber
	if gif {
		nums = append(nums, protoIPIP, protoIPv6)
	}
	if gre {
		nums = append(nums, protoGRE)
	}
	var out []stack.TransportProtocolFactory
	for _, n := range nums {
		p := &tunnelProto{num: n, mux: mux}
		out = append(out, func(*stack.Stack) stack.TransportProtocol { return p })
	}
	return out
}

func (p *tunnelProto) Number() tcpip.TransportProtocolNumber { return p.num }

func (p *tunnelProto) NewEndpoint(tcpip.NetworkProtocolNumber, *waiter.Queue) (tcpip.Endpoint, tcpip.Error) {
	return nil, &tcpip.ErrUnknownProtocol{}
}

func (p *tunnelProto) NewRawEndpoint(tcpip.NetworkProtocolNumber, *waiter.Queue) (tcpip.Endpoint, tcpip.Error) {
	return nil, &tcpip.ErrUnknownProtocol{}
}

// MinimumPacketSize is what Parse takes as the "transport header".
func (p *tunnelProto) MinimumPacketSize() int { return 1 }

// ParsePorts: the encapsulations have none.
func (p *tunnelProto) ParsePorts([]byte) (uint16, uint16, tcpip.Error) { return 0, 0, nil }

// HandleUnknownDestinationPacket decapsulates the packet for the tunnel
// it belongs to.
func (p *tunnelProto) HandleUnknownDestinationPacket(id stack.TransportEndpointID, pkt *stack.PacketBuffer) stack.UnknownDestinationPacketDisposition {
	kind := "gif"
	if p.num == protoGRE {
		kind = "gre"
	}
	e := p.mux.lookup(kind, id.LocalAddress, id.RemoteAddress)
	if e == nil {
		return stack.UnknownDestinationPacketHandled
	}
	payload := append(append([]byte(nil), pkt.TransportHeader().Slice()...), pkt.Data().AsRange().ToSlice()...)
	var inner []byte
	var err error
	if p.num == protoGRE {
		inner, err = greDecap(payload)
	} else {
		inner, err = gifDecap(p.num, payload)
	}
	if err != nil {
		e.stats.ierrors.Add(1)
		return stack.UnknownDestinationPacketHandled
	}
	e.input(inner)
	return stack.UnknownDestinationPacketHandled
}

func (p *tunnelProto) SetOption(tcpip.SettableTransportProtocolOption) tcpip.Error {
	return &tcpip.ErrUnknownProtocolOption{}
}

func (p *tunnelProto) Option(tcpip.GettableTransportProtocolOption) tcpip.Error {
	return &tcpip.ErrUnknownProtocolOption{}
}

func (p *tunnelProto) Close()   {}
func (p *tunnelProto) Wait()    {}
func (p *tunnelProto) Pause()   {}
func (p *tunnelProto) Resume()  {}
func (p *tunnelProto) Restore() {}

// Parse takes the first byte as the transport header, so that the stack
// sees one; the handler reads it back with the rest.
func (p *tunnelProto) Parse(pkt *stack.PacketBuffer) bool {
	_, ok := pkt.TransportHeader().Consume(1)
	return ok
}
