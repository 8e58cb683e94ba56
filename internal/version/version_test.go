package version

import (
	"runtime/debug"
	"testing"
)

func TestResolve(t *testing.T) {
	vcs := func(kv ...string) *debug.BuildInfo {
		info := &debug.BuildInfo{Main: debug.Module{Path: "github.com/cloudsage/cloudsage", Version: "(devel)"}}
		for i := 0; i+1 < len(kv); i += 2 {
			info.Settings = append(info.Settings, debug.BuildSetting{Key: kv[i], Value: kv[i+1]})
		}
		return info
	}
	rev := "0123456789abcdef0123456789abcdef01234567"
	cases := []struct {
		name    string
		ldflags string
		info    *debug.BuildInfo
		want    string
	}{
		{"ldflags win", "v1.4.0", vcs("vcs.revision", rev), "v1.4.0"},
		{"no build info", "dev", nil, "dev"},
		{"go install of a tag", "dev", &debug.BuildInfo{Main: debug.Module{Version: "v1.3.2"}}, "v1.3.2"},
		{"git checkout", "dev", vcs("vcs.revision", rev, "vcs.time", "2026-12-07T11:00:00Z", "vcs.modified", "false"), "0123456789ab (2026-12-07T11:00:00Z)"},
		{"uncommitted changes", "dev", vcs("vcs.revision", rev, "vcs.modified", "true"), "0123456789ab-dirty"},
		{"no vcs stamp", "", vcs(), "dev"},
	}
	for _, c := range cases {
		if got := resolve(c.ldflags, c.info); got != c.want {
			t.Errorf("%s: resolve(%q, ...) = %q, want %q", c.name, c.ldflags, got, c.want)
		}
	}
}

// The test binary itself has build info: String never panics and is set.
func TestString(t *testing.T) {
	if String() == "" {
		t.Error("String() is empty")
	}
}
