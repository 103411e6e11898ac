package rump

// 802.1Q tagging of Ethernet frames, with nothing else: a tag put into a
// frame and taken out of one. Pure functions; they must not touch an
// interface.

import "encoding/binary"

const (
	// etherTypeVLAN is the 802.1Q tag protocol identifier (TPID).
	etherTypeVLAN = 0x8100
	// vlanEncapLen is what a tag adds to a frame (NetBSD's
	// ETHER_VLAN_ENCAP_LEN).
	vlanEncapLen = 4
	// vlanIDMask is the VLAN identifier's bits of the tag control field;
	// the others are the priority and the drop-eligible bit.
	vlanIDMask = 0x0fff
	// ethAddrsLen is the destination and source addresses.
	ethAddrsLen = 12
)

// validVID reports whether vid may be configured: 1..4094, as NetBSD's
// vlan_config, which keeps 0 (priority tagging) and 4095 reserved.
func validVID(vid int) bool { return vid >= 1 && vid < vlanIDMask }

// isTagged reports whether frame carries an 802.1Q tag.
func isTagged(frame []byte) bool {
	return len(frame) >= ethAddrsLen+2 && binary.BigEndian.Uint16(frame[ethAddrsLen:]) == etherTypeVLAN
}

// vlanEncap appends to dst frame with an 802.1Q tag for vid (priority 0)
// after its addresses. frame must be at least an Ethernet header long.
func vlanEncap(dst, frame []byte, vid uint16) []byte {
	dst = append(dst, frame[:ethAddrsLen]...)
	dst = binary.BigEndian.AppendUint16(dst, etherTypeVLAN)
	dst = binary.BigEndian.AppendUint16(dst, vid&vlanIDMask)
	return append(dst, frame[ethAddrsLen:]...)
}

// vlanDecap returns the VLAN identifier of a tagged frame and, appended
// to dst, the frame without its tag; ok is false for a frame that is not
// tagged or too short to hold a tag and an inner Ethernet type.
func vlanDecap(dst, frame []byte) (vid uint16, inner []byte, ok bool) {
	if !isTagged(frame) || len(frame) < ethAddrsLen+vlanEncapLen+2 {
		return 0, dst, false
	}
	vid = binary.BigEndian.Uint16(frame[ethAddrsLen+2:]) & vlanIDMask
	dst = append(dst, frame[:ethAddrsLen]...)
	return vid, append(dst, frame[ethAddrsLen+vlanEncapLen:]...), true
}
