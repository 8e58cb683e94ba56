// Package webtest starts a real CloudSage server for the tests of packages
// that talk to it as a client would (shipper clients, the forwarder): the
// engine, a SQLite store in the test's temporary folder, one project and a
// member API token for it, on a loopback httptest server.
package webtest

import (
	"context"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/cloudsage/cloudsage/internal/auth"
	"github.com/cloudsage/cloudsage/internal/config"
	"github.com/cloudsage/cloudsage/internal/ingest"
	"github.com/cloudsage/cloudsage/internal/store"
	"github.com/cloudsage/cloudsage/internal/store/sqlite"
	"github.com/cloudsage/cloudsage/internal/web"
)

// Server is a running server with one project and its API token.
type Server struct {
	URL     string
	Token   string
	Store   store.Store
	Project store.Project
}

// Start starts a server whose one project is named project; everything is
// closed when t ends.
func Start(t testing.TB, project string) *Server {
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
	p, err := st.CreateProject(ctx, u.ID, store.Project{Name: project, Settings: store.DefaultSettings()})
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
	return &Server{URL: hs.URL, Token: secret, Store: st, Project: p}
}
