package api

// String values that are not UTF-8. A node's string value is bytes, as in
// NetBSD's sysctl, where kern.hostname may be set to any bytes; a JSON
// string carries only UTF-8, and encoding/json silently turns other bytes
// into U+FFFD. So a string value that is not valid UTF-8 travels as an
// object {"b64": "<standard base64 of the bytes>"}, in requests and replies
// alike; UTF-8 values stay plain JSON strings.

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"syscall"
	"unicode/utf8"
)

// RawBytes is the wire form of a string value that is not valid UTF-8.
type RawBytes struct {
	B64 string `json:"b64"`
}

// StringValue returns s as it is to be encoded: s itself when it is UTF-8,
// a RawBytes otherwise.
func StringValue(s string) any {
	if utf8.ValidString(s) {
		return s
	}
	return RawBytes{B64: base64.StdEncoding.EncodeToString([]byte(s))}
}

// DecodeString decodes a string value sent in either form. A JSON string
// with bytes that are not UTF-8 is refused (EINVAL) rather than changed:
// such bytes must be sent as {"b64": ...}.
func DecodeString(raw json.RawMessage) (string, error) {
	if !utf8.Valid(raw) {
		return "", Errorf(syscall.EINVAL, `value is not UTF-8; send bytes as {"b64": "..."}`)
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return s, nil
	}
	var rb struct {
		B64 *string `json:"b64"`
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&rb); err != nil || rb.B64 == nil || dec.More() {
		return "", Errorf(syscall.EINVAL, `value: want a JSON string or {"b64": "..."}`)
	}
	b, err := base64.StdEncoding.DecodeString(*rb.B64)
	if err != nil {
		return "", Errorf(syscall.EINVAL, "value: b64: "+err.Error())
	}
	return string(b), nil
}
