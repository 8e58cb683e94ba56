//go:build unix

package bench

import (
	"runtime"
	"syscall"
)

// MaxRSSBytes returns the process's peak resident set size so far, or 0
// where the system does not report it.
func MaxRSSBytes() uint64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	if runtime.GOOS == "darwin" || runtime.GOOS == "ios" {
		return uint64(ru.Maxrss) // bytes
	}
	return uint64(ru.Maxrss) * 1024 // KiB elsewhere
}
