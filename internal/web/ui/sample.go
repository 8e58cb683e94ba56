package ui

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"time"
)

// SampleLogs returns realistic logs of a small web shop ("Load sample logs"):
// `hours` of calm traffic ending at end, whose last 30 minutes turn into an
// incident — the database connection pool runs dry, latency and 5xx climb,
// the worker's memory grows. The lines mix the formats a real service
// writes: nginx access logs with request times, Go slog JSON, logfmt,
// Python logging with a multi-line traceback, and a metrics line. The same
// seed gives the same lines.
func SampleLogs(end time.Time, hours int, seed uint64) []string {
	hours = max(hours, 1)
	g := &sampleGen{r: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
	end = end.UTC().Truncate(time.Second)
	minutes := hours * 60
	start := end.Add(-time.Duration(minutes) * time.Minute)
	const incident = 30 // minutes before end
	for m := 0; m < minutes; m++ {
		t0 := start.Add(time.Duration(m) * time.Minute)
		sev := 0.0
		if left := minutes - m; left <= incident {
			sev = math.Min(1, float64(incident-left+1)/12)
		}
		n := 8 + g.r.IntN(5)
		if h := t0.Hour(); h >= 8 && h <= 21 {
			n += 4
		}
		n += int(float64(n) * 1.5 * sev) // retries and error lines swell the volume
		for i := 0; i < n; i++ {
			t := t0.Add(time.Duration(g.r.Float64() * float64(time.Minute)))
			g.request(t, sev)
		}
		g.metrics(t0.Add(50*time.Second), sev, m)
		if g.r.Float64() < 0.05 {
			t := t0.Add(time.Duration(g.r.IntN(59)) * time.Second)
			g.add(t, logfmt(t, "info", "job finished", "job", "reindex-products", "rows", fmt.Sprint(500+g.r.IntN(4000)), "took", fmt.Sprintf("%dms", 200+g.r.IntN(900))))
		}
		if sev > 0.3 && g.r.Float64() < 0.25 {
			t := t0.Add(time.Duration(g.r.IntN(59)) * time.Second)
			g.traceback(t)
		}
	}
	slices.SortStableFunc(g.lines, func(a, b sampleLine) int { return a.t.Compare(b.t) })
	out := make([]string, 0, len(g.lines))
	for _, l := range g.lines {
		out = append(out, l.text)
	}
	return out
}

type sampleLine struct {
	t    time.Time
	text string
}

type sampleGen struct {
	r     *rand.Rand
	lines []sampleLine
}

func (g *sampleGen) add(t time.Time, s string) { g.lines = append(g.lines, sampleLine{t, s}) }

var sampleRoutes = []string{"/api/cart", "/api/products/%d", "/api/checkout", "/api/orders/%d", "/api/search?q=%s", "/healthz", "/static/app.%x.js"}
var sampleWords = []string{"boots", "lamp", "desk", "kettle", "tent", "chair", "mug", "shelf"}

func (g *sampleGen) route() string {
	r := sampleRoutes[g.r.IntN(len(sampleRoutes))]
	switch {
	case strings.Contains(r, "%d"):
		return fmt.Sprintf(r, 1000+g.r.IntN(90000))
	case strings.Contains(r, "%s"):
		return fmt.Sprintf(r, sampleWords[g.r.IntN(len(sampleWords))])
	case strings.Contains(r, "%x"):
		return fmt.Sprintf(r, 0xa0000+g.r.IntN(0xfffff))
	}
	return r
}

func (g *sampleGen) request(t time.Time, sev float64) {
	route := g.route()
	secs := math.Exp(g.r.NormFloat64()*0.45-3.3) * (1 + 14*sev)
	bad := g.r.Float64() < 0.003+0.4*sev && !strings.HasPrefix(route, "/static")
	status := []int{200, 200, 200, 200, 201, 204, 304, 404}[g.r.IntN(8)]
	if bad {
		status = []int{500, 502, 503, 504}[g.r.IntN(4)]
	}
	method := "GET"
	if strings.HasPrefix(route, "/api/checkout") || strings.HasPrefix(route, "/api/cart") && g.r.IntN(2) == 0 {
		method = "POST"
	}
	ip := fmt.Sprintf("10.0.%d.%d", g.r.IntN(4), 2+g.r.IntN(250))
	g.add(t, fmt.Sprintf(`%s - - [%s] "%s %s HTTP/1.1" %d %d "-" "Mozilla/5.0 (X11; Linux x86_64)" %.3f`,
		ip, t.Format("02/Jan/2006:15:04:05 -0700"), method, route, status, 200+g.r.IntN(30000), secs))
	switch {
	case bad:
		switch p := g.r.Float64(); {
		case p < 0.45:
			g.add(t, slogLine(t, "ERROR", "pq: sorry, too many clients already", "component", "db", "db", "shop-db", "route", route))
		case p < 0.8:
			g.add(t, logfmt(t, "error", "acquire connection timed out", "pool", "primary", "db", "shop-db", "wait_ms", "5000",
				"in_use", "50", "max_open", "50", "route", route))
		default:
			g.add(t, slogLine(t, "ERROR", "checkout failed", "component", "orders", "err", "context deadline exceeded", "duration_ms", fmt.Sprintf("%.0f", secs*1000)))
		}
	case secs > 0.6:
		g.add(t, slogLine(t, "WARN", "slow query", "component", "db", "db", "shop-db", "duration_ms", fmt.Sprintf("%.0f", secs*800),
			"query", "SELECT * FROM orders WHERE customer_id = $1 ORDER BY created_at DESC"))
	case g.r.Float64() < 0.08:
		g.add(t, slogLine(t, "INFO", "request served", "route", route, "status", fmt.Sprint(status), "duration_ms", fmt.Sprintf("%.1f", secs*1000)))
	}
}

func (g *sampleGen) metrics(t time.Time, sev float64, m int) {
	rss := 410 + 0.02*float64(m%120) + 900*sev*sev + g.r.Float64()*12
	cpu := 18 + 55*sev + g.r.Float64()*6
	g.add(t, fmt.Sprintf("%s,%03d INFO [worker.metrics] process rss=%.0fMB cpu=%.1f%% queue_depth=%d",
		t.Format("2006-01-02 15:04:05"), t.Nanosecond()/1e6, rss, cpu, 3+int(300*sev)+g.r.IntN(4)))
}

func (g *sampleGen) traceback(t time.Time) {
	job := fmt.Sprintf("%08x", g.r.Uint32())
	g.add(t, strings.Join([]string{
		fmt.Sprintf("%s,%03d ERROR [worker.emails] Task send_receipt[%s] raised unexpected: OperationalError", t.Format("2006-01-02 15:04:05"), t.Nanosecond()/1e6, job),
		"Traceback (most recent call last):",
		`  File "/app/worker/tasks.py", line 88, in send_receipt`,
		"    order = Order.objects.get(pk=order_id)",
		`  File "/app/.venv/lib/python3.12/site-packages/django/db/backends/base/base.py", line 289, in ensure_connection`,
		"    self.connect()",
		`psycopg2.OperationalError: connection to server at "shop-db" (10.0.9.4), port 5432 failed: FATAL:  sorry, too many clients already`,
	}, "\n"))
}

func slogLine(t time.Time, level, msg string, kv ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, `{"time":%q,"level":%q,"msg":%s,"service":"shop-api"`, t.Format(time.RFC3339Nano), level, jsonString(msg))
	for i := 0; i+1 < len(kv); i += 2 {
		fmt.Fprintf(&b, `,%s:%s`, jsonString(kv[i]), jsonString(kv[i+1]))
	}
	b.WriteByte('}')
	return b.String()
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func logfmt(t time.Time, level, msg string, kv ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "ts=%s level=%s msg=%q service=shop-api", t.Format(time.RFC3339Nano), level, msg)
	for i := 0; i+1 < len(kv); i += 2 {
		v := kv[i+1]
		if strings.ContainsAny(v, " \"=") {
			v = fmt.Sprintf("%q", v)
		}
		fmt.Fprintf(&b, " %s=%s", kv[i], v)
	}
	return b.String()
}
