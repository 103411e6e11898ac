package api

import (
	"encoding/json"
	"errors"
	"syscall"
	"testing"
)

func TestStringValueRoundTrip(t *testing.T) {
	tests := []struct {
		in, wire string
	}{
		{"rump1", `"rump1"`},
		{"", `""`},
		{"h\u00e9te", `"h\u00e9te"`},
		{"\xff", `{"b64":"/w=="}`},
		{"ab\xc3", `{"b64":"YWLD"}`},
	}
	for _, tt := range tests {
		b, err := json.Marshal(StringValue(tt.in))
		if err != nil {
			t.Fatal(err)
		}
		var got any
		json.Unmarshal(b, &got)
		if gb, _ := json.Marshal(got); string(gb) != mustCompact(tt.wire) {
			t.Errorf("StringValue(%q): got %s, want %s", tt.in, b, tt.wire)
		}
		back, err := DecodeString(b)
		if err != nil || back != tt.in {
			t.Errorf("DecodeString(%s): got %q, %v; want %q", b, back, err, tt.in)
		}
	}
}

func mustCompact(s string) string {
	var v any
	json.Unmarshal([]byte(s), &v)
	b, _ := json.Marshal(v)
	return string(b)
}

func TestDecodeStringRefuses(t *testing.T) {
	for _, in := range []string{"\"\xff\"", `{"b64":"!!"}`, `{"b64":"/w==","x":1}`, `{}`, `3`, `{"b64":3}`} {
		if _, err := DecodeString(json.RawMessage(in)); !errors.Is(err, syscall.EINVAL) {
			t.Errorf("DecodeString(%q): got %v, want EINVAL", in, err)
		}
	}
}
