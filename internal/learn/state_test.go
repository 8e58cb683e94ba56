package learn

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReadState(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`{"version":1,"feedback":[{"key":"a","status":"done"}],"overrides":{"muted":["b"]}}`, ""},
		{`{"version":2,"feedback":[]}`, "version 2"},
		{`{"version":1,"feedback":[{"key":"a","status":"meh"}]}`, "status"},
		{`{"version":1,"overrides":{"thresholds":{"latency":-1}}}`, "above 0"},
		{`{"version":1,"extra":1}`, "unknown field"},
		{`{"version":1}{}`, "more than one"},
		{`[`, "read learned state"},
	} {
		_, err := ReadState(strings.NewReader(tc.in))
		if (err == nil) != (tc.want == "") || err != nil && !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ReadState(%s) = %v, want %q", tc.in, err, tc.want)
		}
	}
}

func FuzzReadState(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/state-*.json")
	for _, p := range seeds {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		st, err := ReadState(strings.NewReader(string(b)))
		if err != nil {
			return
		}
		if err := st.Check(); err != nil {
			t.Fatalf("ReadState accepted a state Check refuses: %v", err)
		}
		Collect(st.Overrides.List())
		Estimates(st.Feedback, nil)
	})
}
