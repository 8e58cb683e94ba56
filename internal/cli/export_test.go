package cli

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cloudsage/cloudsage"
	"github.com/cloudsage/cloudsage/internal/archive"
	"github.com/cloudsage/cloudsage/internal/ingest"
	"github.com/cloudsage/cloudsage/internal/store"
	"github.com/cloudsage/cloudsage/internal/store/postgres"
	"github.com/cloudsage/cloudsage/internal/store/sqlite"
	"github.com/cloudsage/cloudsage/internal/store/storetest"
	"github.com/cloudsage/cloudsage/internal/testenv"
)

// runCLI runs the program and returns its exit code, stdout and stderr.
func runCLI(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := Run(context.Background(), args, Stdio{In: strings.NewReader(""), Out: &out, Err: &errb})
	return code, out.String(), errb.String()
}

// appLines are n log lines of several formats over the last hours.
func appLines(n int) []string {
	now := time.Now().UTC()
	var out []string
	for i := range n {
		t := now.Add(-3*time.Hour + time.Duration(i)*3*time.Hour/time.Duration(n))
		switch i % 3 {
		case 0:
			out = append(out, fmt.Sprintf(`{"time":%q,"level":"error","msg":"db timeout after %dms","service":"api","host":"h%d"}`, t.Format(time.RFC3339Nano), 100+i, i%3))
		case 1:
			out = append(out, fmt.Sprintf("%s INFO [worker] job %d finished é", t.Format("2006-01-02 15:04:05.000"), i))
		default:
			out = append(out, fmt.Sprintf("ts=%s level=warn msg=\"slow request\" route=/checkout took=%dms", t.Format(time.RFC3339Nano), 500+i))
		}
	}
	return out
}

// seed fills a SQLite store in dir with a user and a project analysed by
// the real engine over several batches, action feedback and a saved search.
func seed(t *testing.T, dir string) cloudsage.ProjectID {
	t.Helper()
	ctx := context.Background()
	if err := os.MkdirAll(dir, 0o750); err != nil {
		t.Fatal(err)
	}
	st, err := sqlite.Open(ctx, filepath.Join(dir, "cloudsage.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	u, err := st.CreateUser(ctx, store.User{Email: "ann@example.com", PasswordHash: "x"})
	if err != nil {
		t.Fatal(err)
	}
	set := store.DefaultSettings()
	set.HighThreshold, set.RetentionDays, set.TimeZone = 75, 90, "Europe/Paris"
	pr, err := st.CreateProject(ctx, u.ID, store.Project{Name: "shop", Settings: set})
	if err != nil {
		t.Fatal(err)
	}
	svc := ingest.NewService(st, ingest.NewEngine, time.Now, nil)
	lines := appLines(3000)
	for i := 0; i < len(lines); i += 1000 {
		if _, err := svc.Ingest(ctx, pr, ingest.Body{Lines: lines[i : i+1000], Source: "text", Received: 1000}); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.SetActionStatus(ctx, store.ActionStatus{ProjectID: pr.ID, ActionID: "a1", Key: "db_pool", Status: store.ActionDone, UserID: u.ID}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.SaveSearch(ctx, store.SavedSearch{ProjectID: pr.ID, Name: "api errors", Query: "q=level%3Aerror", CreatedBy: u.ID}); err != nil {
		t.Fatal(err)
	}
	return pr.ID
}

// records reads an archive's records with the store-assigned ids replaced
// by the order of their batch, so that two stores' exports compare.
func records(t *testing.T, file string) (archive.Header, []store.Record) {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ar, err := archive.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	order := map[store.BatchID]store.BatchID{}
	var out []store.Record
	for {
		rec, err := ar.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case rec.Batch != nil:
			order[rec.Batch.ID] = store.BatchID(len(order) + 1)
			rec.Batch.ID, rec.Batch.ProjectID = order[rec.Batch.ID], 0
		case rec.Risk != nil:
			rec.Risk.Batch = order[rec.Risk.Batch]
		case len(rec.Events) > 0:
			for i := range rec.Events {
				rec.Events[i].ID, rec.Events[i].BatchID = 0, order[rec.Events[i].BatchID]
			}
		}
		out = append(out, rec)
	}
	return ar.Header(), out
}

// TestExportImportRoundTrip moves a project SQLite -> PostgreSQL -> SQLite
// with the CLI and compares the first and last exports record by record;
// the project in PostgreSQL answers searches and takes further logs on
// its imported engine state.
func TestExportImportRoundTrip(t *testing.T) {
	pgURL := storetest.PostgresSchema(t)
	ctx := context.Background()
	tmp := t.TempDir()
	dirA, dirC := filepath.Join(tmp, "a"), filepath.Join(tmp, "c")
	id := seed(t, dirA)
	f1, f2, f3 := filepath.Join(tmp, "1.csp.gz"), filepath.Join(tmp, "2.csp.gz"), filepath.Join(tmp, "3.csp.gz")

	code, out, errs := runCLI("export", "--project", fmt.Sprint(id), "--out", f1, "--data-dir", dirA)
	if code != 0 || !strings.Contains(out, "3000 events") {
		t.Fatalf("export from SQLite: exit %d, out %q, err %q", code, out, errs)
	}
	if code, _, errs := runCLI("user", "create", "--email", "bob@example.com", "--database-url", pgURL); code != 0 {
		t.Fatalf("user create in PostgreSQL: %s", errs)
	}
	code, out, errs = runCLI("import", f1, "--owner", "bob@example.com", "--database-url", pgURL)
	if code != 0 || !strings.Contains(out, `"shop"`) {
		t.Fatalf("import into PostgreSQL: exit %d, out %q, err %q", code, out, errs)
	}

	pg, err := postgres.Open(ctx, pgURL)
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close()
	bob, err := pg.UserByEmail(ctx, "bob@example.com")
	if err != nil {
		t.Fatal(err)
	}
	ps, err := pg.Projects(ctx, bob.ID)
	if err != nil || len(ps) != 1 || ps[0].Role != store.RoleAdmin || ps[0].Events != 3000 || ps[0].Settings.TimeZone != "Europe/Paris" {
		t.Fatalf("bob's projects in PostgreSQL = %+v, %v", ps, err)
	}
	pr := ps[0]
	page, err := pg.SearchEvents(ctx, store.EventQuery{Project: pr.ID, Q: "timeout", Limit: 1000})
	if err != nil || len(page.Events) != 1000 {
		t.Fatalf("search in the imported project = %d events, %v; want 1000", len(page.Events), err)
	}
	if _, err := pg.LatestReport(ctx, pr.ID); err != nil {
		t.Fatalf("imported project has no latest report: %v", err)
	}
	code, out, errs = runCLI("export", "--project", fmt.Sprint(pr.ID), "--out", f2, "--database-url", pgURL)
	if code != 0 {
		t.Fatalf("export from PostgreSQL: exit %d, out %q, err %q", code, out, errs)
	}
	if code, _, errs := runCLI("user", "create", "--email", "cat@example.com", "--data-dir", dirC); code != 0 {
		t.Fatalf("user create in SQLite: %s", errs)
	}
	if code, out, errs = runCLI("import", "--owner", "cat@example.com", "--name", "shop again", "--data-dir", dirC, f2); code != 0 {
		t.Fatalf("import into SQLite: exit %d, out %q, err %q", code, out, errs)
	}
	if code, out, errs = runCLI("export", "--project", "1", "--out", f3, "--data-dir", dirC); code != 0 {
		t.Fatalf("export from the second SQLite: exit %d, out %q, err %q", code, out, errs)
	}
	h1, r1 := records(t, f1)
	h3, r3 := records(t, f3)
	if h1.Source != "sqlite" || h1.Project.Name != "shop" || h3.Project.Name != "shop again" {
		t.Errorf("headers: %+v / %+v", h1, h3)
	}
	if diff := cmp.Diff(h1.Project.Settings, h3.Project.Settings); diff != "" {
		t.Errorf("settings after SQLite -> PostgreSQL -> SQLite (-first +last):\n%s", diff)
	}
	kinds := map[string]int{}
	for _, r := range r1 {
		switch {
		case r.Batch != nil:
			kinds["batch"]++
		case r.Pattern != nil:
			kinds["pattern"]++
		case r.Forecast != nil:
			kinds["forecast"]++
		case r.Risk != nil:
			kinds["risk"]++
		case r.Action != nil:
			kinds["action"]++
		case r.Search != nil:
			kinds["search"]++
		case r.State != nil:
			kinds["state"]++
		}
	}
	if kinds["batch"] != 3 || kinds["pattern"] < 3 || kinds["forecast"] < 1 || kinds["risk"] != 3 || kinds["action"] != 1 || kinds["search"] != 1 || kinds["state"] != 1 {
		t.Errorf("the first export holds %v", kinds)
	}
	if diff := cmp.Diff(r1, r3); diff != "" {
		t.Errorf("records after SQLite -> PostgreSQL -> SQLite (-first +last):\n%.3000s", diff)
	}

	// The imported engine state goes on: more logs into the PostgreSQL copy.
	svc := ingest.NewService(pg, ingest.NewEngine, time.Now, nil)
	res, err := svc.Ingest(ctx, pr, ingest.Body{Lines: appLines(300), Source: "text", Received: 300})
	if err != nil {
		t.Fatalf("ingest into the imported project: %v", err)
	}
	if n, _ := pg.CountEvents(ctx, pr.ID); n != 3300 || res.Batch.Accepted != 300 {
		t.Errorf("after a further ingest: %d events stored, batch %+v", n, res.Batch)
	}
}

// TestImportRefuses: a damaged, cut, newer or foreign file, and a file whose
// records fail half-way in the database, are refused with a message and
// leave the store without a new project.
func TestImportRefuses(t *testing.T) {
	tmp := t.TempDir()
	dir := filepath.Join(tmp, "a")
	id := seed(t, dir)
	good := filepath.Join(tmp, "good.gz")
	if code, _, errs := runCLI("export", "--project", fmt.Sprint(id), "--out", good, "--data-dir", dir); code != 0 {
		t.Fatal(errs)
	}
	plain := gunzip(t, good)
	lines := strings.SplitAfter(plain, "\n")
	write := func(name, content string) string {
		p := filepath.Join(tmp, name)
		if err := os.WriteFile(p, gzipped(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	// A file whose checksum is right but whose events name a batch it never
	// listed: Verify passes, the database step fails after writing rows.
	aw := func() string {
		var b bytes.Buffer
		w, err := archive.NewWriter(&b, archive.Header{Project: archive.Project{Name: "late failure", Settings: store.DefaultSettings()}})
		if err != nil {
			t.Fatal(err)
		}
		w.Write(store.Record{Batch: &store.Batch{ID: 1, Status: "committed", Source: "text"}})
		w.Write(store.Record{Events: []store.Event{{BatchID: 1, Event: cloudsage.Event{Time: time.Now(), Message: "kept?"}}}})
		w.Write(store.Record{Events: []store.Event{{BatchID: 99, Event: cloudsage.Event{Time: time.Now(), Message: "orphan"}}}})
		if _, err := w.Close(); err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(tmp, "late.gz")
		os.WriteFile(p, b.Bytes(), 0o600)
		return p
	}()
	raw, _ := os.ReadFile(good)
	cases := []struct{ name, file, want string }{
		{"changed", write("changed.gz", strings.Replace(plain, "timeout", "timeouT", 1)), "checksum does not match"},
		{"cut", write("cut.gz", strings.Join(lines[:len(lines)/2], "")), "without its trailer"},
		{"newer", write("newer.gz", strings.Replace(plain, `"version":1`, `"version":2`, 1)), "newer than this cloudsage reads"},
		{"foreign", write("foreign.gz", "hello\n"), "not a CloudSage project export"},
		{"not gzip", func() string { p := filepath.Join(tmp, "x.txt"); os.WriteFile(p, []byte(plain), 0o600); return p }(), "not a CloudSage project export"},
		{"gzip cut", func() string { p := filepath.Join(tmp, "g.gz"); os.WriteFile(p, raw[:len(raw)-20], 0o600); return p }(), "damaged export file"},
		{"late failure", aw, "batch 99"},
	}
	if code, _, errs := runCLI("user", "create", "--email", "bob@example.com", "--data-dir", dir); code != 0 {
		t.Fatal(errs)
	}
	for _, tc := range cases {
		code, _, errs := runCLI("import", tc.file, "--owner", "bob@example.com", "--data-dir", dir)
		if code != 1 || !strings.Contains(errs, tc.want) || !strings.Contains(errs, "nothing was imported") {
			t.Errorf("import %s: exit %d, stderr %q; want 1 and %q", tc.name, code, errs, tc.want)
		}
	}
	st, err := sqlite.Open(context.Background(), filepath.Join(dir, "cloudsage.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	all, err := st.AllProjects(context.Background())
	if err != nil || len(all) != 1 {
		t.Errorf("after refused imports the store has %d projects (%v), want the 1 seeded", len(all), err)
	}
	if code, _, errs := runCLI("import", good, "--owner", "nobody@example.com", "--data-dir", dir); code != 1 || !strings.Contains(errs, "no account") {
		t.Errorf("import for an unknown owner: exit %d, %q", code, errs)
	}
	if code, _, _ := runCLI("export", "--out", good, "--data-dir", dir); code != 2 {
		t.Errorf("export without --project: exit %d, want 2", code)
	}
	if code, _, errs := runCLI("export", "--project", "42", "--out", filepath.Join(tmp, "none.gz"), "--data-dir", dir); code != 1 || !strings.Contains(errs, "not found") {
		t.Errorf("export of a missing project: exit %d, %q", code, errs)
	}
	if _, err := os.Stat(filepath.Join(tmp, "none.gz")); !os.IsNotExist(err) {
		t.Errorf("a failed export left its file: %v", err)
	}
}

func gunzip(t *testing.T, file string) string {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	return testenv.Gunzip(t, b)
}

func gzipped(s string) []byte { return testenv.Gzip(s) }
