package auth

import (
	"testing"
	"time"
)

func TestThrottle(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	th := NewThrottle(3, time.Minute, 5*time.Minute)
	for i := range 2 {
		th.Fail("ann", now.Add(time.Duration(i)*time.Second))
	}
	if ok, _ := th.Allow("ann", now.Add(3*time.Second)); !ok {
		t.Fatal("locked after 2 of 3 failures")
	}
	th.Fail("ann", now.Add(4*time.Second))
	ok, wait := th.Allow("ann", now.Add(5*time.Second))
	if ok || wait != 5*time.Minute-time.Second {
		t.Fatalf("after 3 failures Allow = %v, %v, want locked for 4m59s", ok, wait)
	}
	if ok, _ := th.Allow("bob", now.Add(5*time.Second)); !ok {
		t.Error("another key is locked")
	}
	if ok, _ := th.Allow("ann", now.Add(5*time.Minute+4*time.Second)); !ok {
		t.Error("still locked after the lockout")
	}
	// Failures spread wider than the window never lock.
	th2 := NewThrottle(3, time.Minute, time.Minute)
	for i := range 10 {
		th2.Fail("c", now.Add(time.Duration(i)*31*time.Second))
	}
	if ok, _ := th2.Allow("c", now.Add(10*31*time.Second)); !ok {
		t.Error("slow failures locked the key")
	}
	th.Success("ann")
	if ok, _ := th.Allow("ann", now.Add(6*time.Second)); !ok {
		t.Error("Success did not unlock")
	}
}
