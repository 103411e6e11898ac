// Package api is what both sides of rump_server's control interface share:
// the wire types (request and reply bodies, the node names and interface
// leaves the tools rely on, the protocol's version and limits) and the pure
// helpers both need (the errno table that turns failures into NetBSD's
// err(3) messages, socket URLs, interface names, string values).
//
// It must do no I/O: no sockets, no files, and no import of the kernel or
// of any transport, so that clients, the server and tests share one
// definition and a tool that imports it links nothing heavy. A detail only
// one side needs belongs to that side; what a client may check (paths,
// content types, limits) is protocol and stays here.
//
// The protocol is HTTP/1.1 with JSON bodies over the server's Unix socket;
// doc/control.md describes it for people using curl or writing clients.
package api

import "encoding/json"

// Version is the control protocol's version; it is the first element of
// every request path ("/v1/...").
const Version = 1

// PathPrefix is the path every request of this Version starts with.
const PathPrefix = "/v1/"

// MaxRequestBytes caps the size of a request body; larger ones are refused
// with EMSGSIZE.
const MaxRequestBytes = 64 << 10

// Node is one leaf of the tree with its current value.
type Node struct {
	Name     string          `json:"name"`
	Type     string          `json:"type"` // "int", "string", "bool", or "struct"
	Writable bool            `json:"writable"`
	Value    json.RawMessage `json:"value"`
}

// SetReply answers a set: the node's value before and after.
type SetReply struct {
	Name string          `json:"name"`
	Old  json.RawMessage `json:"old"`
	New  json.RawMessage `json:"new"`
}

// ErrorReply is the body of every failed request.
type ErrorReply struct {
	Errno   string `json:"errno"`   // symbolic name, e.g. "EEXIST"
	Code    int    `json:"code"`    // numeric value on this host
	Message string `json:"message"` // NetBSD strerror text
	Detail  string `json:"detail,omitempty"`
	// Explained says that Detail is a sentence written for the person at
	// the terminal, which a tool prints as it is instead of strerror
	// ("virt0: cannot open tap0: Device busy (...)"): an *Explained.
	Explained bool `json:"explained,omitempty"`
}

// ServerInfo answers GET /v1/ .
type ServerInfo struct {
	Version    int      `json:"version"`
	Pid        int      `json:"pid"`
	Uid        int      `json:"uid"`
	Components []string `json:"components"`
	Cloners    []string `json:"cloners"`
}
