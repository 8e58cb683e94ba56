// Package toolscache names the folder that test peers and benchmark peers
// (mailpit, the OpenTelemetry Collector, syslog-ng, VictoriaLogs...) are
// built or unpacked into by .ci/run or by hand, one sub-folder per tool and
// version. Nothing is ever downloaded into it at run time.
package toolscache

import (
	"os"
	"path/filepath"
)

// Dir is $CLOUDSAGE_TOOLS_CACHE, else $XDG_CACHE_HOME/cloudsage-tools, else
// ~/.cache/cloudsage-tools (as .ci/run has it).
func Dir() string {
	if d := os.Getenv("CLOUDSAGE_TOOLS_CACHE"); d != "" {
		return d
	}
	if d := os.Getenv("XDG_CACHE_HOME"); d != "" {
		return filepath.Join(d, "cloudsage-tools")
	}
	home, _ := os.UserHomeDir()
	return filepath.Join(home, ".cache", "cloudsage-tools")
}
