package store

import (
	"testing"
	"testing/fstest"
	"time"
)

func TestRoleAllows(t *testing.T) {
	cases := []struct {
		r, min Role
		want   bool
	}{
		{RoleAdmin, RoleViewer, true}, {RoleAdmin, RoleAdmin, true}, {RoleMember, RoleAdmin, false},
		{RoleMember, RoleMember, true}, {RoleViewer, RoleMember, false}, {"", RoleViewer, false}, {"root", RoleViewer, false},
	}
	for _, c := range cases {
		if got := c.r.Allows(c.min); got != c.want {
			t.Errorf("Role(%q).Allows(%q) = %v, want %v", c.r, c.min, got, c.want)
		}
	}
}

func TestActionHidden(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	later := now.Add(time.Hour)
	cases := []struct {
		a    ActionStatus
		want bool
	}{
		{ActionStatus{Status: ActionDone}, true},
		{ActionStatus{Status: ActionDismissed}, true},
		{ActionStatus{Status: ActionSnoozed, Until: &later}, true},
		{ActionStatus{Status: ActionSnoozed, Until: &now}, false},
	}
	for _, c := range cases {
		if got := c.a.Hidden(now); got != c.want {
			t.Errorf("Hidden(%+v) = %v, want %v", c.a, got, c.want)
		}
	}
}

func TestMigrationsNames(t *testing.T) {
	fsys := fstest.MapFS{
		"m/0002_b.sql": {Data: []byte("B")},
		"m/0001_a.sql": {Data: []byte("A")},
		"m/README":     {Data: []byte("x")},
	}
	ms, err := Migrations(fsys, "m")
	if err != nil || len(ms) != 2 || ms[0].Version != 1 || ms[1].Name != "b" {
		t.Fatalf("Migrations = %+v, %v", ms, err)
	}
	for _, bad := range []string{"m/x_a.sql", "m/0001_c.sql"} {
		f := fstest.MapFS{"m/0001_a.sql": {Data: []byte("A")}, bad: {Data: []byte("C")}}
		if _, err := Migrations(f, "m"); err == nil {
			t.Errorf("Migrations with %s: no error", bad)
		}
	}
}
