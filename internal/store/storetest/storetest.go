// Package storetest is the behaviour every store.Store must have. Each
// dialect's test calls Run with a function that opens a fresh, empty store.
package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/cloudsage/cloudsage"
	"github.com/cloudsage/cloudsage/internal/store"
)

// Run runs the suite; open returns a fresh, empty, migrated store that the
// caller closes in t.Cleanup.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"Users", testUsers},
		{"Sessions", testSessions},
		{"Projects", testProjects},
		{"Tokens", testTokens},
		{"Activity", testActivity},
		{"Ingest", testIngest},
		{"IngestRollback", testIngestRollback},
		{"Append", testAppend},
		{"SavedSearches", testSavedSearches},
		{"Facets", testFacets},
		{"ScanEvents", testScanEvents},
		{"Billing", testBilling},
		{"ManyPatterns", testManyPatterns},
		{"Search", testSearch},
		{"SearchChunks", testSearchChunks},
		{"SearchTies", testSearchTies},
		{"RetentionChunks", testRetentionChunks},
		{"Compaction", testCompaction},
		{"CompactionInOrder", testCompactionInOrder},
		{"PagingWhileIngesting", testPagingWhileIngesting},
		{"Reports", testReports},
		{"Actions", testActions},
		{"Retention", testRetention},
		{"Secret", testSecret},
		{"Notifications", testNotifications},
		{"SignIn", testSignIn},
		{"Learning", testLearning},
		{"Invitations", testInvitations},
		{"LastAdmin", testLastAdmin},
		{"Comments", testComments},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, open(t)) })
	}
}

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func wantKind(t *testing.T, what string, err error, k cloudsage.ErrorKind) {
	t.Helper()
	if got := cloudsage.KindOf(err); got != k {
		t.Fatalf("%s: error kind %q (%v), want %q", what, got, err, k)
	}
}

// must(v, err)(t) returns v, failing t on err.
func must[T any](v T, err error) func(t *testing.T) T {
	return func(t *testing.T) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

func must2[T, U any](v T, w U, err error) func(t *testing.T) (T, U) {
	return func(t *testing.T) (T, U) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v, w
	}
}

func noErr(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func user(t *testing.T, s store.Store, email string) store.User {
	t.Helper()
	return must(s.CreateUser(context.Background(), store.User{Email: email, PasswordHash: "h:" + email}))(t)
}

func testUsers(t *testing.T, s store.Store) {
	ctx := context.Background()
	u := user(t, s, "Ann@Example.com")
	if u.ID == 0 || u.Email != "ann@example.com" {
		t.Fatalf("CreateUser = %+v, want an id and a lowercased email", u)
	}
	_, err := s.CreateUser(ctx, store.User{Email: "ann@example.com", PasswordHash: "x"})
	wantKind(t, "duplicate email", err, cloudsage.Conflict)
	got := must(s.UserByEmail(ctx, "ANN@example.com"))(t)
	if got.ID != u.ID || got.PasswordHash != "h:Ann@Example.com" {
		t.Errorf("UserByEmail = %+v, want %+v", got, u)
	}
	got = must(s.UserByID(ctx, u.ID))(t)
	if got.Email != u.Email {
		t.Errorf("UserByID = %+v", got)
	}
	_, err = s.UserByEmail(ctx, "nobody@example.com")
	wantKind(t, "missing user", err, cloudsage.NotFound)
	_, err = s.UserByID(ctx, u.ID+100)
	wantKind(t, "missing user id", err, cloudsage.NotFound)
}

func testSessions(t *testing.T, s store.Store) {
	ctx := context.Background()
	u := user(t, s, "ann@example.com")
	noErr(t, s.CreateSession(ctx, store.Session{Hash: "live", UserID: u.ID, CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}))
	noErr(t, s.CreateSession(ctx, store.Session{Hash: "old", UserID: u.ID, CreatedAt: t0, ExpiresAt: t0.Add(-time.Minute)}))
	got := must(s.SessionByHash(ctx, "live", t0))(t)
	if got.UserID != u.ID || !got.ExpiresAt.Equal(t0.Add(time.Hour)) {
		t.Errorf("SessionByHash = %+v", got)
	}
	_, err := s.SessionByHash(ctx, "old", t0)
	wantKind(t, "expired session", err, cloudsage.NotFound)
	n := must(s.DeleteExpiredSessions(ctx, t0))(t)
	if n != 1 {
		t.Errorf("DeleteExpiredSessions = %d, want 1", n)
	}
	noErr(t, s.DeleteSession(ctx, "live"))
	_, err = s.SessionByHash(ctx, "live", t0)
	wantKind(t, "deleted session", err, cloudsage.NotFound)
}

func testProjects(t *testing.T, s store.Store) {
	ctx := context.Background()
	ann, bob := user(t, s, "ann@example.com"), user(t, s, "bob@example.com")
	p := must(s.CreateProject(ctx, ann.ID, store.Project{Name: "shop"}))(t)
	if p.ID == 0 || p.Role != store.RoleAdmin || p.Settings.HighThreshold != 70 {
		t.Fatalf("CreateProject = %+v", p)
	}
	got := must(s.Project(ctx, p.ID, ann.ID))(t)
	if got.Name != "shop" || got.Role != store.RoleAdmin || got.Settings.RetentionDays != 30 {
		t.Errorf("Project(owner) = %+v", got)
	}
	_, err := s.Project(ctx, p.ID, bob.ID)
	wantKind(t, "Project(other user)", err, cloudsage.NotFound)
	_, err = s.Project(ctx, p.ID+1000, ann.ID)
	wantKind(t, "Project(missing)", err, cloudsage.NotFound)
	if ps := must(s.Projects(ctx, bob.ID))(t); len(ps) != 0 {
		t.Errorf("Projects(bob) = %v, want none", ps)
	}

	noErr(t, s.SetMember(ctx, store.Member{ProjectID: p.ID, UserID: bob.ID, Role: store.RoleViewer}))
	got = must(s.Project(ctx, p.ID, bob.ID))(t)
	if got.Role != store.RoleViewer {
		t.Errorf("Project(viewer).Role = %q", got.Role)
	}
	wantKind(t, "bad role", s.SetMember(ctx, store.Member{ProjectID: p.ID, UserID: bob.ID, Role: "owner"}), cloudsage.Invalid)
	ms := must(s.Members(ctx, p.ID))(t)
	if len(ms) != 2 || ms[0].Role != store.RoleAdmin || ms[1].Email != "bob@example.com" {
		t.Errorf("Members = %+v", ms)
	}
	must(s.RemoveMember(ctx, p.ID, bob.ID))(t)
	_, err = s.Project(ctx, p.ID, bob.ID)
	wantKind(t, "Project(removed member)", err, cloudsage.NotFound)

	got.Name = "shop-eu"
	got.Settings.HighThreshold = 80
	got.Settings.TimeZone = "Europe/Paris"
	noErr(t, s.UpdateProject(ctx, got))
	got = must(s.ProjectByID(ctx, p.ID))(t)
	if got.Name != "shop-eu" || got.Settings.HighThreshold != 80 || got.Settings.TimeZone != "Europe/Paris" {
		t.Errorf("after UpdateProject = %+v", got)
	}
	p2 := must(s.CreateProject(ctx, ann.ID, store.Project{Name: "blog"}))(t)
	ps := must(s.Projects(ctx, ann.ID))(t)
	if len(ps) != 2 || ps[0].ID != p.ID || ps[1].ID != p2.ID {
		t.Errorf("Projects(ann) = %+v", ps)
	}
	noErr(t, s.DeleteProject(ctx, p.ID))
	_, err = s.Project(ctx, p.ID, ann.ID)
	wantKind(t, "deleted project", err, cloudsage.NotFound)
	wantKind(t, "delete again", s.DeleteProject(ctx, p.ID), cloudsage.NotFound)
	if all := must(s.AllProjects(ctx))(t); len(all) != 1 || all[0].ID != p2.ID {
		t.Errorf("AllProjects = %+v", all)
	}
}

func testTokens(t *testing.T, s store.Store) {
	ctx := context.Background()
	ann := user(t, s, "ann@example.com")
	p := must(s.CreateProject(ctx, ann.ID, store.Project{Name: "a"}))(t)
	q := must(s.CreateProject(ctx, ann.ID, store.Project{Name: "b"}))(t)
	tok := must(s.CreateToken(ctx, store.Token{ProjectID: p.ID, Name: "ci", Prefix: "cs_ab", Hash: "h1", CreatedBy: ann.ID}))(t)
	if tok.ID == 0 {
		t.Fatal("CreateToken gave no id")
	}
	if !slices.Equal(tok.Scopes, []store.Scope{store.ScopeIngest}) || tok.Role != store.RoleMember {
		t.Errorf("a token without scopes got %v (%s), want [ingest] (member)", tok.Scopes, tok.Role)
	}
	_, err := s.CreateToken(ctx, store.Token{ProjectID: q.ID, Name: "dup", Hash: "h1"})
	wantKind(t, "duplicate token hash", err, cloudsage.Conflict)
	_, err = s.CreateToken(ctx, store.Token{ProjectID: q.ID, Name: "x", Hash: "h2", Scopes: []store.Scope{"root"}})
	wantKind(t, "bad token scope", err, cloudsage.Invalid)
	got := must(s.TokenByHash(ctx, "h1", t0, "192.0.2.1"))(t)
	if got.ID != tok.ID || got.ProjectID != p.ID || got.LastUsedAt == nil || got.LastIP != "192.0.2.1" ||
		!got.Has(store.ScopeIngest) || got.Has(store.ScopeRead) || got.CreatedBy != ann.ID {
		t.Errorf("TokenByHash = %+v", got)
	}
	// A later use from another address is recorded at once.
	must(s.TokenByHash(ctx, "h1", t0.Add(time.Second), "192.0.2.2"))(t)
	ts := must(s.Tokens(ctx, p.ID))(t)
	if len(ts) != 1 || ts[0].Name != "ci" || ts[0].Prefix != "cs_ab" || ts[0].CreatedByEmail != "ann@example.com" ||
		ts[0].LastIP != "192.0.2.2" || ts[0].LastUsedAt == nil || !ts[0].LastUsedAt.Equal(t0.Add(time.Second)) {
		t.Errorf("Tokens = %+v", ts)
	}
	if ts := must(s.Tokens(ctx, q.ID))(t); len(ts) != 0 {
		t.Errorf("Tokens(other project) = %+v", ts)
	}

	// Scopes are kept in order, admin implies the rest; expiry is kept.
	exp := t0.Add(time.Hour)
	adm := must(s.CreateToken(ctx, store.Token{ProjectID: p.ID, Name: "ops", Hash: "h3", CreatedBy: ann.ID, CreatedByToken: tok.ID,
		Scopes: []store.Scope{store.ScopeAdmin, store.ScopeRead}, ExpiresAt: &exp}))(t)
	got = must(s.TokenByHash(ctx, "h3", t0, "::1"))(t)
	if !slices.Equal(got.Scopes, []store.Scope{store.ScopeRead, store.ScopeAdmin}) || !got.Has(store.ScopeIngest) ||
		got.Role != store.RoleAdmin || got.CreatedByToken != tok.ID || got.ExpiresAt == nil || !got.ExpiresAt.Equal(exp) {
		t.Errorf("admin token = %+v", got)
	}
	// Expired: returned (the caller refuses it) but its use is not recorded.
	got = must(s.TokenByHash(ctx, "h3", exp, "192.0.2.9"))(t)
	if !got.Expired(exp) || got.LastIP != "::1" {
		t.Errorf("expired token = %+v", got)
	}
	noErr(t, s.DeleteToken(ctx, p.ID, adm.ID))

	wantKind(t, "delete via other project", s.DeleteToken(ctx, q.ID, tok.ID), cloudsage.NotFound)
	noErr(t, s.DeleteToken(ctx, p.ID, tok.ID))
	_, err = s.TokenByHash(ctx, "h1", t0, "")
	wantKind(t, "revoked token", err, cloudsage.NotFound)
}

func testActivity(t *testing.T, s store.Store) {
	ctx := context.Background()
	ann := user(t, s, "ann@example.com")
	p := must(s.CreateProject(ctx, ann.ID, store.Project{Name: "a"}))(t)
	q := must(s.CreateProject(ctx, ann.ID, store.Project{Name: "b"}))(t)
	a1 := must(s.AddActivity(ctx, store.Activity{ProjectID: p.ID, ActorUser: ann.ID, Kind: "token.created", Detail: json.RawMessage(`{"name":"ci"}`)}))(t)
	must(s.AddActivity(ctx, store.Activity{ProjectID: p.ID, ActorToken: 7, Kind: "member.set"}))(t)
	must(s.AddActivity(ctx, store.Activity{ProjectID: p.ID, ActorUser: ann.ID, Kind: "token_x"}))(t)
	must(s.AddActivity(ctx, store.Activity{ProjectID: q.ID, ActorUser: ann.ID, Kind: "token.revoked"}))(t)
	_, err := s.AddActivity(ctx, store.Activity{ProjectID: p.ID, Kind: ""})
	wantKind(t, "no kind", err, cloudsage.Invalid)
	_, err = s.AddActivity(ctx, store.Activity{ProjectID: p.ID, Kind: "x", Detail: json.RawMessage(`{`)})
	wantKind(t, "bad detail", err, cloudsage.Invalid)

	all := must(s.Activities(ctx, store.ActivityQuery{Project: p.ID}))(t)
	if len(all) != 3 || all[0].Kind != "token_x" || all[2].ID != a1.ID || string(all[1].Detail) != "{}" ||
		all[1].ActorToken != 7 || all[2].ActorUser != ann.ID || all[2].At.IsZero() {
		t.Fatalf("Activities = %+v", all)
	}
	var d map[string]string
	if err := json.Unmarshal(all[2].Detail, &d); err != nil || d["name"] != "ci" {
		t.Errorf("detail = %s", all[2].Detail)
	}
	if tok := must(s.Activities(ctx, store.ActivityQuery{Project: p.ID, Kind: "token."}))(t); len(tok) != 1 || tok[0].ID != a1.ID {
		t.Errorf("kind prefix token. = %+v", tok)
	}
	if page := must(s.Activities(ctx, store.ActivityQuery{Project: p.ID, Before: all[0].ID, Limit: 1}))(t); len(page) != 1 || page[0].ID != all[1].ID {
		t.Errorf("page before %d = %+v", all[0].ID, page)
	}
	noErr(t, s.DeleteProject(ctx, q.ID))
	if got := must(s.Activities(ctx, store.ActivityQuery{Project: q.ID}))(t); len(got) != 0 {
		t.Errorf("activity of a deleted project = %+v", got)
	}
}

// events returns n events, one a second from t0, every third an error.
func events(n int, word string) []cloudsage.Event {
	evs := make([]cloudsage.Event, n)
	for i := range evs {
		lvl := cloudsage.LevelInfo
		if i%3 == 0 {
			lvl = cloudsage.LevelError
		}
		msg := fmt.Sprintf("%s request %d served", word, i)
		evs[i] = cloudsage.Event{
			Time: t0.Add(time.Duration(i) * time.Second), Level: lvl, Service: []string{"api", "web"}[i%2], Host: fmt.Sprintf("h%d", i%5),
			Message: msg, Raw: "2026-03-01 " + msg, Format: "plain", Pattern: cloudsage.PatternID(fmt.Sprintf("p%d", i%4)),
			Fields:  map[string]string{"i": fmt.Sprint(i)},
			Signals: cloudsage.Signals{Status: 200 + i%2*300, LatencyMS: float64(i), HasLatency: true},
		}
	}
	return evs
}

func ingest(t *testing.T, s store.Store, p cloudsage.ProjectID, known int64, evs []cloudsage.Event) store.Ingested {
	t.Helper()
	return must(s.Ingest(context.Background(), p, known, func(st store.State) (store.Write, error) {
		return store.Write{
			Batch:    store.Batch{Source: "text", Received: len(evs), Accepted: len(evs), Formats: map[string]int{"plain": len(evs)}, Score: 42, Label: "medium"},
			Events:   evs,
			Snapshot: []byte(fmt.Sprintf("snap-%d", st.Version+1)),
			Patterns: []store.Pattern{{ID: "p0", Template: "<*> request <*> served", Count: int64(len(evs)), FirstSeen: t0, LastSeen: t0.Add(time.Hour)}},
			Report:   &store.Report{At: t0, Horizon: 24, Score: 42, Label: "medium", Body: []byte(`{"risk":{"score":42}}`)},
			Keep:     true,
		}, nil
	}))(t)
}

func testIngest(t *testing.T, s store.Store) {
	ctx := context.Background()
	ann := user(t, s, "ann@example.com")
	p := must(s.CreateProject(ctx, ann.ID, store.Project{Name: "a"}))(t)
	st := must(s.LoadState(ctx, p.ID, -1))(t)
	if st.Version != 0 || st.Snapshot != nil {
		t.Fatalf("fresh LoadState = %+v", st)
	}
	res := ingest(t, s, p.ID, 0, events(10, "alpha"))
	if res.Version != 1 || res.Batch.ID == 0 || res.Batch.Accepted != 10 {
		t.Fatalf("Ingest = %+v", res)
	}
	// The caller's engine is at version 1: the snapshot is not handed back.
	_, err := s.Ingest(ctx, p.ID, 1, func(st store.State) (store.Write, error) {
		if st.Changed || st.Version != 1 {
			t.Errorf("State at known version = %+v, want unchanged version 1", st)
		}
		return store.Write{Snapshot: []byte("snap-2")}, nil
	})
	noErr(t, err)
	// A caller at an older version gets the stored snapshot.
	_, err = s.Ingest(ctx, p.ID, 0, func(st store.State) (store.Write, error) {
		if !st.Changed || string(st.Snapshot) != "snap-2" {
			t.Errorf("State at stale version = %+v, want changed with snap-2", st)
		}
		return store.Write{Snapshot: []byte("snap-3")}, nil
	})
	noErr(t, err)
	st = must(s.LoadState(ctx, p.ID, -1))(t)
	if st.Version != 3 || string(st.Snapshot) != "snap-3" {
		t.Errorf("LoadState = %d %q, want 3 snap-3", st.Version, st.Snapshot)
	}
	bs := must(s.Batches(ctx, p.ID, 10))(t)
	if len(bs) != 3 || bs[2].Accepted != 10 || bs[2].Formats["plain"] != 10 || bs[2].Status != "committed" {
		t.Errorf("Batches = %+v", bs)
	}
	if n := must(s.CountEvents(ctx, p.ID))(t); n != 10 {
		t.Errorf("CountEvents = %d, want 10", n)
	}
	got := must(s.Project(ctx, p.ID, ann.ID))(t)
	if got.Events != 10 || got.LastIngestAt == nil || got.Score != 42 {
		t.Errorf("Project after ingest = %+v", got)
	}
	ps := must(s.Patterns(ctx, p.ID, 0))(t)
	if len(ps) != 1 || ps[0].Count != 10 || ps[0].Template != "<*> request <*> served" {
		t.Errorf("Patterns = %+v", ps)
	}
	// Counts add up; an empty template keeps the stored one.
	_, err = s.Ingest(ctx, p.ID, 3, func(store.State) (store.Write, error) {
		return store.Write{Patterns: []store.Pattern{{ID: "p0", Count: 5, LastSeen: t0.Add(2 * time.Hour)}, {ID: "p9", Template: "new <*>", Count: 1, FirstSeen: t0, LastSeen: t0}}}, nil
	})
	noErr(t, err)
	ps = must(s.Patterns(ctx, p.ID, 0))(t)
	if len(ps) != 2 || ps[0].Count != 15 || ps[0].Template != "<*> request <*> served" || !ps[0].LastSeen.Equal(t0.Add(2*time.Hour)) || !ps[0].FirstSeen.Equal(t0) {
		t.Errorf("Patterns after second upsert = %+v", ps)
	}
	_, err = s.Ingest(ctx, p.ID+1000, 0, func(store.State) (store.Write, error) { return store.Write{}, nil })
	wantKind(t, "ingest into missing project", err, cloudsage.NotFound)
}

// Batches of patterns larger than one upsert statement (full statements
// and a remainder) insert, then add up, every pattern.
func testManyPatterns(t *testing.T, s store.Store) {
	ctx := context.Background()
	ann := user(t, s, "ann@example.com")
	p := must(s.CreateProject(ctx, ann.ID, store.Project{Name: "a"}))(t)
	batch := func(n int, count int64, at time.Time) []store.Pattern {
		ps := make([]store.Pattern, n)
		for i := range ps {
			ps[i] = store.Pattern{ID: cloudsage.PatternID(fmt.Sprintf("p%03d", i)), Template: fmt.Sprintf("t%d <*>", i), Count: count + int64(i), FirstSeen: at, LastSeen: at}
		}
		return ps
	}
	for i, n := range []int{123, 101} {
		_, err := s.Ingest(ctx, p.ID, int64(i), func(store.State) (store.Write, error) {
			return store.Write{Patterns: batch(n, int64(i+1), t0.Add(time.Duration(i)*time.Hour))}, nil
		})
		noErr(t, err)
	}
	ps := must(s.Patterns(ctx, p.ID, 0))(t)
	if len(ps) != 123 {
		t.Fatalf("Patterns = %d, want 123", len(ps))
	}
	for _, q := range ps {
		var i int
		fmt.Sscanf(string(q.ID), "p%d", &i)
		want, last := int64(1+i), t0
		if i < 101 {
			want, last = int64(1+i)+int64(2+i), t0.Add(time.Hour)
		}
		if q.Count != want || q.Template != fmt.Sprintf("t%d <*>", i) || !q.FirstSeen.Equal(t0) || !q.LastSeen.Equal(last) {
			t.Errorf("pattern %s = %+v, want count %d, last seen %v", q.ID, q, want, last)
		}
	}
}

func testIngestRollback(t *testing.T, s store.Store) {
	ctx := context.Background()
	ann := user(t, s, "ann@example.com")
	p := must(s.CreateProject(ctx, ann.ID, store.Project{Name: "a"}))(t)
	ingest(t, s, p.ID, 0, events(5, "alpha"))
	boom := errors.New("boom")
	_, err := s.Ingest(ctx, p.ID, 1, func(store.State) (store.Write, error) { return store.Write{}, boom })
	if !errors.Is(err, boom) {
		t.Fatalf("Ingest with failing fn = %v, want boom", err)
	}
	// A batch that fails after its events are written (a report without a
	// body violates NOT NULL) leaves nothing of itself.
	_, err = s.Ingest(ctx, p.ID, 1, func(store.State) (store.Write, error) {
		return store.Write{Events: events(3, "beta"), Snapshot: []byte("bad"),
			Report: &store.Report{At: t0, Horizon: 24}, Keep: true}, nil
	})
	if err == nil {
		t.Fatal("Ingest with a bad report succeeded, want an error")
	}
	st := must(s.LoadState(ctx, p.ID, -1))(t)
	if st.Version != 1 || string(st.Snapshot) != "snap-1" {
		t.Errorf("state after failed batches = %d %q, want 1 snap-1", st.Version, st.Snapshot)
	}
	if n := must(s.CountEvents(ctx, p.ID))(t); n != 5 {
		t.Errorf("CountEvents after failed batch = %d, want 5", n)
	}
	if page := must(s.SearchEvents(ctx, store.EventQuery{Project: p.ID, Q: "beta"}))(t); len(page.Events) != 0 {
		t.Errorf("failed batch's events are searchable: %d", len(page.Events))
	}
	if bs := must(s.Batches(ctx, p.ID, 10))(t); len(bs) != 1 {
		t.Errorf("Batches after failures = %d, want 1", len(bs))
	}
}

func testSearch(t *testing.T, s store.Store) {
	ctx := context.Background()
	ann := user(t, s, "ann@example.com")
	p := must(s.CreateProject(ctx, ann.ID, store.Project{Name: "a"}))(t)
	other := must(s.CreateProject(ctx, ann.ID, store.Project{Name: "b"}))(t)
	evs := events(30, "alpha")
	evs[7].Message = "disk full on /var/lib/data.db durability-marker-7"
	evs[7].Raw = evs[7].Message
	evs[7].Fields = map[string]string{"i": "7", "user": "quokka \"the\" \\ tab\t"}
	ingest(t, s, p.ID, 0, evs)
	ingest(t, s, other.ID, 0, events(30, "alpha"))

	ids := func(page store.EventPage) []string {
		var out []string
		for _, e := range page.Events {
			out = append(out, e.Fields["i"])
		}
		return out
	}
	all := must(s.SearchEvents(ctx, store.EventQuery{Project: p.ID, Limit: 1000}))(t)
	if len(all.Events) != 30 || all.NextCursor != "" || all.Events[0].Fields["i"] != "29" {
		t.Fatalf("all events: %d, cursor %q, first %v", len(all.Events), all.NextCursor, ids(all))
	}
	bs := must(s.Batches(ctx, p.ID, 1))(t)
	for _, e := range all.Events {
		if e.BatchID != bs[0].ID {
			t.Fatalf("event %d has batch id %d, want %d", e.ID, e.BatchID, bs[0].ID)
		}
	}
	e := all.Events[29]
	want := evs[0]
	want.Time = want.Time.UTC()
	if diff := cmp.Diff(want, e.Event); diff != "" {
		t.Errorf("stored event differs (-want +got):\n%s", diff)
	}
	// Paging visits every event once, newest first.
	var seen []string
	q := store.EventQuery{Project: p.ID, Limit: 7}
	for range 10 {
		page := must(s.SearchEvents(ctx, q))(t)
		seen = append(seen, ids(page)...)
		if page.NextCursor == "" {
			break
		}
		q.Cursor = page.NextCursor
	}
	if diff := cmp.Diff(ids(all), seen); diff != "" {
		t.Errorf("paged ids differ from one page (-all +paged):\n%s", diff)
	}

	cases := []struct {
		name string
		q    store.EventQuery
		want int
	}{
		{"word", store.EventQuery{Q: "alpha"}, 29},
		{"word case", store.EventQuery{Q: "ALPHA"}, 29},
		{"two words", store.EventQuery{Q: "disk full"}, 1},
		{"path part", store.EventQuery{Q: "data"}, 1},
		{"hyphenated", store.EventQuery{Q: "durability-marker-7"}, 1},
		{"hyphen part", store.EventQuery{Q: "marker"}, 1},
		{"no match", store.EventQuery{Q: "zebra"}, 0},
		{"field value", store.EventQuery{Q: "quokka"}, 1},
		{"field name", store.EventQuery{Q: "user"}, 1},
		{"punctuation only", store.EventQuery{Q: `"*"`}, 0},
		{"quote inside", store.EventQuery{Q: `al"pha`}, 0},
		{"level", store.EventQuery{Levels: []cloudsage.Level{cloudsage.LevelError}}, 10},
		{"levels", store.EventQuery{Levels: []cloudsage.Level{cloudsage.LevelError, cloudsage.LevelInfo}}, 30},
		{"service", store.EventQuery{Service: "api"}, 15},
		{"pattern", store.EventQuery{Pattern: "p1"}, 8},
		{"from", store.EventQuery{From: t0.Add(20 * time.Second)}, 10},
		{"to", store.EventQuery{To: t0.Add(20 * time.Second)}, 20},
		{"combined", store.EventQuery{Q: "served", Levels: []cloudsage.Level{cloudsage.LevelError}, Service: "api", To: t0.Add(20 * time.Second)}, 4},
		// Hosts: h<i%5>, 6 events each; errors are i%3 == 0, api is even i, status 500 is odd i.
		{"host", store.EventQuery{Host: "h0"}, 6},
		{"host and service", store.EventQuery{Host: "h0", Service: "api"}, 3},
		{"host: query", store.EventQuery{Q: "host:h0"}, 6},
		{"host: query and parameter differ", store.EventQuery{Q: "host:h0", Host: "h1"}, 0},
		{"two hosts", store.EventQuery{Q: "host:h0 host:h1"}, 12},
		{"not a host", store.EventQuery{Q: "-host:h0"}, 24},
		{"host is exact", store.EventQuery{Q: "host:H0"}, 0},
		{"level: query", store.EventQuery{Q: "level:error"}, 10},
		{"level: ignores case", store.EventQuery{Q: "level:ERROR"}, 10},
		{"two levels", store.EventQuery{Q: "level:error level:info"}, 30},
		{"not a level", store.EventQuery{Q: "-level:error"}, 20},
		{"level: and level parameter", store.EventQuery{Q: "level:error", Levels: []cloudsage.Level{cloudsage.LevelInfo}}, 0},
		{"level and host", store.EventQuery{Q: "level:error host:h0"}, 2},
		{"service: query", store.EventQuery{Q: "service:api host:h0"}, 3},
		{"pattern: query", store.EventQuery{Q: "pattern:p1"}, 8},
		{"parsed field", store.EventQuery{Q: "i:8"}, 1},
		{"parsed field name ignores case", store.EventQuery{Q: "I:8"}, 1},
		{"parsed field and word", store.EventQuery{Q: "i:8 alpha"}, 1},
		{"parsed field value is whole", store.EventQuery{Q: "user:quokka"}, 0},
		{"quoted field value", store.EventQuery{Q: `user:"quokka \"the\" \\ tab	"`}, 1},
		{"absent field", store.EventQuery{Q: "team:x"}, 0},
		{"status", store.EventQuery{Q: "status:500"}, 15},
		{"format", store.EventQuery{Q: "format:plain"}, 30},
		{"quoted phrase", store.EventQuery{Q: `"request 8 served"`}, 1},
		{"quoted phrase out of order", store.EventQuery{Q: `"served request"`}, 0},
		{"excluded word", store.EventQuery{Q: "-disk"}, 29},
		{"word but not another", store.EventQuery{Q: "served -alpha"}, 0},
		{"excluded phrase", store.EventQuery{Q: `served -"request 8 served"`}, 28},
		{"everything", store.EventQuery{Q: `host:h0 level:error "request 15" -service:web`}, 0},
		{"everything matching", store.EventQuery{Q: `host:h0 level:error "request 15" -service:api`}, 1},
	}
	for _, q := range []string{`"unclosed`, "level:bogus"} {
		_, err := s.SearchEvents(ctx, store.EventQuery{Project: p.ID, Q: q})
		wantKind(t, fmt.Sprintf("SearchEvents(q=%s)", q), err, cloudsage.Invalid)
	}
	for _, c := range cases {
		c.q.Project = p.ID
		c.q.Limit = 1000
		page, err := s.SearchEvents(ctx, c.q)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if len(page.Events) != c.want {
			t.Errorf("%s: SearchEvents(%+v) = %d events %v, want %d", c.name, c.q, len(page.Events), ids(page), c.want)
		}
	}
	_, err := s.SearchEvents(ctx, store.EventQuery{Project: p.ID, Cursor: "nonsense"})
	wantKind(t, "bad cursor", err, cloudsage.Invalid)
}

func testReports(t *testing.T, s store.Store) {
	ctx := context.Background()
	ann := user(t, s, "ann@example.com")
	p := must(s.CreateProject(ctx, ann.ID, store.Project{Name: "a"}))(t)
	_, err := s.LatestReport(ctx, p.ID)
	wantKind(t, "report before ingest", err, cloudsage.NotFound)
	ingest(t, s, p.ID, 0, events(3, "a"))
	ingest(t, s, p.ID, 1, events(3, "b"))
	r := must(s.LatestReport(ctx, p.ID))(t)
	if string(r.Body) != `{"risk":{"score":42}}` || r.Score != 42 || r.Horizon != 24 || !r.At.Equal(t0) {
		t.Errorf("LatestReport = %+v %s", r, r.Body)
	}
	rs := must(s.Reports(ctx, p.ID, 10))(t)
	if len(rs) != 2 || rs[0].ID <= rs[1].ID || rs[0].Label != "medium" {
		t.Errorf("Reports = %+v", rs)
	}
	h := must(s.RiskHistory(ctx, p.ID, time.Time{}, time.Time{}))(t)
	if len(h) != 2 || h[0].Score != 42 || h[0].At.After(h[1].At) {
		t.Errorf("RiskHistory = %+v", h)
	}
	if h := must(s.RiskHistory(ctx, p.ID, time.Now().Add(time.Hour), time.Time{}))(t); len(h) != 0 {
		t.Errorf("RiskHistory(future) = %+v", h)
	}
}

func testActions(t *testing.T, s store.Store) {
	ctx := context.Background()
	ann := user(t, s, "ann@example.com")
	p := must(s.CreateProject(ctx, ann.ID, store.Project{Name: "a"}))(t)
	until := t0.Add(time.Hour)
	noErr(t, s.SetActionStatus(ctx, store.ActionStatus{ProjectID: p.ID, ActionID: "a1", Key: "disk_full", Status: store.ActionDone, UserID: ann.ID}))
	noErr(t, s.SetActionStatus(ctx, store.ActionStatus{ProjectID: p.ID, ActionID: "a2", Status: store.ActionSnoozed, Until: &until}))
	noErr(t, s.SetActionStatus(ctx, store.ActionStatus{ProjectID: p.ID, ActionID: "a1", Status: store.ActionDismissed}))
	wantKind(t, "bad status", s.SetActionStatus(ctx, store.ActionStatus{ProjectID: p.ID, ActionID: "a3", Status: "maybe"}), cloudsage.Invalid)
	as := must(s.ActionStatuses(ctx, p.ID))(t)
	if len(as) != 2 || as[0].Status != store.ActionDismissed || as[1].Until == nil || !as[1].Until.Equal(until) {
		t.Fatalf("ActionStatuses = %+v", as)
	}
	if !as[1].Hidden(t0) || as[1].Hidden(until.Add(time.Second)) || !as[0].Hidden(t0) {
		t.Errorf("Hidden: snoozed %v/%v, dismissed %v", as[1].Hidden(t0), as[1].Hidden(until.Add(time.Second)), as[0].Hidden(t0))
	}
	if as[0].Key != "disk_full" || as[1].Key != "" {
		t.Errorf("keys %q, %q: an update without a key keeps the stored one", as[0].Key, as[1].Key)
	}
	noErr(t, s.SetActionStatus(ctx, store.ActionStatus{ProjectID: p.ID, ActionID: "a3", Key: "oom", Status: store.ActionNotRelevant}))
	noErr(t, s.DeleteActionStatus(ctx, p.ID, "a1"))
	wantKind(t, "delete twice", s.DeleteActionStatus(ctx, p.ID, "a1"), cloudsage.NotFound)
	as = must(s.ActionStatuses(ctx, p.ID))(t)
	if len(as) != 2 || as[0].ActionID != "a2" || as[1].Status != store.ActionNotRelevant || !as[1].Hidden(t0) {
		t.Fatalf("after delete: %+v", as)
	}
}

func testRetention(t *testing.T, s store.Store) {
	ctx := context.Background()
	ann := user(t, s, "ann@example.com")
	p := must(s.CreateProject(ctx, ann.ID, store.Project{Name: "a"}))(t)
	ingest(t, s, p.ID, 0, events(30, "alpha"))
	n := must(s.DeleteEventsBefore(ctx, p.ID, t0.Add(10*time.Second)))(t)
	if n != 10 {
		t.Errorf("DeleteEventsBefore = %d, want 10", n)
	}
	page := must(s.SearchEvents(ctx, store.EventQuery{Project: p.ID, Q: "alpha", Limit: 1000}))(t)
	if len(page.Events) != 20 {
		t.Errorf("after retention, search finds %d, want 20", len(page.Events))
	}
	if got := must(s.ProjectByID(ctx, p.ID))(t); got.Events != 20 {
		t.Errorf("event counter after retention = %d, want 20", got.Events)
	}
	_, err := s.DeleteEventsBefore(ctx, p.ID, time.Time{})
	wantKind(t, "zero cut-off", err, cloudsage.Invalid)
}

func testSecret(t *testing.T, s store.Store) {
	ctx := context.Background()
	a := must(s.Secret(ctx, "session", 32))(t)
	b := must(s.Secret(ctx, "session", 32))(t)
	c := must(s.Secret(ctx, "other", 32))(t)
	if len(a) != 32 || string(a) != string(b) || string(a) == string(c) {
		t.Errorf("Secret: %x %x %x, want a stable 32-byte value per name", a, b, c)
	}
}

// chunkEvent is an event of the chunked-search tests: its message is words
// of a small vocabulary, its field n its position in the whole test.
type chunkEvent struct {
	ev    cloudsage.Event
	batch int
	idx   int // position in its batch
}

var vocab = []string{"alpha", "beta", "gamma", "delta", "disk", "full", "timeout", "retry"}

// chunkBatches returns batches of sizes, with times drawn from a small
// range (many equal, none in order), words, levels, services and patterns
// from a seeded generator.
func chunkBatches(sizes ...int) [][]chunkEvent {
	r := rand.New(rand.NewPCG(1, 2))
	var out [][]chunkEvent
	n := 0
	for b, size := range sizes {
		var batch []chunkEvent
		for i := range size {
			w1, w2 := vocab[r.IntN(len(vocab))], vocab[r.IntN(len(vocab))]
			msg := fmt.Sprintf("%s %s request%d", w1, w2, r.IntN(50))
			if r.IntN(500) == 0 {
				msg += " needle"
			}
			ev := cloudsage.Event{
				Time:    t0.Add(time.Duration(r.IntN(3000)) * time.Second),
				Level:   []cloudsage.Level{cloudsage.LevelInfo, cloudsage.LevelWarn, cloudsage.LevelError}[r.IntN(3)],
				Service: []string{"api", "web", "worker"}[r.IntN(3)],
				Pattern: cloudsage.PatternID(fmt.Sprint("p", r.IntN(5))),
				Message: msg, Raw: "2026-03-01 " + msg, Format: "plain",
				Fields: map[string]string{"n": fmt.Sprint(n), "shard": fmt.Sprint("s", r.IntN(4))},
			}
			batch = append(batch, chunkEvent{ev: ev, batch: b, idx: i})
			n++
		}
		out = append(out, batch)
	}
	return out
}

// newestFirst orders the reference as the store must: time, then insertion
// (a later batch, then a later event of the same batch) first.
func newestFirst(a, b chunkEvent) int {
	if c := b.ev.Time.Compare(a.ev.Time); c != 0 {
		return c
	}
	if a.batch != b.batch {
		return b.batch - a.batch
	}
	return b.idx - a.idx
}

// refMatch is the reference search: each word's parts consecutive among
// the message's words and the fields' names and values.
func refMatch(ev cloudsage.Event, q store.EventQuery) bool {
	if len(q.Levels) > 0 && !slices.Contains(q.Levels, ev.Level) ||
		q.Service != "" && ev.Service != q.Service || q.Pattern != "" && ev.Pattern != q.Pattern ||
		!q.From.IsZero() && ev.Time.Before(q.From) || !q.To.IsZero() && !ev.Time.Before(q.To) {
		return false
	}
	words := strings.Fields(ev.Message)
	for k, v := range ev.Fields {
		words = append(words, k, v)
	}
	text := " " + strings.Join(words, " ") + " "
	for _, w := range strings.Fields(strings.ToLower(q.Q)) {
		if !strings.Contains(text, " "+strings.ReplaceAll(w, "-", " ")+" ") {
			return false
		}
	}
	return true
}

func ingestBatches(t *testing.T, s store.Store, p cloudsage.ProjectID, batches [][]chunkEvent) []chunkEvent {
	t.Helper()
	var all []chunkEvent
	for i, b := range batches {
		evs := make([]cloudsage.Event, len(b))
		for j := range b {
			evs[j] = b[j].ev
		}
		ingest(t, s, p, int64(i), evs)
		all = append(all, b...)
	}
	slices.SortStableFunc(all, newestFirst)
	return all
}

// pages reads every page of q, failing t past max pages.
func pages(t *testing.T, s store.Store, q store.EventQuery, max int) []store.Event {
	t.Helper()
	var out []store.Event
	for range max {
		page := must(s.SearchEvents(context.Background(), q))(t)
		if len(page.Events) > q.Limit || len(page.Events) < q.Limit && page.NextCursor != "" {
			t.Fatalf("SearchEvents(%+v) = %d events and cursor %q: a short page must be the last", q, len(page.Events), page.NextCursor)
		}
		out = append(out, page.Events...)
		if page.NextCursor == "" {
			return out
		}
		q.Cursor = page.NextCursor
	}
	t.Fatalf("SearchEvents(%+v) still has pages after %d", q, max)
	return nil
}

// testSearchChunks compares searches over several batches (some larger
// than one chunk, times out of order and often equal) with a reference.
func testSearchChunks(t *testing.T, s store.Store) {
	ctx := context.Background()
	ann := user(t, s, "ann@example.com")
	p := must(s.CreateProject(ctx, ann.ID, store.Project{Name: "a"}))(t)
	other := must(s.CreateProject(ctx, ann.ID, store.Project{Name: "b"}))(t)
	ref := ingestBatches(t, s, p.ID, chunkBatches(2500, 1300, 7, 600))
	ingest(t, s, other.ID, 0, events(50, "alpha"))
	if n := must(s.CountEvents(ctx, p.ID))(t); n != int64(len(ref)) {
		t.Errorf("CountEvents = %d, want %d", n, len(ref))
	}
	cases := []store.EventQuery{
		{},
		{Q: "alpha"},
		{Q: "needle"},
		{Q: "NEEDLE alpha"},
		{Q: "disk-full"},
		{Q: "full-disk timeout"},
		{Q: "request7"},
		{Q: "s2"},
		{Q: "shard"},
		{Q: "zebra"},
		{Levels: []cloudsage.Level{cloudsage.LevelError}},
		{Levels: []cloudsage.Level{cloudsage.LevelWarn, cloudsage.LevelInfo}, Q: "retry"},
		{Service: "worker"},
		{Service: "nobody"},
		{Pattern: "p3", Q: "beta"},
		{From: t0.Add(1000 * time.Second), To: t0.Add(1100 * time.Second)},
		{To: t0.Add(10 * time.Second), Service: "api"},
		{From: t0.Add(2990 * time.Second), Q: "gamma", Levels: []cloudsage.Level{cloudsage.LevelInfo}},
	}
	for _, q := range cases {
		var want []string
		for _, c := range ref {
			if refMatch(c.ev, q) {
				want = append(want, c.ev.Fields["n"])
			}
		}
		q.Project = p.ID
		for _, limit := range []int{1000, 97} {
			q.Limit = limit
			var got []string
			seen := map[int64]bool{}
			for _, e := range pages(t, s, q, 200) {
				got = append(got, e.Fields["n"])
				if seen[e.ID] {
					t.Errorf("SearchEvents(%+v) returned id %d twice", q, e.ID)
				}
				seen[e.ID] = true
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("SearchEvents(Q %q, levels %v, service %q, pattern %q, from %v, to %v, limit %d): %d events, want %d (-want +got):\n%.2000s",
					q.Q, q.Levels, q.Service, q.Pattern, q.From, q.To, limit, len(got), len(want), diff)
			}
		}
	}
}

// testSearchTies pages through events of equal times in two batches: the
// later batch's chunk ends at that time while the earlier one's ends later,
// and the later batch's events still come first.
func testSearchTies(t *testing.T, s store.Store) {
	ctx := context.Background()
	ann := user(t, s, "ann@example.com")
	p := must(s.CreateProject(ctx, ann.ID, store.Project{Name: "a"}))(t)
	ev := func(n string, d time.Duration) cloudsage.Event {
		return cloudsage.Event{Time: t0.Add(d), Message: "tie " + n, Fields: map[string]string{"n": n}}
	}
	ingest(t, s, p.ID, 0, []cloudsage.Event{ev("a0", 100*time.Second), ev("a1", 0), ev("a2", 0)})
	ingest(t, s, p.ID, 1, []cloudsage.Event{ev("b0", 0), ev("b1", 0)})
	want := []string{"a0", "b1", "b0", "a2", "a1"}
	for _, limit := range []int{1, 2, 3, 10} {
		var got []string
		for _, e := range pages(t, s, store.EventQuery{Project: p.ID, Q: "tie", Limit: limit}, 10) {
			got = append(got, e.Fields["n"])
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("limit %d (-want +got):\n%s", limit, diff)
		}
	}
}

// testRetentionChunks cuts through the middle of a batch several chunks
// long: exactly the older events go, the newer keep their ids.
func testRetentionChunks(t *testing.T, s store.Store) {
	ctx := context.Background()
	ann := user(t, s, "ann@example.com")
	p := must(s.CreateProject(ctx, ann.ID, store.Project{Name: "a"}))(t)
	ref := ingestBatches(t, s, p.ID, chunkBatches(3000, 500))
	before := pages(t, s, store.EventQuery{Project: p.ID, Limit: 1000}, 10)
	cut := t0.Add(1234 * time.Second)
	var want []store.Event
	for _, e := range before {
		if !e.Time.Before(cut) {
			want = append(want, e)
		}
	}
	n := must(s.DeleteEventsBefore(ctx, p.ID, cut))(t)
	if n != int64(len(ref)-len(want)) {
		t.Errorf("DeleteEventsBefore = %d, want %d", n, len(ref)-len(want))
	}
	got := pages(t, s, store.EventQuery{Project: p.ID, Limit: 1000}, 10)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("after retention (-want +got):\n%.2000s", diff)
	}
	if c := must(s.CountEvents(ctx, p.ID))(t); c != int64(len(want)) {
		t.Errorf("CountEvents after retention = %d, want %d", c, len(want))
	}
	// The rewritten chunks' index still finds what is left, and only that.
	for _, q := range []string{"needle", "alpha", "s1"} {
		var wantN []string
		for _, e := range want {
			if refMatch(e.Event, store.EventQuery{Q: q}) {
				wantN = append(wantN, e.Fields["n"])
			}
		}
		var gotN []string
		for _, e := range pages(t, s, store.EventQuery{Project: p.ID, Q: q, Limit: 1000}, 10) {
			gotN = append(gotN, e.Fields["n"])
		}
		if diff := cmp.Diff(wantN, gotN); diff != "" {
			t.Errorf("search %q after retention (-want +got):\n%.2000s", q, diff)
		}
	}
	// Deleting the project removes the rest.
	noErr(t, s.DeleteProject(ctx, p.ID))
	if c := must(s.CountEvents(ctx, p.ID))(t); c != 0 {
		t.Errorf("CountEvents after DeleteProject = %d", c)
	}
}

// appendOnce appends evs named by d at the project's current version.
func appendOnce(ctx context.Context, s store.Store, p cloudsage.ProjectID, d store.Dedup, evs []cloudsage.Event) (store.Ingested, error) {
	st, err := s.LoadState(ctx, p, -1)
	if err != nil {
		return store.Ingested{}, err
	}
	return appendAt(ctx, s, p, st.Version, d, evs)
}

func appendAt(ctx context.Context, s store.Store, p cloudsage.ProjectID, version int64, d store.Dedup, evs []cloudsage.Event) (store.Ingested, error) {
	return s.Append(ctx, p, version, d, store.Write{
		Batch:       store.Batch{Source: "text", Received: len(evs) + 1, Accepted: len(evs), Rejected: 1, Reasons: []string{"line 3: too long"}, Score: 42, Label: "medium"},
		Events:      evs,
		Snapshot:    fmt.Appendf(nil, "snap-%d", version+1),
		Report:      &store.Report{At: t0, Horizon: 24, Score: 42, Label: "medium", Body: []byte(`{}`)},
		NotifyState: fmt.Appendf(nil, "memory-%d", version+1),
	})
}

func testAppend(t *testing.T, s store.Store) {
	ctx := context.Background()
	ann := user(t, s, "ann@example.com")
	p := must(s.CreateProject(ctx, ann.ID, store.Project{Name: "a"}))(t)
	other := must(s.CreateProject(ctx, ann.ID, store.Project{Name: "b"}))(t)
	since := t0.Add(-store.DedupWindow)
	body := store.Dedup{BodyHash: "aa", Since: since}
	first := must(appendOnce(ctx, s, p.ID, body, events(5, "alpha")))(t)
	if first.Duplicate || first.Batch.Events != 5 || first.Version != 1 {
		t.Fatalf("first Append = %+v, want a new batch of 5 events at version 1", first)
	}
	// LoadState reads the version, the memory, and the snapshot only for a
	// caller that does not hold this version.
	if st := must(s.LoadState(ctx, p.ID, 1))(t); st.Changed || st.Snapshot != nil || st.Version != 1 || string(st.Notify) != "memory-1" {
		t.Errorf("LoadState at the known version = %+v, want version 1 unchanged with memory-1", st)
	}
	if st := must(s.LoadState(ctx, p.ID, 0))(t); !st.Changed || string(st.Snapshot) != "snap-1" || string(st.Notify) != "memory-1" {
		t.Errorf("LoadState at an old version = %+v, want changed with snap-1 and memory-1", st)
	}
	if b, ok := must2(s.BatchFor(ctx, p.ID, body))(t); !ok || b.ID != first.Batch.ID {
		t.Errorf("BatchFor the stored body = %v %+v, want batch %d", ok, b, first.Batch.ID)
	}
	if _, ok := must2(s.BatchFor(ctx, p.ID, store.Dedup{BodyHash: "aa", Since: time.Now().Add(time.Hour)}))(t); ok {
		t.Errorf("BatchFor a body older than the window found it")
	}
	// A retry is answered whatever the version it was analysed at.
	again := must(appendAt(ctx, s, p.ID, 0, body, events(5, "alpha")))(t)
	if !again.Duplicate || again.Batch.ID != first.Batch.ID || again.Version != first.Version {
		t.Fatalf("same body again = %+v, want the first batch %d as a duplicate", again, first.Batch.ID)
	}
	want := first.Batch
	want.CreatedAt = want.CreatedAt.Truncate(0)
	if diff := cmp.Diff(want, again.Batch, cmpopts.EquateApproxTime(time.Microsecond)); diff != "" {
		t.Errorf("duplicate's batch differs from the first (-first +dup):\n%s", diff)
	}
	if n := must(s.CountEvents(ctx, p.ID))(t); n != 5 {
		t.Errorf("CountEvents after a duplicate = %d, want 5", n)
	}
	if bs := must(s.Batches(ctx, p.ID, 10))(t); len(bs) != 1 || bs[0].Events != 5 || len(bs[0].Reasons) != 1 {
		t.Errorf("Batches after a duplicate = %+v, want one with 5 events and its reason", bs)
	}
	// A new batch analysed at an old version is refused, leaving nothing.
	_, err := appendAt(ctx, s, p.ID, 0, store.Dedup{BodyHash: "ee", Since: since}, events(4, "epsilon"))
	if !errors.Is(err, store.ErrStale) {
		t.Fatalf("Append at a stale version = %v, want ErrStale", err)
	}
	if st := must(s.LoadState(ctx, p.ID, -1))(t); st.Version != 1 || string(st.Snapshot) != "snap-1" || string(st.Notify) != "memory-1" {
		t.Errorf("state after a stale Append = %d %q %q, want 1 snap-1 memory-1", st.Version, st.Snapshot, st.Notify)
	}
	if _, ok := must2(s.BatchFor(ctx, p.ID, store.Dedup{BodyHash: "ee", Since: since}))(t); ok {
		t.Errorf("a stale Append recorded its body's key")
	}
	if n := must(s.CountEvents(ctx, p.ID))(t); n != 5 {
		t.Errorf("CountEvents after a stale Append = %d, want 5", n)
	}
	_, err = appendAt(ctx, s, p.ID+1000, 0, store.Dedup{}, nil)
	wantKind(t, "append to a missing project", err, cloudsage.NotFound)
	// Another project, another body, or a body older than the window is new.
	for name, c := range map[string]struct {
		p cloudsage.ProjectID
		d store.Dedup
	}{
		"other project": {other.ID, body},
		"other body":    {p.ID, store.Dedup{BodyHash: "bb", Since: since}},
		"expired":       {p.ID, store.Dedup{BodyHash: "aa", Since: time.Now().Add(time.Hour)}},
		"no name":       {p.ID, store.Dedup{}},
	} {
		if res := must(appendOnce(ctx, s, c.p, c.d, events(1, "beta")))(t); res.Duplicate {
			t.Errorf("%s: Append = duplicate of batch %d, want a new batch", name, res.Batch.ID)
		}
	}
	// An Idempotency-Key decides alone: the same key and body is the first
	// batch, the same key with another body a conflict, another key a new batch.
	keyed := must(appendOnce(ctx, s, p.ID, store.Dedup{Key: "k1", BodyHash: "aa", Since: since}, events(2, "gamma")))(t)
	if keyed.Duplicate {
		t.Errorf("new key with a stored body = duplicate, want a new batch")
	}
	if res := must(appendOnce(ctx, s, p.ID, store.Dedup{Key: "k1", BodyHash: "aa", Since: since}, events(2, "gamma")))(t); !res.Duplicate || res.Batch.ID != keyed.Batch.ID {
		t.Errorf("same key again = %+v, want batch %d as a duplicate", res, keyed.Batch.ID)
	}
	_, err = appendOnce(ctx, s, p.ID, store.Dedup{Key: "k1", BodyHash: "cc", Since: since}, events(2, "gamma"))
	wantKind(t, "same key, other body", err, cloudsage.Conflict)
	_, _, err = s.BatchFor(ctx, p.ID, store.Dedup{Key: "k1", BodyHash: "cc", Since: since})
	wantKind(t, "BatchFor the same key, other body", err, cloudsage.Conflict)

	// Concurrent identical posts store one batch; concurrent different
	// batches analysed at one version (replicas racing) store one.
	for _, same := range []bool{true, false} {
		before := must(s.CountEvents(ctx, p.ID))(t)
		st := must(s.LoadState(ctx, p.ID, -1))(t)
		var wg sync.WaitGroup
		var dups, fresh, stale atomic.Int64
		for i := range 8 {
			wg.Go(func() {
				d := store.Dedup{BodyHash: "dd", Since: since}
				if !same {
					d.BodyHash = fmt.Sprint("race-", i)
				}
				res, err := appendAt(ctx, s, p.ID, st.Version, d, events(3, "delta"))
				switch {
				case errors.Is(err, store.ErrStale):
					stale.Add(1)
				case err != nil:
					t.Error(err)
				case res.Duplicate:
					dups.Add(1)
				default:
					fresh.Add(1)
				}
			})
		}
		wg.Wait()
		if same && (fresh.Load() != 1 || dups.Load() != 7) || !same && (fresh.Load() != 1 || stale.Load() != 7) {
			t.Errorf("8 concurrent appends (same body %v): %d stored, %d duplicates, %d stale; want 1 stored", same, fresh.Load(), dups.Load(), stale.Load())
		}
		if n := must(s.CountEvents(ctx, p.ID))(t); n != before+3 {
			t.Errorf("events after 8 concurrent appends (same body %v) = %d, want %d", same, n, before+3)
		}
	}
}

func testSavedSearches(t *testing.T, s store.Store) {
	ctx := context.Background()
	ann := user(t, s, "ann@example.com")
	p := must(s.CreateProject(ctx, ann.ID, store.Project{Name: "a"}))(t)
	other := must(s.CreateProject(ctx, ann.ID, store.Project{Name: "b"}))(t)
	a := must(s.SaveSearch(ctx, store.SavedSearch{ProjectID: p.ID, Name: " api errors ", Query: "q=host%3Aapi-3+level%3Aerror", CreatedBy: ann.ID}))(t)
	if a.ID == 0 || a.Name != "api errors" {
		t.Fatalf("SaveSearch = %+v", a)
	}
	_, err := s.SaveSearch(ctx, store.SavedSearch{ProjectID: p.ID, Name: "api errors", Query: "q=x"})
	wantKind(t, "same name twice", err, cloudsage.Conflict)
	_, err = s.SaveSearch(ctx, store.SavedSearch{ProjectID: p.ID, Name: " ", Query: "q=x"})
	wantKind(t, "blank name", err, cloudsage.Invalid)
	must(s.SaveSearch(ctx, store.SavedSearch{ProjectID: p.ID, Name: "a slow", Query: "q=slow"}))(t)
	must(s.SaveSearch(ctx, store.SavedSearch{ProjectID: other.ID, Name: "api errors", Query: "q=other"}))(t)
	got := must(s.SavedSearches(ctx, p.ID))(t)
	if len(got) != 2 || got[0].Name != "a slow" || got[1].Query != a.Query || got[1].CreatedBy != ann.ID {
		t.Fatalf("SavedSearches = %+v", got)
	}
	wantKind(t, "delete via other project", s.DeleteSearch(ctx, other.ID, a.ID), cloudsage.NotFound)
	noErr(t, s.DeleteSearch(ctx, p.ID, a.ID))
	if got := must(s.SavedSearches(ctx, p.ID))(t); len(got) != 1 {
		t.Errorf("SavedSearches after delete = %+v", got)
	}
	noErr(t, s.DeleteProject(ctx, p.ID))
	if got := must(s.SavedSearches(ctx, p.ID))(t); len(got) != 0 {
		t.Errorf("SavedSearches of a deleted project = %+v", got)
	}
}

func testFacets(t *testing.T, s store.Store) {
	ctx := context.Background()
	ann := user(t, s, "ann@example.com")
	p := must(s.CreateProject(ctx, ann.ID, store.Project{Name: "a"}))(t)
	ingest(t, s, p.ID, 0, events(30, "alpha"))
	ingest(t, s, p.ID, 1, events(3, "beta"))
	f := must(s.EventFacets(ctx, store.EventQuery{Project: p.ID, Q: "host:h0 alpha"}))(t)
	want := store.Facets{
		Levels:   map[string]int64{"error": 2, "info": 4},
		Services: map[string]int64{"api": 3, "web": 3},
		Hosts:    map[string]int64{"h0": 6},
		Counted:  6, Complete: true,
	}
	if diff := cmp.Diff(want, f); diff != "" {
		t.Errorf("EventFacets(host:h0 alpha) differs (-want +got):\n%s", diff)
	}
	all := must(s.EventFacets(ctx, store.EventQuery{Project: p.ID, Cursor: "garbage-is-ignored"}))(t)
	if all.Counted != 33 || all.Levels["error"] != 11 || all.Hosts["h0"] != 7 || len(all.Hosts) != 5 {
		t.Errorf("EventFacets(all) = %+v, want 33 counted, 11 errors, 7 on h0, 5 hosts", all)
	}
	none := must(s.EventFacets(ctx, store.EventQuery{Project: p.ID, Q: "zebra"}))(t)
	if none.Counted != 0 || len(none.Levels) != 0 {
		t.Errorf("EventFacets(zebra) = %+v, want nothing counted", none)
	}
	_, err := s.EventFacets(ctx, store.EventQuery{Project: p.ID, Q: `"unclosed`})
	wantKind(t, "facets of a bad query", err, cloudsage.Invalid)
}
