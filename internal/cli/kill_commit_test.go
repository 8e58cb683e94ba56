package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cloudsage/cloudsage"
	"github.com/cloudsage/cloudsage/internal/config"
	"github.com/cloudsage/cloudsage/internal/store"
	"github.com/cloudsage/cloudsage/internal/store/storetest"
)

// killBatch is the size of the batch killed while it commits: 20k lines in
// the ordinary run (CI's time budget), CLOUDSAGE_KILL_BATCH=200000 for the
// full-size run.
func killBatch() int64 {
	if n, err := strconv.ParseInt(os.Getenv("CLOUDSAGE_KILL_BATCH"), 10, 64); err == nil && n > 0 {
		return n
	}
	return 20_000
}

// TestKillInsideCommit kills `cloudsage serve` with SIGKILL while a large
// batch (killBatch lines) commits — just before the commit, inside it, and just after
// it (the failpoints of sqlstore, CLOUDSAGE_FAILPOINT) — on SQLite and on
// PostgreSQL. After a restart the batch is wholly there or wholly absent
// (the events counted in the store move by 0 or by the whole batch, the
// engine's counter with them), and when it is absent the client was not
// told 2xx.
func TestKillInsideCommit(t *testing.T) {
	if testing.Short() {
		t.Skip("starts server processes and ingests large batches")
	}
	t.Run("sqlite", func(t *testing.T) { killInsideCommit(t, "") })
	t.Run("postgres", func(t *testing.T) { killInsideCommit(t, storetest.PostgresSchema(t)) })
}

func killInsideCommit(t *testing.T, dbURL string) {
	addr, dir := freeAddr(t), t.TempDir()
	env := []string{"CLOUDSAGE_DATABASE_URL=" + dbURL}
	srv := startServe(t, addr, dir, env...)
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 5 * time.Minute}
	if code, b := call(t, c, "POST", srv.url+"/api/auth/register", "application/json", `{"email":"kim@example.com","password":"a long passphrase for kim"}`); code != 201 {
		t.Fatalf("register: %d %s", code, b)
	}
	code, b := call(t, c, "POST", srv.url+"/api/projects", "application/json", `{"name":"commit"}`)
	if code != 201 {
		t.Fatalf("project: %d %s", code, b)
	}
	var p struct{ ID cloudsage.ProjectID }
	json.Unmarshal(b, &p)
	ingestURL := fmt.Sprintf("%s/api/ingest/%d", srv.url, p.ID)
	if code, b := call(t, c, "POST", ingestURL, "text/plain", "level=info msg=\"before the kills\"\n"); code != 200 {
		t.Fatalf("first ingest: %d %s", code, b)
	}
	srv.cmd.Process.Kill()
	srv.cmd.Wait()
	have, size := int64(1), killBatch()

	for _, fp := range []string{"ingest-before-commit", "ingest-during-commit:1000", "ingest-after-commit"} {
		marker := "killmark" + strings.NewReplacer("-", "", ":", "").Replace(fp)
		var body strings.Builder
		for i := range size {
			fmt.Fprintf(&body, "level=info msg=\"%s line %d of the batch\" service=api\n", marker, i)
		}
		srv = startServe(t, addr, dir, append(env, "CLOUDSAGE_FAILPOINT="+fp)...)
		req, _ := http.NewRequest("POST", ingestURL, strings.NewReader(body.String()))
		req.Header.Set("Content-Type", "text/plain")
		res, err := c.Do(req)
		status := 0
		if err == nil {
			status = res.StatusCode
			res.Body.Close()
		}
		srv.cmd.Wait() // the failpoint killed it
		if srv.cmd.ProcessState.Success() {
			t.Fatalf("%s: the server exited normally; the failpoint did not fire\n%s", fp, srv.out)
		}

		events, stored, matched := countStored(t, dir, dbURL, p.ID, marker)
		switch {
		case events == have && stored == have && !matched:
			if status/100 == 2 {
				t.Errorf("%s: the batch is absent but the client was answered %d", fp, status)
			}
		case events == have+size && stored == have+size && matched:
			have += size
		default:
			t.Errorf("%s: after the kill the store holds %d events (engine counter %d, marker found %v); want %d or %d",
				fp, stored, events, matched, have, have+size)
			have = stored
		}
		if fp == "ingest-before-commit" && matched {
			t.Errorf("%s: the uncommitted batch is there", fp)
		}
		if fp == "ingest-after-commit" && !matched {
			t.Errorf("%s: the committed batch is missing", fp)
		}
		t.Logf("%s: client status %d (%v); batch %s", fp, status, err, map[bool]string{true: "wholly there", false: "wholly absent"}[matched])
	}
}

// countStored opens the store of the stopped server and returns the
// project's event counter, the events its chunks hold, and whether a search
// for marker finds one.
func countStored(t *testing.T, dir, dbURL string, p cloudsage.ProjectID, marker string) (events, stored int64, matched bool) {
	t.Helper()
	ctx := context.Background()
	cfg := config.Default()
	cfg.DataDir = dir
	cfg.DatabaseURL = config.Secret(dbURL)
	st, err := openStore(ctx, cfg)
	if err != nil {
		t.Fatalf("reopen the store: %v", err)
	}
	defer st.Close()
	pr, err := st.ProjectByID(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	if stored, err = st.CountEvents(ctx, p); err != nil {
		t.Fatal(err)
	}
	page, err := st.SearchEvents(ctx, store.EventQuery{Project: p, Q: marker, Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	return pr.Events, stored, len(page.Events) > 0
}
