package api

// WireGuard interfaces (wg(4)): what rwgconfig asks of a kernel and what
// the kernel answers. Keys travel as 32 raw bytes (base64 in JSON).

// WgKeyLen is the length of every WireGuard key: private, public and
// preshared.
const WgKeyLen = 32

// WgPeerNameMax is the longest peer name, as NetBSD's WG_PEER_NAME_MAXLEN.
const WgPeerNameMax = 64

// WireGuard request operations, as NetBSD's WG_IOCTL_* commands; Cmd
// gives each one's number, which wgconfig prints in its errors.
const (
	WgSetPrivateKey = "set-private-key"
	WgSetListenPort = "set-listen-port"
	WgAddPeer       = "add-peer"
	WgDeletePeer    = "delete-peer"
)

// WgCmd returns NetBSD's WG_IOCTL_* number of op, 0 for an unknown one.
func WgCmd(op string) int {
	switch op {
	case WgSetPrivateKey:
		return 1
	case WgSetListenPort:
		return 2
	case WgAddPeer:
		return 3
	case WgDeletePeer:
		return 4
	}
	return 0
}

// WgPeer is one peer of a WireGuard interface.
type WgPeer struct {
	Name      string `json:"name"`
	PublicKey []byte `json:"public_key"`
	// PresharedKey is nil for none; a status carries it only when secrets
	// were asked for (GET /v1/wgsecrets/NAME).
	PresharedKey []byte `json:"preshared_key,omitempty"`
	// Endpoint is "addr:port" ("[addr]:port" for IPv6), "" for none.
	Endpoint   string   `json:"endpoint,omitempty"`
	AllowedIPs []string `json:"allowed_ips,omitempty"` // "addr/len", in the order given
	// LastHandshake is the Unix time of the last handshake, 0 for never.
	LastHandshake int64  `json:"last_handshake,omitempty"`
	TxBytes       uint64 `json:"tx_bytes,omitempty"`
	RxBytes       uint64 `json:"rx_bytes,omitempty"`
}

// WgStatus is a WireGuard interface's configuration and peers.
type WgStatus struct {
	Name       string `json:"name"`
	ListenPort int    `json:"listen_port"` // 0 for none set
	// PrivateKey is nil for none, and always nil unless secrets were asked
	// for (GET /v1/wgsecrets/NAME).
	PrivateKey []byte   `json:"private_key,omitempty"`
	Peers      []WgPeer `json:"peers"`
}

// WgRequest is one change of a WireGuard interface (POST /v1/wg/NAME).
type WgRequest struct {
	Op         string  `json:"op"`
	PrivateKey []byte  `json:"private_key,omitempty"` // set-private-key
	ListenPort int     `json:"listen_port,omitempty"` // set-listen-port
	Peer       *WgPeer `json:"peer,omitempty"`        // add-peer
	Name       string  `json:"name,omitempty"`        // delete-peer
}
