package cli

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/cloudsage/cloudsage"
	"github.com/cloudsage/cloudsage/internal/auth"
	"github.com/cloudsage/cloudsage/internal/ingest"
	"github.com/cloudsage/cloudsage/internal/store"
)

// DemoEmail is the demo account `serve --demo` creates.
const DemoEmail = "demo@cloudsage.local"

// demoStore is what createDemo needs of the store.
type demoStore interface {
	UserByEmail(ctx context.Context, email string) (store.User, error)
	CreateUser(ctx context.Context, u store.User) (store.User, error)
	CreateProject(ctx context.Context, owner cloudsage.UserID, p store.Project) (store.Project, error)
}

// createDemo creates the demo user and a project holding six hours of
// generated logs ending now, with a database pool problem building up in
// the last hour, and prints the login. An existing demo account is reused.
func createDemo(ctx context.Context, st demoStore, svc *ingest.Service, stdio Stdio) error {
	if u, err := st.UserByEmail(ctx, DemoEmail); err == nil {
		fmt.Fprintf(stdio.Out, "demo: log in as %s (account %d already exists; its password was printed when it was created)\n", DemoEmail, u.ID)
		return nil
	} else if !store.IsNotFound(err) {
		return err
	}
	password, _ := auth.NewSecret("")
	password = password[:16]
	hash, err := auth.HashPassword(password, auth.DefaultParams)
	if err != nil {
		return err
	}
	u, err := st.CreateUser(ctx, store.User{Email: DemoEmail, Name: "Demo", PasswordHash: hash})
	if err != nil {
		return err
	}
	p, err := st.CreateProject(ctx, u.ID, store.Project{Name: "demo-shop", Settings: store.DefaultSettings()})
	if err != nil {
		return err
	}
	lines := demoLines(time.Now().UTC(), 6*time.Hour, 1)
	const batch = 5000
	for off := 0; off < len(lines); off += batch {
		part := lines[off:min(off+batch, len(lines))]
		if _, err := svc.Ingest(ctx, p, ingest.Body{Lines: part, Source: "demo", Received: len(part)}); err != nil {
			return err
		}
	}
	fmt.Fprintf(stdio.Out, "demo: project %q (%d) with %d log lines; log in as %s with password %s\n", p.Name, p.ID, len(lines), DemoEmail, password)
	return nil
}

// demoLines generates span of logs ending at end: nginx access logs,
// logfmt and JSON application logs from a web shop whose database pool
// starts to saturate in the last hour (timeouts, slow requests, 5xx).
func demoLines(end time.Time, span time.Duration, seed uint64) []string {
	r := rand.New(rand.NewPCG(seed, 42))
	routes := []string{"/api/cart", "/api/products/%d", "/api/checkout", "/api/search?q=item%d", "/healthz"}
	var out []string
	start := end.Add(-span)
	for t := start; t.Before(end); t = t.Add(time.Duration(800+r.IntN(800)) * time.Millisecond) {
		trouble := 0.0
		if d := end.Sub(t); d < time.Hour {
			trouble = 1 - d.Hours() // grows to 1 at the end
		}
		route := routes[r.IntN(len(routes))]
		if strings.Contains(route, "%d") {
			route = fmt.Sprintf(route, r.IntN(5000))
		}
		status, secs := 200, r.ExpFloat64()*0.05
		if r.Float64() < 0.002+0.25*trouble {
			status = []int{500, 502, 503, 504}[r.IntN(4)]
			secs += 2 + r.Float64()*3*trouble
		}
		out = append(out, fmt.Sprintf(`10.0.%d.%d - - [%s] "GET %s HTTP/1.1" %d %d "-" "Mozilla/5.0" %.3f`,
			r.IntN(4), 2+r.IntN(250), t.Format("02/Jan/2006:15:04:05 -0700"), route, status, 200+r.IntN(9000), secs))
		switch {
		case status >= 500 && r.IntN(2) == 0:
			out = append(out, fmt.Sprintf(`ts=%s level=error msg="db query failed" err="pq: sorry, too many clients already" pool_in_use=%d pool_max=50 took=%dms`,
				t.Format(time.RFC3339Nano), 45+r.IntN(6), 1000+r.IntN(4000)))
		case status >= 500:
			out = append(out, fmt.Sprintf(`{"time":%q,"level":"ERROR","msg":"checkout failed: context deadline exceeded","service":"checkout","order_id":"o-%d","latency_ms":%d}`,
				t.Format(time.RFC3339Nano), r.IntN(1e6), 2000+r.IntN(3000)))
		case r.IntN(20) == 0:
			out = append(out, fmt.Sprintf(`ts=%s level=info msg="cache refreshed" keys=%d took=%dms`, t.Format(time.RFC3339Nano), 1000+r.IntN(500), 5+r.IntN(20)))
		case trouble > 0.3 && r.IntN(6) == 0:
			out = append(out, fmt.Sprintf(`ts=%s level=warn msg="db pool nearly exhausted" pool_in_use=%d pool_max=50 wait_ms=%d`,
				t.Format(time.RFC3339Nano), 40+r.IntN(10), 100+r.IntN(900)))
		}
	}
	return out
}
