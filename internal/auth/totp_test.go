package auth

import (
	"strings"
	"testing"
	"time"
)

func TestTOTP(t *testing.T) {
	key, err := NewTOTPKey("CloudSage", "ann@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(key.URL(), "otpauth://totp/CloudSage:ann@example.com?") || len(key.Secret()) < 16 {
		t.Fatalf("key = %s", key.URL())
	}
	now := time.Date(2026, 5, 1, 12, 0, 10, 0, time.UTC)
	code, err := TOTPCode(key.Secret(), now)
	if err != nil {
		t.Fatal(err)
	}
	step, ok := CheckTOTP(key.Secret(), code, now)
	if !ok || step != now.Unix()/30 {
		t.Fatalf("CheckTOTP(current code) = %d, %v", step, ok)
	}
	// Drift of one step either way is accepted, and says which step matched.
	if s, ok := CheckTOTP(key.Secret(), code[:3]+" "+code[3:], now.Add(30*time.Second)); !ok || s != step {
		t.Errorf("a code one step old = %d, %v", s, ok)
	}
	if s, ok := CheckTOTP(key.Secret(), code, now.Add(-30*time.Second)); !ok || s != step {
		t.Errorf("a code one step early = %d, %v", s, ok)
	}
	if _, ok := CheckTOTP(key.Secret(), code, now.Add(90*time.Second)); ok {
		t.Error("a code three steps old passed")
	}
	other, _ := NewTOTPKey("CloudSage", "bob@example.com")
	if _, ok := CheckTOTP(other.Secret(), code, now); ok {
		t.Error("a code passed for another secret")
	}
	for _, bad := range []string{"", "12345", "1234567", "abcdef", "12345x", "١٢٣٤٥٦"} {
		if _, ok := CheckTOTP(key.Secret(), bad, now); ok {
			t.Errorf("CheckTOTP(%q) passed", bad)
		}
	}
	if _, ok := CheckTOTP("", code, now); ok {
		t.Error("an empty secret passed")
	}
}

func TestRecoveryCodes(t *testing.T) {
	codes, hashes := NewRecoveryCodes(RecoveryCodes)
	if len(codes) != 10 || len(hashes) != 10 {
		t.Fatalf("%d codes, %d hashes", len(codes), len(hashes))
	}
	seen := map[string]bool{}
	for i, c := range codes {
		if len(c) != 11 || c[5] != '-' || seen[c] {
			t.Errorf("code %q", c)
		}
		seen[c] = true
		if HashRecoveryCode(c) != hashes[i] || HashRecoveryCode(" "+strings.ToUpper(strings.ReplaceAll(c, "-", ""))) != hashes[i] {
			t.Errorf("code %q does not hash to its hash however typed", c)
		}
	}
}

// FuzzCheckTOTP: whatever is typed as a code, checking it never panics and
// only six digits can pass.
func FuzzCheckTOTP(f *testing.F) {
	for _, s := range []string{"123456", "123 456", "12-34-56", "", "abcdef", "1234567", "\x00\x00\x00\x00\x00\x00", "١٢٣٤٥٦"} {
		f.Add(s)
	}
	key, err := NewTOTPKey("CloudSage", "fuzz@example.com")
	if err != nil {
		f.Fatal(err)
	}
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, code string) {
		_, ok := CheckTOTP(key.Secret(), code, now)
		n := NormalizeCode(code)
		if ok && (len(n) != 6 || strings.Trim(n, "0123456789") != "") {
			t.Fatalf("CheckTOTP(%q) passed with %q", code, n)
		}
		if strings.ContainsAny(n, " -\t") {
			t.Fatalf("NormalizeCode(%q) = %q keeps a separator", code, n)
		}
		_ = HashRecoveryCode(code)
	})
}
