package client

import (
	"encoding/json"
	"testing"
)

func TestNameList(t *testing.T) {
	tests := [][]string{
		nil,
		{},
		{"kern.ostype"},
		{"net.route.inet", "net.inet.arp.table", "net.link.*.flags"},
		{`odd"name`, "x"},
		{`back\slash`},
		{"a<b>&c"},
		{"tab\there"},
		{"caf\u00e9"},
		{"\xff"},
	}
	for _, names := range tests {
		want, err := json.Marshal(names)
		if err != nil {
			t.Fatal(err)
		}
		var got []byte
		switch v := nameList(names).(type) {
		case rawBody:
			got = v
		default:
			if got, err = json.Marshal(v); err != nil {
				t.Fatal(err)
			}
		}
		if string(got) != string(want) {
			t.Errorf("nameList(%q): got %s, want %s", names, got, want)
		}
	}
}
