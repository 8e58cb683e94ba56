//go:build unix

package bench

import (
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// processCPU returns the user+system CPU time this process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// tick is one clock tick of /proc/*/stat (USER_HZ is 100 on Linux).
const tick = time.Second / 100

// pidCPU returns the CPU time process pid has used so far (Linux /proc).
func pidCPU(pid int) (time.Duration, bool) {
	if runtime.GOOS != "linux" {
		return 0, false
	}
	_, t, ok := statTicks("/proc/" + strconv.Itoa(pid) + "/stat")
	return time.Duration(t) * tick, ok
}

// statTicks reads a /proc/<pid>/stat file: the command name and the
// user+system clock ticks.
func statTicks(path string) (string, int64, bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", 0, false
	}
	s := string(b)
	open, end := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
	if open < 0 || end < open {
		return "", 0, false
	}
	f := strings.Fields(s[end+1:])
	if len(f) < 13 {
		return "", 0, false
	}
	u, _ := strconv.ParseInt(f[11], 10, 64) // utime, field 14
	k, _ := strconv.ParseInt(f[12], 10, 64) // stime, field 15
	return s[open+1 : end], u + k, true
}
