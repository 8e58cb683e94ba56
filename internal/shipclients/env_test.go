package shipclients

import (
	"context"
	"strings"
	"testing"

	"github.com/cloudsage/cloudsage/internal/store"
	"github.com/cloudsage/cloudsage/internal/web/webtest"
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
	s := webtest.Start(t, "clients")
	return &env{t: t, url: s.URL, token: s.Token, st: s.Store, project: s.Project}
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
