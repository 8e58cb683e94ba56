//go:build !unix

package bench

// MaxRSSBytes returns the process's peak resident set size so far, or 0
// where the system does not report it.
func MaxRSSBytes() uint64 { return 0 }
