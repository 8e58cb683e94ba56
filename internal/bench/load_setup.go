package bench

import (
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cloudsage/cloudsage"
	"github.com/cloudsage/cloudsage/internal/auth"
	"github.com/cloudsage/cloudsage/internal/store"
	"github.com/cloudsage/cloudsage/internal/store/postgres"
	"github.com/cloudsage/cloudsage/internal/store/sqlite"
)

// loadWorld is what the load test set up directly in the store before the
// replicas start: users with sessions, projects, tokens.
type loadWorld struct {
	projects []cloudsage.ProjectID // index 0 is the big project
	cookies  []string              // per user: the session cookie's value
	tokens   []string              // per shipper (project index 1+i): ingest+read token
	bigToken string                // ingest token of the big project
}

// home is the project user u reads on the dashboard: the one they own at
// index 1+u (a shipping one while u < Shippers), else the big project.
func (w *loadWorld) home(u int) cloudsage.ProjectID {
	if 1+u < len(w.projects) {
		return w.projects[1+u]
	}
	return w.projects[0]
}

// loadSchema creates a schema in the PostgreSQL database at base and
// returns the URL that uses it, a meter of the CPU of the backends serving
// that URL (its connections are named after the schema) and a function
// dropping it.
func loadSchema(ctx context.Context, base string) (string, *backendCPU, func(), error) {
	admin, schema, url, err := freshSchema(ctx, base, "load")
	if err != nil {
		return "", nil, nil, fmt.Errorf("PostgreSQL at %s: create schema: %w", redactURL(base), err)
	}
	return url + "&application_name=" + schema, &backendCPU{admin: admin, app: schema}, func() { dropSchema(admin, schema) }, nil
}

// redactURL hides a URL's password.
func redactURL(u string) string {
	if at := strings.Index(u, "@"); at > 0 {
		if scheme := strings.Index(u, "://"); scheme > 0 && strings.Contains(u[scheme+3:at], ":") {
			return u[:scheme+3] + strings.SplitN(u[scheme+3:at], ":", 2)[0] + ":***" + u[at:]
		}
	}
	return u
}

// openLoadStore opens the store the replicas will share.
func openLoadStore(ctx context.Context, dbURL, dataDir string) (store.Store, error) {
	if dbURL != "" {
		return postgres.Open(ctx, dbURL)
	}
	return sqlite.Open(ctx, filepath.Join(dataDir, "cloudsage.db"))
}

// setupWorld creates, through the store, o.Users users each with a live
// session, o.Projects projects (project 1+i owned by user i mod Users; the
// big project 0 by user 0 with every user a viewer), and a token with the
// ingest and read scopes for the big project and each shipping project.
// It runs 16 writers at once (the PostgreSQL pool's size): project creation is one short
// transaction each, and PostgreSQL commits them in groups.
func setupWorld(ctx context.Context, st store.Store, o LoadOptions) (*loadWorld, error) {
	w := &loadWorld{projects: make([]cloudsage.ProjectID, o.Projects), cookies: make([]string, o.Users), tokens: make([]string, o.Shippers)}
	users := make([]cloudsage.UserID, o.Users)
	now := time.Now()
	err := parallel(ctx, o.Users, 16, func(i int) error {
		u, err := st.CreateUser(ctx, store.User{Email: fmt.Sprintf("load%d@example.com", i), Name: fmt.Sprintf("Load user %d", i), CreatedAt: now})
		if err != nil {
			return fmt.Errorf("user %d: %w", i, err)
		}
		users[i] = u.ID
		secret, hash := auth.NewSecret(auth.SessionPrefix)
		w.cookies[i] = secret
		return st.CreateSession(ctx, store.Session{Hash: hash, UserID: u.ID, CreatedAt: now, ExpiresAt: now.Add(24 * time.Hour), LastSeenAt: now,
			IP: "127.0.0.1", UserAgent: "cloudsage bench load"})
	})
	if err != nil {
		return nil, err
	}
	err = parallel(ctx, o.Projects, 16, func(i int) error {
		owner := users[0]
		if i > 0 {
			owner = users[(i-1)%o.Users]
		}
		p, err := st.CreateProject(ctx, owner, store.Project{Name: fmt.Sprintf("load project %d", i)})
		if err != nil {
			return fmt.Errorf("project %d: %w", i, err)
		}
		w.projects[i] = p.ID
		return nil
	})
	if err != nil {
		return nil, err
	}
	newToken := func(p cloudsage.ProjectID, owner cloudsage.UserID) (string, error) {
		secret, hash := auth.NewSecret(auth.TokenPrefix)
		_, err := st.CreateToken(ctx, store.Token{ProjectID: p, Name: "load shipper", Prefix: auth.DisplayPrefix(secret), Hash: hash,
			Scopes: []store.Scope{store.ScopeIngest, store.ScopeRead}, CreatedBy: owner, CreatedAt: now})
		return secret, err
	}
	if w.bigToken, err = newToken(w.projects[0], users[0]); err != nil {
		return nil, fmt.Errorf("big project token: %w", err)
	}
	err = parallel(ctx, o.Shippers, 16, func(i int) error {
		tok, err := newToken(w.projects[1+i], users[i%o.Users])
		w.tokens[i] = tok
		return err
	})
	if err != nil {
		return nil, err
	}
	err = parallel(ctx, o.Users-1, 16, func(i int) error {
		return st.SetMember(ctx, store.Member{ProjectID: w.projects[0], UserID: users[1+i], Role: store.RoleViewer})
	})
	return w, err
}

// parallel runs fn(0..n-1) on workers goroutines and returns the first error.
func parallel(ctx context.Context, n, workers int, fn func(i int) error) error {
	var next atomic.Int64
	var wg sync.WaitGroup
	var once sync.Once
	var first error
	for range min(workers, max(n, 1)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n || ctx.Err() != nil {
					return
				}
				if err := fn(i); err != nil {
					once.Do(func() { first = err })
					next.Store(int64(n))
					return
				}
			}
		}()
	}
	wg.Wait()
	if first == nil {
		first = ctx.Err()
	}
	return first
}

// loadTemplates are the templates of the generated service logs: logfmt with
// a level, a service, a host, an HTTP status and a latency, so every risk
// factor but memory and CPU has something to read.
var loadTemplates = []struct {
	level, msg string
	status     int
	weight     int
}{
	{"info", "GET /api/v1/orders completed", 200, 40},
	{"info", "POST /api/v1/cart/items completed", 201, 20},
	{"info", "user session refreshed", 200, 15},
	{"debug", "cache lookup hit for key catalog", 200, 10},
	{"warn", "slow query on table orders", 200, 6},
	{"warn", "retrying payment provider call", 502, 3},
	{"error", "database connection reset by peer", 500, 3},
	{"error", "request timed out upstream", 504, 3},
}

var loadServices = []string{"api", "checkout", "auth", "billing", "search", "worker"}

// appendLoadLine appends one generated line at t to b; marker, when set,
// is a word of its own at the end of the message (searched for later).
func appendLoadLine(b []byte, rng *rand.Rand, t time.Time, marker string) []byte {
	total := 0
	for _, tp := range loadTemplates {
		total += tp.weight
	}
	k := rng.IntN(total)
	tp := loadTemplates[0]
	for _, c := range loadTemplates {
		if k < c.weight {
			tp = c
			break
		}
		k -= c.weight
	}
	b = append(b, "time="...)
	b = t.UTC().AppendFormat(b, "2006-01-02T15:04:05.000Z")
	b = fmt.Appendf(b, " level=%s service=%s host=web-%d msg=\"%s", tp.level, loadServices[rng.IntN(len(loadServices))], rng.IntN(8), tp.msg)
	if marker != "" {
		b = append(b, " ref "...)
		b = append(b, marker...)
	}
	b = fmt.Appendf(b, "\" status=%d latency_ms=%d\n", tp.status, 5+rng.IntN(60)+rng.IntN(2)*rng.IntN(400))
	return b
}

// loadBatch is n generated lines spread evenly over [from, to), each
// carrying marker.
func loadBatch(rng *rand.Rand, n int, from, to time.Time, marker string) []byte {
	b := make([]byte, 0, n*140)
	step := to.Sub(from) / time.Duration(max(n, 1))
	for i := range n {
		b = appendLoadLine(b, rng, from.Add(time.Duration(i)*step), marker)
	}
	return b
}

// runID is a short random word that makes the markers of one run unique.
func runID() string {
	b := make([]byte, 3)
	crand.Read(b)
	return hex.EncodeToString(b)
}

// tempDir makes the folder for the replicas' data and logs.
func tempDir() (string, error) { return os.MkdirTemp("", "cloudsage-load-") }
