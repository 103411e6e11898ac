package bridge

// BPDU wire format (IEEE 802.1D-1998 clause 9): an 802.3 frame to the
// bridge group address with an LLC header (DSAP 0x42, SSAP 0x42, UI) and
// either a 35-byte configuration BPDU or a 4-byte topology change
// notification. Times travel in units of 1/256 s; bridge identifiers are
// 8 bytes (priority, MAC), port identifiers 2 bytes (priority, number).

import (
	"encoding/binary"
	"time"
)

// stpGroupAddr is the bridge group address BPDUs are sent to.
var stpGroupAddr = mac{0x01, 0x80, 0xc2, 0x00, 0x00, 0x00}

const (
	llcSAPSTP = 0x42 // DSAP and SSAP of spanning tree
	llcUI     = 0x03 // unnumbered information

	bpduTypeConfig = 0x00
	bpduTypeTCN    = 0x80

	bpduFlagTC  = 0x01 // topology change
	bpduFlagTCA = 0x80 // topology change acknowledgement

	llcLen       = 3
	bpduOffset   = etherHeaderLen + llcLen // first byte of the BPDU
	configLen    = 35                      // configuration BPDU
	tcnLen       = 4                       // topology change notification
	etherMinLen  = 60                      // shortest frame, without CRC
	timeUnitsPer = 256                     // BPDU time units per second
)

// bpdu is a decoded BPDU. For a TCN only tcn is meaningful.
type bpdu struct {
	tcn        bool
	tc, tca    bool
	root       uint64 // root identifier
	cost       uint32 // root path cost
	bridge     uint64 // sender's bridge identifier
	port       uint16 // sender's port identifier
	messageAge time.Duration
	maxAge     time.Duration
	helloTime  time.Duration
	fwdDelay   time.Duration
}

// parseBPDU decodes the BPDU in frame, and reports false if frame is not
// an 802.1D configuration BPDU or TCN.
func parseBPDU(frame []byte) (bpdu, bool) {
	var m bpdu
	if len(frame) < bpduOffset+tcnLen {
		return m, false
	}
	if binary.BigEndian.Uint16(frame[12:14]) >= 0x0600 { // an EtherType, not a length
		return m, false
	}
	if frame[14] != llcSAPSTP || frame[15] != llcSAPSTP || frame[16] != llcUI {
		return m, false
	}
	b := frame[bpduOffset:]
	if binary.BigEndian.Uint16(b[0:2]) != 0 { // protocol identifier
		return m, false
	}
	switch b[3] {
	case bpduTypeTCN:
		m.tcn = true
		return m, true
	case bpduTypeConfig:
	default:
		return m, false
	}
	if len(b) < configLen {
		return m, false
	}
	m.tc = b[4]&bpduFlagTC != 0
	m.tca = b[4]&bpduFlagTCA != 0
	m.root = binary.BigEndian.Uint64(b[5:13])
	m.cost = binary.BigEndian.Uint32(b[13:17])
	m.bridge = binary.BigEndian.Uint64(b[17:25])
	m.port = binary.BigEndian.Uint16(b[25:27])
	m.messageAge = fromTimeUnits(binary.BigEndian.Uint16(b[27:29]))
	m.maxAge = fromTimeUnits(binary.BigEndian.Uint16(b[29:31]))
	m.helloTime = fromTimeUnits(binary.BigEndian.Uint16(b[31:33]))
	m.fwdDelay = fromTimeUnits(binary.BigEndian.Uint16(b[33:35]))
	return m, true
}

// encode returns m as a frame from src, padded to the Ethernet minimum.
func (m *bpdu) encode(src mac) []byte {
	n := tcnLen
	if !m.tcn {
		n = configLen
	}
	f := make([]byte, etherMinLen)
	copy(f[0:6], stpGroupAddr[:])
	copy(f[6:12], src[:])
	binary.BigEndian.PutUint16(f[12:14], uint16(llcLen+n))
	f[14], f[15], f[16] = llcSAPSTP, llcSAPSTP, llcUI
	b := f[bpduOffset:]
	// protocol identifier and version stay zero
	if m.tcn {
		b[3] = bpduTypeTCN
		return f
	}
	b[3] = bpduTypeConfig
	if m.tc {
		b[4] |= bpduFlagTC
	}
	if m.tca {
		b[4] |= bpduFlagTCA
	}
	binary.BigEndian.PutUint64(b[5:13], m.root)
	binary.BigEndian.PutUint32(b[13:17], m.cost)
	binary.BigEndian.PutUint64(b[17:25], m.bridge)
	binary.BigEndian.PutUint16(b[25:27], m.port)
	binary.BigEndian.PutUint16(b[27:29], toTimeUnits(m.messageAge))
	binary.BigEndian.PutUint16(b[29:31], toTimeUnits(m.maxAge))
	binary.BigEndian.PutUint16(b[31:33], toTimeUnits(m.helloTime))
	binary.BigEndian.PutUint16(b[33:35], toTimeUnits(m.fwdDelay))
	return f
}

// fromTimeUnits converts a BPDU time to a duration.
func fromTimeUnits(v uint16) time.Duration {
	return time.Duration(v) * time.Second / timeUnitsPer
}

// toTimeUnits converts a duration to a BPDU time, saturating.
func toTimeUnits(d time.Duration) uint16 {
	v := d * timeUnitsPer / time.Second
	switch {
	case v < 0:
		return 0
	case v > 0xffff:
		return 0xffff
	}
	return uint16(v)
}
