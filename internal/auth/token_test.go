package auth

import (
	"strings"
	"testing"
)

func TestNewSecret(t *testing.T) {
	s1, h1 := NewSecret(TokenPrefix)
	s2, h2 := NewSecret(TokenPrefix)
	if !strings.HasPrefix(s1, "cs_") || len(s1) != 3+43 || s1 == s2 || h1 == h2 {
		t.Fatalf("NewSecret = %q/%q, %q/%q", s1, h1, s2, h2)
	}
	if HashSecret(s1) != h1 || len(h1) != 64 {
		t.Errorf("HashSecret(%q) = %q, want %q", s1, HashSecret(s1), h1)
	}
	if DisplayPrefix(s1) != s1[:10] || DisplayPrefix("abc") != "abc" {
		t.Errorf("DisplayPrefix = %q", DisplayPrefix(s1))
	}
}

func TestBearerToken(t *testing.T) {
	cases := []struct {
		in, want string
		ok       bool
	}{
		{"Bearer cs_abc", "cs_abc", true},
		{"bearer  cs_abc ", "cs_abc", true},
		{"Basic abc", "", false},
		{"Bearer", "", false},
		{"Bearer  ", "", false},
		{"", "", false},
	}
	for _, c := range cases {
		got, ok := BearerToken(c.in)
		if got != c.want || ok != c.ok {
			t.Errorf("BearerToken(%q) = %q, %v, want %q, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}

// FuzzBearerToken: whatever the Authorization header, a token found is
// non-empty, without surrounding blanks, and is what "Bearer <token>" gives.
func FuzzBearerToken(f *testing.F) {
	for _, s := range []string{"Bearer cs_abc", "bearer  cs_x ", "Basic dXNlcjpwYXNz", "Bearer", "Bearer ", "", "Token x", "BEARER\tcs_y", "Bearer a b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		tok, ok := BearerToken(h)
		if !ok {
			if tok != "" {
				t.Fatalf("BearerToken(%q) = %q without ok", h, tok)
			}
			return
		}
		if tok == "" || strings.TrimSpace(tok) != tok {
			t.Fatalf("BearerToken(%q) = %q", h, tok)
		}
		if again, ok := BearerToken("Bearer " + tok); !ok || again != tok {
			t.Fatalf("BearerToken(Bearer %q) = %q, %v", tok, again, ok)
		}
	})
}
