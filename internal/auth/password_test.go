package auth

import (
	"errors"
	"strings"
	"testing"
)

var fast = Params{Time: 1, MemoryKiB: 64, Threads: 1}

func TestPassword(t *testing.T) {
	h, err := HashPassword("correct horse battery", fast)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Errorf("HashPassword = %q, want a PHC argon2id string", h)
	}
	h2, _ := HashPassword("correct horse battery", fast)
	if h == h2 {
		t.Error("two hashes of one password are equal: salt not random")
	}
	cases := []struct {
		name, hash, pw string
		want           error
		malformed      bool
	}{
		{"right", h, "correct horse battery", nil, false},
		{"wrong", h, "correct horse battery!", ErrMismatch, false},
		{"empty", h, "", ErrMismatch, false},
		{"not argon", "$2a$10$abc", "x", nil, true},
		{"bad params", "$argon2id$v=19$m=x$aa$bb", "x", nil, true},
		{"bad salt", "$argon2id$v=19$m=64,t=1,p=1$!!$bb", "x", nil, true},
	}
	for _, c := range cases {
		err := CheckPassword(c.hash, c.pw)
		switch {
		case c.malformed && (err == nil || errors.Is(err, ErrMismatch)):
			t.Errorf("%s: CheckPassword = %v, want a malformed-hash error", c.name, err)
		case !c.malformed && !errors.Is(err, c.want) || !c.malformed && c.want == nil && err != nil:
			t.Errorf("%s: CheckPassword = %v, want %v", c.name, err, c.want)
		}
	}
}

func BenchmarkHashPassword(b *testing.B) {
	for b.Loop() {
		HashPassword("correct horse battery", DefaultParams)
	}
}
