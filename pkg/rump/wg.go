package rump

// wg(4): WireGuard interfaces. Each wg interface runs one wireguard-go
// device whose tun is the interface's NIC (wglink.go) and whose UDP
// sockets are the kernel's own (wgbind.go). The kernel keeps the
// configuration as wgconfig(8) sees it (peer names, the order peers were
// added, the listen port asked for) and hands each change to the device
// through its UAPI text protocol, checked in full first, so that a refused
// change leaves nothing half applied.
//
// Locking: the device is configured under wgIface.mu, never under
// Kernel.mu, because a device's reconfiguration waits for its receive
// goroutines, which deliver into the stack.

import (
	"bufio"
	"encoding/hex"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"github.com/rumpnet/rumpnet/pkg/api"
	"golang.zx2c4.com/wireguard/device"
)

// wgIface is the WireGuard state of one wg interface.
type wgIface struct {
	ep   *wgEndpoint
	bind *stackBind
	dev  *device.Device

	mu      sync.Mutex
	closed  bool
	privKey []byte // nil for none
	port    int    // asked for, 0 for none
	peers   []api.WgPeer
}

// newWg makes the WireGuard device of a wg interface, up from the start
// on a port the stack picks, so that it is configured as soon as it
// exists; ifconfig up and down enable and disable its NIC.
func (k *Kernel) newWg() (*wgIface, error) {
	ep := newWgEndpoint()
	b := &stackBind{st: k.stack, inet4: k.comps.inet(), inet6: k.comps.inet6()}
	dev := device.NewDevice(wgTun{ep}, b, device.NewLogger(device.LogLevelSilent, ""))
	if err := dev.Up(); err != nil {
		dev.Close()
		return nil, api.Errorf(syscall.EADDRINUSE, "wg: "+err.Error())
	}
	return &wgIface{ep: ep, bind: b, dev: dev}, nil
}

// release closes the sockets at once, so that the port is free when the
// interface is gone; it waits for nothing and may run under Kernel.mu.
func (w *wgIface) release() { w.bind.Close() }

// close stops the device; its sockets are closed when it returns.
func (w *wgIface) close() {
	w.mu.Lock()
	w.closed = true
	w.mu.Unlock()
	w.dev.Close()
}

// wgOf returns the WireGuard state of the interface called name: ENXIO for
// none, EINVAL for an interface that is not wg.
func (k *Kernel) wgOf(name string) (*wgIface, error) {
	var w *wgIface
	err := k.withInterface(name, func(ifp *Interface) error {
		if ifp.wg == nil {
			return api.Errorf(syscall.EINVAL, name+" is not a wg interface")
		}
		w = ifp.wg
		return nil
	})
	return w, err
}

// WgStatus returns a wg interface's configuration; the private key and
// preshared keys only when secrets is true.
func (k *Kernel) WgStatus(name string, secrets bool) (api.WgStatus, error) {
	w, err := k.wgOf(name)
	if err != nil {
		return api.WgStatus{}, err
	}
	st := w.status(secrets)
	st.Name = name
	return st, nil
}

// Wg applies one wgconfig change to the wg interface called name.
func (k *Kernel) Wg(name string, req api.WgRequest) error {
	w, err := k.wgOf(name)
	if err != nil {
		return err
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return api.Errorf(syscall.ENXIO, name)
	}
	switch req.Op {
	case api.WgSetPrivateKey:
		return w.setPrivateKey(req.PrivateKey)
	case api.WgSetListenPort:
		return w.setListenPort(req.ListenPort)
	case api.WgAddPeer:
		if req.Peer == nil {
			return api.Errorf(syscall.EINVAL, "add-peer needs a peer")
		}
		return w.addPeer(*req.Peer)
	case api.WgDeletePeer:
		return w.deletePeer(req.Name)
	}
	return api.Errorf(syscall.EINVAL, fmt.Sprintf("unknown wg op %q", req.Op))
}

func (w *wgIface) setPrivateKey(key []byte) error {
	if len(key) != api.WgKeyLen {
		return api.Errorf(syscall.EINVAL, fmt.Sprintf("private key of %d bytes, want %d", len(key), api.WgKeyLen))
	}
	if err := w.ipcSet("private_key=" + hex.EncodeToString(key) + "\n"); err != nil {
		return err
	}
	w.privKey = slices.Clone(key)
	return nil
}

func (w *wgIface) setListenPort(port int) error {
	if port <= 0 || port > 65535 {
		return api.Errorf(syscall.EINVAL, "listen port "+strconv.Itoa(port)+" out of range")
	}
	if err := w.ipcSet("listen_port=" + strconv.Itoa(port) + "\n"); err != nil {
		// Back on the port it had: wireguard-go leaves the sockets closed.
		w.ipcSet("listen_port=" + strconv.Itoa(w.port) + "\n")
		return api.Errorf(syscall.EADDRINUSE, fmt.Sprintf("listen port %d: %v", port, err))
	}
	w.port = port
	return nil
}

// checkPeer validates a peer to add against itself and the peers there.
func (w *wgIface) checkPeer(p api.WgPeer) error {
	if p.Name == "" || len(p.Name) > api.WgPeerNameMax {
		return api.Errorf(syscall.EINVAL, "peer name empty or too long")
	}
	if len(p.PublicKey) != api.WgKeyLen {
		return api.Errorf(syscall.EINVAL, "public key of wrong length")
	}
	if p.PresharedKey != nil && len(p.PresharedKey) != api.WgKeyLen {
		return api.Errorf(syscall.EINVAL, "preshared key of wrong length")
	}
	for _, q := range w.peers {
		if q.Name == p.Name {
			return api.Errorf(syscall.EEXIST, "peer "+p.Name+" exists")
		}
		if slices.Equal(q.PublicKey, p.PublicKey) {
			return api.Errorf(syscall.EEXIST, "peer "+q.Name+" has that public key")
		}
	}
	if p.Endpoint != "" {
		if _, err := netip.ParseAddrPort(p.Endpoint); err != nil {
			return api.Errorf(syscall.EINVAL, "endpoint "+p.Endpoint+": not addr:port")
		}
	}
	for _, a := range p.AllowedIPs {
		if _, err := netip.ParsePrefix(a); err != nil {
			return api.Errorf(syscall.EINVAL, "allowed ip "+a+": not addr/len")
		}
	}
	return nil
}

func (w *wgIface) addPeer(p api.WgPeer) error {
	if err := w.checkPeer(p); err != nil {
		return err
	}
	var b strings.Builder
	b.WriteString("public_key=" + hex.EncodeToString(p.PublicKey) + "\n")
	if p.PresharedKey != nil {
		b.WriteString("preshared_key=" + hex.EncodeToString(p.PresharedKey) + "\n")
	}
	if p.Endpoint != "" {
		b.WriteString("endpoint=" + p.Endpoint + "\n")
	}
	b.WriteString("replace_allowed_ips=true\n")
	var allowed []string
	for _, a := range p.AllowedIPs {
		pf := netip.MustParsePrefix(a).Masked()
		allowed = append(allowed, pf.String())
		b.WriteString("allowed_ip=" + pf.String() + "\n")
	}
	if err := w.ipcSet(b.String()); err != nil {
		w.ipcSet("public_key=" + hex.EncodeToString(p.PublicKey) + "\nremove=true\n")
		return err
	}
	w.peers = append(w.peers, api.WgPeer{Name: p.Name, PublicKey: slices.Clone(p.PublicKey),
		PresharedKey: slices.Clone(p.PresharedKey), Endpoint: p.Endpoint, AllowedIPs: allowed})
	return nil
}

func (w *wgIface) deletePeer(name string) error {
	i := slices.IndexFunc(w.peers, func(p api.WgPeer) bool { return p.Name == name })
	if i < 0 {
		return api.Errorf(syscall.ENOENT, "no peer "+name)
	}
	if err := w.ipcSet("public_key=" + hex.EncodeToString(w.peers[i].PublicKey) + "\nremove=true\n"); err != nil {
		return err
	}
	w.peers = slices.Delete(w.peers, i, i+1)
	return nil
}

func (w *wgIface) ipcSet(conf string) error {
	if err := w.dev.IpcSet(conf); err != nil {
		return api.Errorf(syscall.EINVAL, "wg: "+err.Error())
	}
	return nil
}

// status is the configuration, with each peer's current endpoint (it
// follows a roaming peer), last handshake and byte counts from the device.
func (w *wgIface) status(secrets bool) api.WgStatus {
	w.mu.Lock()
	defer w.mu.Unlock()
	st := api.WgStatus{ListenPort: w.port, Peers: []api.WgPeer{}}
	if secrets {
		st.PrivateKey = slices.Clone(w.privKey)
	}
	live := w.liveLocked()
	for _, p := range w.peers {
		q := p
		q.AllowedIPs = slices.Clone(p.AllowedIPs)
		if !secrets {
			q.PresharedKey = nil
		}
		if l, ok := live[hex.EncodeToString(p.PublicKey)]; ok {
			if l.Endpoint != "" {
				q.Endpoint = l.Endpoint
			}
			q.LastHandshake, q.TxBytes, q.RxBytes = l.LastHandshake, l.TxBytes, l.RxBytes
		}
		st.Peers = append(st.Peers, q)
	}
	return st
}

// liveLocked reads the device's per-peer state, by hex public key.
func (w *wgIface) liveLocked() map[string]api.WgPeer {
	out := map[string]api.WgPeer{}
	if w.closed {
		return out
	}
	conf, err := w.dev.IpcGet()
	if err != nil {
		return out
	}
	var key string
	sc := bufio.NewScanner(strings.NewReader(conf))
	for sc.Scan() {
		k, v, _ := strings.Cut(sc.Text(), "=")
		p := out[key]
		switch k {
		case "public_key":
			key = v
			continue
		case "endpoint":
			p.Endpoint = v
		case "last_handshake_time_sec":
			p.LastHandshake, _ = strconv.ParseInt(v, 10, 64)
		case "tx_bytes":
			p.TxBytes, _ = strconv.ParseUint(v, 10, 64)
		case "rx_bytes":
			p.RxBytes, _ = strconv.ParseUint(v, 10, 64)
		default:
			continue
		}
		if key != "" {
			out[key] = p
		}
	}
	return out
}
