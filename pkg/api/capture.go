package api

// CapturePath is the request that captures an interface's frames. Its
// reply is a stream in pcapng (CaptureContentType): a section header, one
// interface description block (link type and snapshot length), then
// enhanced packet blocks, each with its direction in epb_flags, and
// interface statistics blocks whose isb_ifrecv and isb_ifdrop options are
// the frames the interface has seen in the capture's direction and how many
// of them were dropped because the reader was behind. A statistics block
// comes before every batch of packets, its counts including them. The stream ends when the client goes away
// or the interface is destroyed.
const CapturePath = PathPrefix + "capture"

// CaptureContentType is the media type of a capture stream.
const CaptureContentType = "application/x-pcapng"

// The directions a capture may take (tcpdump's -Q).
const (
	CaptureIn    = "in"
	CaptureOut   = "out"
	CaptureInOut = "inout"
)

// CaptureRequest asks the kernel to capture an interface's frames.
type CaptureRequest struct {
	// Interface is the interface to capture on.
	Interface string `json:"interface"`
	// Direction is CaptureIn, CaptureOut or CaptureInOut ("" is both).
	Direction string `json:"direction,omitempty"`
	// Snaplen is how many bytes of each frame are kept, 262144 if 0.
	Snaplen int `json:"snaplen,omitempty"`
	// Buffer bounds the bytes queued for a slow reader, 2 MiB if 0;
	// frames beyond it are dropped and counted.
	Buffer int `json:"buffer,omitempty"`
}
