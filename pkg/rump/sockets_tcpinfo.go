package rump

// The options whose value is not an integer: TCP_INFO, Linux's struct
// tcp_info filled from what the endpoint knows, and TCP_CONGESTION, the
// name of the congestion control algorithm.

import (
	"bytes"
	"time"
	"unsafe"

	"github.com/rumpnet/rumpnet/pkg/api"
	"golang.org/x/sys/unix"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/transport/tcp"
)

// caNameMax is Linux's TCP_CA_NAME_MAX: TCP_CONGESTION reads that many
// bytes, the name padded with NULs.
const caNameMax = 16

// linuxReordering is tcpi_reordering before any is seen: Linux's
// initial reordering degree.
const linuxReordering = 3

// IsBytesOpt reports whether an option's value is bytes rather than an
// integer: GetOptBytes and SetOptBytes take it (TCP_INFO, TCP_CONGESTION
// and the multicast structures of sockets_mcast.go).
func IsBytesOpt(level, name int) bool {
	return level == unix.IPPROTO_TCP && (name == unix.TCP_INFO || name == unix.TCP_CONGESTION) ||
		isMcastBytesOpt(level, name)
}

// GetOptBytes reads an option whose value is bytes: TCP_INFO, as Linux's
// struct tcp_info; TCP_CONGESTION, the algorithm's name padded with NULs
// to 16 bytes. ENOPROTOOPT for other options and on other sockets.
func (ss *SocketSet) GetOptBytes(id, level, name int) ([]byte, error) {
	s, err := ss.lookup(id)
	if err != nil {
		return nil, err
	}
	if isMcastBytesOpt(level, name) {
		return s.getMcastBytes(level, name)
	}
	if !IsBytesOpt(level, name) || s.typ != api.SockStream {
		return nil, optError(level, name)
	}
	if name == unix.TCP_INFO {
		return s.tcpInfo()
	}
	var cc tcpip.CongestionControlOption
	if terr := s.ep.GetSockOpt(&cc); terr != nil {
		return nil, tcpipError("getsockopt", terr)
	}
	b := make([]byte, caNameMax)
	copy(b[:caNameMax-1], cc)
	return b, nil
}

// SetOptBytes sets an option whose value is bytes: TCP_CONGESTION, a name
// the stack has ("reno", "cubic"; ENOENT for others, as Linux answers).
func (ss *SocketSet) SetOptBytes(id, level, name int, b []byte) error {
	s, err := ss.lookup(id)
	if err != nil {
		return err
	}
	if isMcastBytesOpt(level, name) {
		if level == unix.IPPROTO_IPV6 && s.family != 6 {
			return optError(level, name)
		}
		return s.setMcastBytes(level, name, b)
	}
	if level != unix.IPPROTO_TCP || name != unix.TCP_CONGESTION || s.typ != api.SockStream {
		return optError(level, name)
	}
	b = b[:min(len(b), caNameMax-1)]
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	cc := tcpip.CongestionControlOption(b)
	return sockOptErr("setsockopt", s.ep.SetSockOpt(&cc))
}

// tcpInfo is Linux's struct tcp_info for s: state, congestion state,
// timers, window, segment size and the retransmission counts; the fields
// the stack does not keep are 0.
func (s *socket) tcpInfo() ([]byte, error) {
	var o tcpip.TCPInfoOption
	if terr := s.ep.GetSockOpt(&o); terr != nil {
		return nil, tcpipError("getsockopt", terr)
	}
	var ti unix.TCPInfo
	ti.State = linuxTCPState(tcp.EndpointState(o.State))
	ti.Ca_state = linuxCAState(o.CcState)
	ti.Rto = micros(o.RTO)
	ti.Rtt = micros(o.RTT)
	ti.Rttvar = micros(o.RTTVar)
	ti.Snd_cwnd = o.SndCwnd
	ti.Snd_ssthresh = o.SndSsthresh
	ti.Reordering = linuxReordering
	if o.ReorderSeen {
		ti.Reord_seen = 1
	}
	if mss, terr := s.ep.GetSockOptInt(tcpip.MaxSegOption); terr == nil {
		ti.Snd_mss, ti.Rcv_mss, ti.Advmss = uint32(mss), uint32(mss), uint32(mss)
	}
	if st, ok := s.ep.Stats().(*tcp.Stats); ok {
		ti.Total_retrans = uint32(st.SendErrors.Retransmits.Value())
		ti.Segs_out = uint32(st.SegmentsSent.Value())
		ti.Segs_in = uint32(st.SegmentsReceived.Value())
	}
	return bytes.Clone(unsafe.Slice((*byte)(unsafe.Pointer(&ti)), unsafe.Sizeof(ti))), nil
}

// micros is d in microseconds, tcp_info's unit for times.
func micros(d time.Duration) uint32 { return uint32(d / time.Microsecond) }

// linuxTCPState is the TCP_* state Linux reports for a state of the
// stack: the protocol states share Linux's numbers; the stack's own
// states before a connection are TCP_CLOSE, a connect under way SYN_SENT.
func linuxTCPState(st tcp.EndpointState) uint8 {
	switch {
	case st >= tcp.StateEstablished && st <= tcp.StateClosing:
		return uint8(st)
	case st == tcp.StateConnecting:
		return uint8(tcp.StateSynSent)
	}
	return uint8(tcp.StateClose)
}

// linuxCAState is the TCP_CA_* state Linux reports for a congestion
// control state of the stack.
func linuxCAState(st tcpip.CongestionControlState) uint8 {
	switch st {
	case tcpip.Disorder:
		return 1 // TCP_CA_Disorder
	case tcpip.FastRecovery, tcpip.SACKRecovery:
		return 3 // TCP_CA_Recovery
	case tcpip.RTORecovery:
		return 4 // TCP_CA_Loss
	}
	return 0 // TCP_CA_Open
}
