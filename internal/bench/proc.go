package bench

import (
	"bytes"
	"net/http/cookiejar"
	"os"
	"strconv"
	"strings"
)

// pidPeakRSS is process pid's peak resident set size (VmHWM in
// /proc/<pid>/status), 0 where unknown.
func pidPeakRSS(pid int) int64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	return statusKB(b, "VmHWM:") * 1024
}

// statusKB reads a "Key:   N kB" line of a /proc status file.
func statusKB(b []byte, key string) int64 {
	for line := range bytes.Lines(b) {
		if rest, ok := bytes.CutPrefix(line, []byte(key)); ok {
			f := strings.Fields(string(rest))
			if len(f) > 0 {
				n, _ := strconv.ParseInt(f[0], 10, 64)
				return n
			}
		}
	}
	return 0
}

func newJar() *cookiejar.Jar {
	j, _ := cookiejar.New(nil)
	return j
}

// loadAverages is the 1-, 5- and 15-minute load average ("n/a" where
// unknown).
func loadAverages() string {
	b, err := os.ReadFile("/proc/loadavg")
	if f := strings.Fields(string(b)); err == nil && len(f) >= 3 {
		return strings.Join(f[:3], " ")
	}
	return "n/a"
}
