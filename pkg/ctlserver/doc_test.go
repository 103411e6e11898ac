package ctlserver

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// docRow is one row of doc/control.md's request table: "| `GET` | `/v1/node/NAME` |".
var docRow = regexp.MustCompile("(?m)^\\| `([A-Z]+)` \\| `(/v1/[^`]*)` \\|")

// docRoutes returns the method and path of each row of the request table
// in doc/control.md, a trailing NAME dropped as the route table writes it.
func docRoutes(doc string) []string {
	var out []string
	for _, m := range docRow.FindAllStringSubmatch(doc, -1) {
		out = append(out, m[1]+" "+strings.TrimSuffix(m[2], "NAME"))
	}
	return out
}

func TestDocListsEveryRoute(t *testing.T) {
	b, err := os.ReadFile("../../doc/control.md")
	if err != nil {
		t.Fatal(err)
	}
	documented := docRoutes(string(b))
	var served []string
	for _, rt := range routes {
		served = append(served, rt.method+" "+rt.path)
	}
	for _, r := range served {
		if !slices.Contains(documented, r) {
			t.Errorf("%s: served, got no row in doc/control.md's request table, want one", r)
		}
	}
	for _, r := range documented {
		if !slices.Contains(served, r) {
			t.Errorf("%s: in doc/control.md's request table, got no such route, want it removed", r)
		}
	}
}

func TestDocRoutes(t *testing.T) {
	for _, tt := range []struct {
		doc  string
		want []string
	}{
		{"| `GET` | `/v1/` | – | info | no |\n", []string{"GET /v1/"}},
		{"| `GET` | `/v1/list/NAME` | – |\n| `PUT` | `/v1/node/NAME` | x |\n", []string{"GET /v1/list/", "PUT /v1/node/"}},
		{"`GET /v1/halt` in prose\n| Field | Type |\n", nil},
	} {
		if got := docRoutes(tt.doc); !slices.Equal(got, tt.want) {
			t.Errorf("docRoutes(%q): got %q, want %q", tt.doc, got, tt.want)
		}
	}
}
