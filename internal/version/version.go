// Package version says which build of cloudsage is running: the version
// set with -ldflags "-X github.com/cloudsage/cloudsage.Version=v1.2.3",
// else what the Go toolchain recorded in the binary (the module version of
// `go install ...@v1.2.3`, or the commit of `go build` in a git checkout,
// with its date and "-dirty" for uncommitted changes), else "dev".
package version

import (
	"runtime/debug"
	"sync"

	"github.com/cloudsage/cloudsage"
)

// String is the running build's version.
var String = sync.OnceValue(func() string {
	info, _ := debug.ReadBuildInfo()
	return resolve(cloudsage.Version, info)
})

// resolve picks the version from the ldflags value and the build info.
func resolve(ldflags string, info *debug.BuildInfo) string {
	if ldflags != "" && ldflags != "dev" {
		return ldflags
	}
	if info == nil {
		return "dev"
	}
	if v := info.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	var rev, at string
	dirty := false
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.time":
			at = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if rev == "" {
		return "dev"
	}
	v := rev[:min(len(rev), 12)]
	if at != "" {
		v += " (" + at + ")"
	}
	if dirty {
		v += "-dirty"
	}
	return v
}
