package xo

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"reflect"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		args []string
		want Options
		rest []string
		err  bool
	}{
		{[]string{"-rn"}, Options{}, []string{"-rn"}, false},
		{[]string{"--libxo", "json", "-rn"}, Options{Style: JSON}, []string{"-rn"}, false},
		{[]string{"--libxo=json,pretty", "-a"}, Options{Style: JSON, Pretty: true}, []string{"-a"}, false},
		{[]string{"--libxo:XP", "-a"}, Options{Style: XML, Pretty: true}, []string{"-a"}, false},
		{[]string{"-a", "--libxo", "xml"}, Options{Style: XML}, []string{"-a"}, false},
		{[]string{"--libxo", "text,warn"}, Options{}, []string{}, false},
		{[]string{"--libxo=json,underscores"}, Options{Style: JSON, Underscores: true}, []string{}, false},
		{[]string{"--", "--libxo", "json"}, Options{}, []string{"--", "--libxo", "json"}, false},
		{[]string{"--libxox"}, Options{}, []string{"--libxox"}, false},
		{[]string{"--libxo", "html"}, Options{}, nil, true},
		{[]string{"--libxo"}, Options{}, nil, true},
		{[]string{"--libxo="}, Options{}, nil, true},
		{[]string{"--libxo:Q"}, Options{}, nil, true},
	}
	for _, tt := range tests {
		o, rest, err := Parse(tt.args)
		var xe *Error
		if tt.err {
			if !errors.As(err, &xe) {
				t.Errorf("Parse(%q): got err %v, want *Error", tt.args, err)
			}
			continue
		}
		if err != nil || o != tt.want || !reflect.DeepEqual(rest, tt.rest) {
			t.Errorf("Parse(%q): got %+v %q %v, want %+v %q", tt.args, o, rest, err, tt.want, tt.rest)
		}
	}
}

func sample(w *Writer) {
	w.Open("statistics")
	w.Open("route-information")
	w.Open("route-table")
	for _, fam := range []string{"Internet", "Internet6"} {
		w.OpenInstance("rt-family")
		w.Emit("address-family", fam)
		for i := 0; i < 2; i++ {
			w.OpenInstance("rt-entry")
			w.Emit("destination", "10.0.0.0/8 <&>")
			w.Emit("use", uint64(i))
			w.Emit("up", true)
			w.EmitList("flags_pretty", "up", "gateway")
			w.CloseInstance("rt-entry")
		}
		w.CloseInstance("rt-family")
	}
	w.Close("route-table")
	w.Close("route-information")
	w.Close("statistics")
}

func TestWriterJSON(t *testing.T) {
	for _, pretty := range []bool{false, true} {
		var b bytes.Buffer
		w := NewWriter(&b, Options{Style: JSON, Pretty: pretty})
		sample(w)
		if err := w.Finish(); err != nil {
			t.Fatal(err)
		}
		var v struct {
			Statistics struct {
				RI struct {
					RT struct {
						Fam []struct {
							AF    string `json:"address-family"`
							Entry []struct {
								Dst   string   `json:"destination"`
								Use   uint64   `json:"use"`
								Up    bool     `json:"up"`
								Flags []string `json:"flags_pretty"`
							} `json:"rt-entry"`
						} `json:"rt-family"`
					} `json:"route-table"`
				} `json:"route-information"`
			} `json:"statistics"`
		}
		if err := json.Unmarshal(b.Bytes(), &v); err != nil {
			t.Fatalf("pretty=%v: %v in\n%s", pretty, err, b.String())
		}
		f := v.Statistics.RI.RT.Fam
		if len(f) != 2 || f[1].AF != "Internet6" || len(f[1].Entry) != 2 || f[1].Entry[1].Use != 1 ||
			f[0].Entry[0].Dst != "10.0.0.0/8 <&>" || !f[0].Entry[0].Up || len(f[0].Entry[0].Flags) != 2 {
			t.Errorf("pretty=%v: got %+v from\n%s", pretty, v, b.String())
		}
	}
}

func TestWriterXML(t *testing.T) {
	for _, pretty := range []bool{false, true} {
		var b bytes.Buffer
		w := NewWriter(&b, Options{Style: XML, Pretty: pretty})
		sample(w)
		if err := w.Finish(); err != nil {
			t.Fatal(err)
		}
		var v struct {
			Fam []struct {
				AF    string `xml:"address-family"`
				Entry []struct {
					Dst   string   `xml:"destination"`
					Flags []string `xml:"flags_pretty"`
				} `xml:"rt-entry"`
			} `xml:"route-information>route-table>rt-family"`
		}
		if err := xml.Unmarshal(b.Bytes(), &v); err != nil {
			t.Fatalf("pretty=%v: %v in\n%s", pretty, err, b.String())
		}
		if len(v.Fam) != 2 || len(v.Fam[0].Entry) != 2 || v.Fam[0].Entry[0].Dst != "10.0.0.0/8 <&>" ||
			len(v.Fam[0].Entry[0].Flags) != 2 {
			t.Errorf("pretty=%v: got %+v from\n%s", pretty, v, b.String())
		}
	}
}

func TestWriterMisuse(t *testing.T) {
	tests := []struct {
		name string
		do   func(w *Writer)
	}{
		{"unclosed", func(w *Writer) { w.Open("a") }},
		{"mismatch", func(w *Writer) { w.Open("a"); w.Close("b") }},
		{"extra close", func(w *Writer) { w.Close("a") }},
	}
	for _, tt := range tests {
		w := NewWriter(new(bytes.Buffer), Options{Style: JSON})
		tt.do(w)
		if err := w.Finish(); err == nil {
			t.Errorf("%s: got nil error, want one", tt.name)
		}
	}
}

func TestUnderscores(t *testing.T) {
	var b bytes.Buffer
	w := NewWriter(&b, Options{Style: JSON, Underscores: true})
	w.Emit("ip-address", "10.0.0.1")
	if err := w.Finish(); err != nil {
		t.Fatal(err)
	}
	if got, want := b.String(), "{\"ip_address\": \"10.0.0.1\"}\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
