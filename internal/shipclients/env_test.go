package shipclients

import (
	"context"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cloudsage/cloudsage/internal/auth"
	"github.com/cloudsage/cloudsage/internal/config"
	"github.com/cloudsage/cloudsage/internal/ingest"
	"github.com/cloudsage/cloudsage/internal/store"
	"github.com/cloudsage/cloudsage/internal/store/sqlite"
	"github.com/cloudsage/cloudsage/internal/web"
)

// env is a real server (engine, SQLite store) on loopback with one project
// and a member API token for it.
type env struct {
	t       *testing.T
	url     string
	token   string
	st      store.Store
	project store.Project
}

func start(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "cloudsage.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	u, err := st.CreateUser(ctx, store.User{Email: "a@example.com", PasswordHash: "x"})
	if err != nil {
		t.Fatal(err)
	}
	p, err := st.CreateProject(ctx, u.ID, store.Project{Name: "clients", Settings: store.DefaultSettings()})
	if err != nil {
		t.Fatal(err)
	}
	secret, hash := auth.NewSecret(auth.TokenPrefix)
	if _, err := st.CreateToken(ctx, store.Token{ProjectID: p.ID, Name: "t", Prefix: auth.DisplayPrefix(secret), Hash: hash, Role: store.RoleMember, CreatedBy: u.ID}); err != nil {
		t.Fatal(err)
	}
	svc := ingest.NewService(st, ingest.NewEngine, time.Now, nil)
	srv, err := web.New(web.Options{Config: config.Default(), Store: st, Ingest: svc, Password: auth.Params{Time: 1, MemoryKiB: 64, Threads: 1}})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	return &env{t: t, url: hs.URL, token: secret, st: st, project: p}
}

// events returns the stored events whose text has word.
func (e *env) events(word string) []cloudsageEvent {
	e.t.Helper()
	page, err := e.st.SearchEvents(context.Background(), store.EventQuery{Project: e.project.ID, Q: word, Limit: store.MaxEventLimit})
	if err != nil {
		e.t.Fatal(err)
	}
	out := make([]cloudsageEvent, len(page.Events))
	for i, ev := range page.Events {
		out[i] = cloudsageEvent{Level: ev.Level.String(), Service: ev.Service, Host: ev.Host, Message: ev.Message, Fields: ev.Fields}
	}
	return out
}

type cloudsageEvent struct {
	Level, Service, Host, Message string
	Fields                        map[string]string
}

func hostOf(url string) string { return strings.TrimPrefix(url, "http://") }
