//go:build unix

package bench

import (
	"os"
	"testing"
)

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

func TestPidCPU(t *testing.T) {
	a, ok := pidCPU(os.Getpid())
	if !ok {
		t.Skip("no /proc here")
	}
	x := 0
	for i := range 50_000_000 {
		x += i ^ x
	}
	if b, _ := pidCPU(os.Getpid()); b <= a {
		t.Errorf("pidCPU(self) = %v then %v after a busy loop (%d), want growing", a, b, x)
	}
}
