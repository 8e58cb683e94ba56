package auth

import (
	"context"
	"testing"
)

func TestPrincipal(t *testing.T) {
	if _, ok := PrincipalFrom(context.Background()); ok {
		t.Fatal("empty context has a principal")
	}
	ctx := WithPrincipal(context.Background(), Principal{UserID: 7})
	if p, ok := PrincipalFrom(ctx); !ok || p.UserID != 7 {
		t.Errorf("PrincipalFrom = %+v, %v", p, ok)
	}
}
