package api

// LeafL2tp is an l2tp interface's configuration (L2tp when read,
// L2tpChange when written).
const LeafL2tp = "l2tp"

// L2tp is an l2tp(4) interface's configuration: its tunnel's outer
// addresses ("" while it has none), its session identifiers (0 while it
// has none) and its cookies (length 0 while it has none).
type L2tp struct {
	Src             string `json:"src,omitempty"`
	Dst             string `json:"dst,omitempty"`
	LocalSession    uint32 `json:"local_session,omitempty"`
	RemoteSession   uint32 `json:"remote_session,omitempty"`
	LocalCookie     uint64 `json:"local_cookie,omitempty"`
	LocalCookieLen  int    `json:"local_cookie_len,omitempty"`
	RemoteCookie    uint64 `json:"remote_cookie,omitempty"`
	RemoteCookieLen int    `json:"remote_cookie_len,omitempty"`
}

// The changes an L2tpChange makes, as NetBSD's ioctls: the tunnel
// (SIOCSLIFPHYADDR, SIOCDIFPHYADDR), the session (SIOCSL2TPSESSION,
// SIOCDL2TPSESSION) and the cookies (SIOCSL2TPCOOKIE, SIOCDL2TPCOOKIE).
const (
	L2tpSetTunnel     = "tunnel"
	L2tpDeleteTunnel  = "deletetunnel"
	L2tpSetSession    = "session"
	L2tpDeleteSession = "deletesession"
	L2tpSetCookie     = "cookie"
	L2tpDeleteCookie  = "deletecookie"
)

// L2tpChange is one change to an l2tp interface: Op and the fields of
// L2tp it sets.
type L2tpChange struct {
	Op string `json:"op"`
	L2tp
}
