package getopt

import (
	"reflect"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		wantOpts []Opt
		wantRest []string
		wantErr  bool
	}{
		{"none", []string{"unix://s"}, nil, []string{"unix://s"}, false},
		{"combined", []string{"-sv", "u"}, []Opt{{'s', ""}, {'v', ""}}, []string{"u"}, false},
		{"attached arg", []string{"-c2", "u"}, []Opt{{'c', "2"}}, []string{"u"}, false},
		{"separate arg", []string{"-l", "rumpnet", "u"}, []Opt{{'l', "rumpnet"}}, []string{"u"}, false},
		{"flag then arg", []string{"-slx"}, []Opt{{'s', ""}, {'l', "x"}}, []string{}, false},
		{"double dash", []string{"-s", "--", "-v"}, []Opt{{'s', ""}}, []string{"-v"}, false},
		{"stops at operand", []string{"virt0", "-alias"}, nil, []string{"virt0", "-alias"}, false},
		{"lone dash is operand", []string{"-"}, nil, []string{"-"}, false},
		{"unknown", []string{"-x"}, nil, nil, true},
		{"missing arg", []string{"-c"}, nil, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts, rest, err := Parse("svc:l:", tt.args)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			if !reflect.DeepEqual(opts, tt.wantOpts) {
				t.Errorf("opts: got %v, want %v", opts, tt.wantOpts)
			}
			if !reflect.DeepEqual(rest, tt.wantRest) {
				t.Errorf("rest: got %q, want %q", rest, tt.wantRest)
			}
		})
	}
}
