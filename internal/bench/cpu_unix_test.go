//go:build unix

package bench

import "testing"

func TestProcessCPU(t *testing.T) {
	a := processCPU()
	x := 0
	for i := range 50_000_000 {
		x += i ^ x
	}
	b := processCPU()
	if b <= a || a <= 0 {
		t.Errorf("processCPU() = %v then %v (after a busy loop, %d), want positive and growing", a, b, x)
	}
}
