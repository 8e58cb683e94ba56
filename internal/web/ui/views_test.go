package ui

import (
	"testing"

	"github.com/cloudsage/cloudsage/internal/store"
)

func TestProjectRefRoles(t *testing.T) {
	tests := []struct {
		ref            *ProjectRef
		act, adminable bool
	}{
		{nil, false, false},
		{&ProjectRef{Role: store.RoleViewer}, false, false},
		{&ProjectRef{Role: store.RoleMember}, true, false},
		{&ProjectRef{Role: store.RoleAdmin}, true, true},
	}
	for _, tt := range tests {
		if got := tt.ref.CanAct(); got != tt.act {
			t.Errorf("%+v CanAct = %v, want %v", tt.ref, got, tt.act)
		}
		if got := tt.ref.CanAdmin(); got != tt.adminable {
			t.Errorf("%+v CanAdmin = %v, want %v", tt.ref, got, tt.adminable)
		}
	}
}
