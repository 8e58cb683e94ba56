//go:build !unix

package testenv

import "time"

// cpuTime is unknown here: CPUMeter reports nothing.
func cpuTime() time.Duration { return -1 }
