package engine

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strings"
	"time"

	"github.com/cloudsage/cloudsage/internal/advisor"
	"github.com/cloudsage/cloudsage/internal/risk"
)

// This file generates the scenario logs: a few hours of a healthy service in
// one of several stacks, then an incident of one kind in the last minutes.
// Generation is deterministic (a fixed seed per scenario), so the goldens
// are stable; nothing here knows what the engine will answer.

var scenarioEnd = time.Date(2026, 4, 14, 16, 0, 0, 0, time.UTC)

type line struct {
	t time.Time
	s string
}

type gen struct {
	r     *rand.Rand
	lines []line
	stack string
	host  string
}

func (g *gen) add(t time.Time, s string) { g.lines = append(g.lines, line{t, s}) }

// text returns the log, ordered by time (stable for equal times, so a stack
// trace keeps its lines together).
func (g *gen) text() []string {
	sort.SliceStable(g.lines, func(i, j int) bool { return g.lines[i].t.Before(g.lines[j].t) })
	out := make([]string, 0, len(g.lines))
	for _, l := range g.lines {
		out = append(out, strings.Split(l.s, "\n")...)
	}
	return out
}

// minute is what one minute of the service looks like.
type minute struct {
	reqs     float64 // requests
	errProb  float64 // share of requests answered with a 5xx
	errCodes []int
	latMul   float64 // latency multiplier
	mem, cpu float64 // percent
	memMB    float64 // when > 0, memory is reported in MB instead of percent
	routes   []string
	// routeErr, when set, confines errors to one route
	routeErr string
	silent   bool // the service stops logging (but the scenario may add lines)
}

var defaultRoutes = []string{"/api/orders", "/api/orders/{id}", "/api/cart", "/api/checkout", "/api/search", "/healthz", "/api/users/{id}"}

func (g *gen) route(rs []string) string {
	r := rs[g.r.IntN(len(rs))]
	return strings.ReplaceAll(r, "{id}", fmt.Sprint(g.r.IntN(90000)+1000))
}

func (g *gen) ip() string {
	return fmt.Sprintf("10.%d.%d.%d", g.r.IntN(4), g.r.IntN(250), 2+g.r.IntN(250))
}

// Line formats of the stacks.

func nginx(t time.Time, ip, method, path string, status int, secs float64) string {
	return fmt.Sprintf(`%s - - [%s] "%s %s HTTP/1.1" %d %d "-" "Mozilla/5.0 (X11; Linux x86_64)" %.3f`,
		ip, t.Format("02/Jan/2006:15:04:05 -0700"), method, path, status, 200+int(secs*7919)%30000, secs)
}

func pylog(t time.Time, level, logger, msg string) string {
	return fmt.Sprintf("%s,%03d %s [%s] %s", t.Format("2006-01-02 15:04:05"), t.Nanosecond()/1e6, level, logger, msg)
}

func javalog(t time.Time, level, thread, class, msg string) string {
	return fmt.Sprintf("%s %5s 4242 --- [%s] %-40s : %s", t.Format("2006-01-02 15:04:05.000"), level, thread, class, msg)
}

func gojson(t time.Time, level, msg string, kv ...any) string {
	m := map[string]any{"time": t.Format(time.RFC3339Nano), "level": level, "msg": msg}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i].(string)] = kv[i+1]
	}
	b, _ := json.Marshal(m)
	return string(b)
}

func logfmtLine(t time.Time, level, msg string, kv ...any) string {
	var b strings.Builder
	fmt.Fprintf(&b, "ts=%s level=%s msg=%q", t.Format(time.RFC3339Nano), level, msg)
	for i := 0; i+1 < len(kv); i += 2 {
		v := fmt.Sprint(kv[i+1])
		if strings.ContainsAny(v, " \"=") {
			v = fmt.Sprintf("%q", v)
		}
		fmt.Fprintf(&b, " %s=%s", kv[i], v)
	}
	return b.String()
}

func syslog(t time.Time, pri int, host, app string, pid int, msg string) string {
	return fmt.Sprintf("<%d>%s %s %s[%d]: %s", pri, t.Format(time.Stamp), host, app, pid, msg)
}

// background writes one ordinary minute of the service in its stack.
func (g *gen) background(t0 time.Time, m minute) {
	if m.silent {
		return
	}
	n := int(m.reqs + g.r.Float64()*3)
	routes := m.routes
	if routes == nil {
		routes = defaultRoutes
	}
	for i := 0; i < n; i++ {
		t := t0.Add(time.Duration(g.r.Int64N(int64(time.Minute))))
		path := g.route(routes)
		status := []int{200, 200, 200, 200, 201, 204, 304, 404}[g.r.IntN(8)]
		bad := g.r.Float64() < m.errProb
		if m.routeErr != "" {
			bad = bad && strings.HasPrefix(path, m.routeErr)
		}
		if bad {
			codes := m.errCodes
			if codes == nil {
				codes = []int{500, 502, 503}
			}
			status = codes[g.r.IntN(len(codes))]
		}
		secs := math.Exp(math.Log(0.045)+0.45*g.r.NormFloat64()) * m.latMul
		method := []string{"GET", "GET", "GET", "POST"}[g.r.IntN(4)]
		switch g.stack {
		case "nginx", "python":
			g.add(t, nginx(t, g.ip(), method, path, status, secs))
		case "java":
			lv := "INFO"
			if status >= 500 {
				lv = "ERROR"
			}
			g.add(t, javalog(t, lv, fmt.Sprintf("nio-8080-exec-%d", 1+g.r.IntN(9)), "c.e.orders.web.RequestLogger",
				fmt.Sprintf("completed %s %s status=%d duration=%dms", method, path, status, int(secs*1000))))
		case "go":
			lv := "INFO"
			if status >= 500 {
				lv = "ERROR"
			}
			g.add(t, gojson(t, lv, "request", "method", method, "path", path, "status", status, "duration_ms", math.Round(secs*10000)/10))
		case "worker":
			// a queue worker: no HTTP, no latency, no metrics; only what it did
			if status >= 500 {
				g.add(t, gojson(t, "ERROR", "job failed", "job", "invoice.render", "error", "internal error"))
			} else {
				g.add(t, gojson(t, "INFO", "job done", "job", []string{"invoice.render", "email.send", "report.build"}[g.r.IntN(3)]))
			}
		case "logfmt", "syslog":
			lv := "info"
			if status >= 500 {
				lv = "error"
			}
			g.add(t, logfmtLine(t, lv, "request handled", "method", method, "path", path, "status", status, "took", fmt.Sprintf("%dms", int(secs*1000))))
		}
	}
	// app lines and a metrics line
	t := t0.Add(30 * time.Second)
	mem := fmt.Sprintf("mem=%.1f%%", m.mem+g.r.NormFloat64())
	if m.memMB > 0 {
		mem = fmt.Sprintf("rss=%.0fMB", m.memMB+5*g.r.NormFloat64())
	}
	cpu := fmt.Sprintf("cpu=%.1f%%", math.Max(1, math.Min(100, m.cpu+3*g.r.NormFloat64())))
	switch g.stack {
	case "worker":
	case "nginx", "python":
		g.add(t, pylog(t, "INFO", "metrics", fmt.Sprintf("process stats %s %s", mem, cpu)))
		if g.r.IntN(3) == 0 {
			g.add(t.Add(time.Second), pylog(t.Add(time.Second), "INFO", "orders.service", fmt.Sprintf("order %d placed by customer %d", g.r.IntN(1e6), g.r.IntN(1e5))))
		}
	case "java":
		g.add(t, javalog(t, "INFO", "metrics-1", "c.e.orders.metrics.Reporter", fmt.Sprintf("jvm stats %s %s", mem, cpu)))
		if g.r.IntN(3) == 0 {
			g.add(t.Add(time.Second), javalog(t.Add(time.Second), "INFO", "scheduling-1", "c.e.orders.jobs.Reconciler", fmt.Sprintf("reconciled %d orders", g.r.IntN(500))))
		}
	case "go":
		g.add(t, gojson(t, "INFO", "runtime stats", "mem", mem[4:], "cpu", cpu[4:]))
		if g.r.IntN(3) == 0 {
			g.add(t.Add(time.Second), gojson(t.Add(time.Second), "INFO", "cache refreshed", "keys", g.r.IntN(5000)))
		}
	case "logfmt", "syslog":
		g.add(t, logfmtLine(t, "info", "worker stats", "mem", mem[4:], "cpu", cpu[4:]))
		if g.stack == "syslog" {
			g.add(t.Add(2*time.Second), syslog(t.Add(2*time.Second), 30, g.host, "systemd", 1, "Started Session "+fmt.Sprint(g.r.IntN(9000))+" of user deploy."))
		}
	}
}

// scenario is one situation the engine must recognise.
type scenario struct {
	name   string
	stack  string
	minute func(g *gen, t time.Time, sev float64, m *minute) // shapes an incident minute and adds its lines
	// incident minutes at the end; sev ramps from 0 to 1 over the first
	// quarter of them
	incident int
	hours    int // of history in all (default 6)
	// expectations: label and chain (any of), an action key among the top three (any of)
	labels, chains, keys []string
	// check, when set, returns what is wrong with the report beyond those
	check func(r Report) string
}

const historyHours = 6

func (sc scenario) generate() []string {
	h := fnvHash(sc.name)
	g := &gen{r: rand.New(rand.NewPCG(h, 7)), stack: sc.stack, host: "web-1"}
	total := historyHours * 60
	if sc.hours > 0 {
		total = sc.hours * 60
	}
	start := scenarioEnd.Add(-time.Duration(total) * time.Minute)
	for i := 0; i < total; i++ {
		t0 := start.Add(time.Duration(i) * time.Minute)
		// a gentle daily shape: busier in the afternoon
		m := minute{reqs: 14 + 4*math.Sin(float64(i)/90), errProb: 0.004, latMul: 1, mem: 55, cpu: 25}
		if k := i - (total - sc.incident); k >= 0 && sc.minute != nil {
			sev := math.Min(1, float64(k+1)/math.Max(1, float64(sc.incident)/4))
			sc.minute(g, t0, sev, &m)
		}
		g.background(t0, m)
	}
	return g.text()
}

func fnvHash(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}

// within returns a time inside the minute.
func (g *gen) within(t time.Time) time.Time {
	return t.Add(time.Duration(g.r.Int64N(int64(time.Minute))))
}

func (g *gen) times(n float64) int { return int(n + g.r.Float64()) }

// climb is how far into the incident t is, 0..1: for a degradation that
// builds up over the whole incident rather than in its first quarter.
func climb(t time.Time, incidentMinutes int) float64 {
	start := scenarioEnd.Add(-time.Duration(incidentMinutes) * time.Minute)
	return math.Max(0, math.Min(1, t.Sub(start).Minutes()/float64(incidentMinutes)))
}

// slowClimb is a service whose 5xx share climbs over two days to 15% of
// requests, with nothing else wrong: no new error message, no latency.
func slowClimb(name, stack string, hours int) scenario {
	inc := 48 * 60
	return scenario{
		name: name, stack: stack, hours: hours, incident: inc,
		minute: func(g *gen, t time.Time, sev float64, m *minute) {
			m.errProb, m.errCodes = 0.004+0.15*climb(t, inc), []int{500, 502, 503}
		},
		// 12-13% of the lines are errors now: far above any objective
		labels: []string{"medium", "high"}, keys: []string{"http_5xx_burst", "top_factor", "top_error_pattern", "surging_pattern"},
		check: func(r Report) string {
			if f := r.Risk.Factor(risk.ErrorRate); f.Baseline > 0.03 {
				return fmt.Sprintf("the error baseline %s learned the climb (%s)", risk.Format(f.Baseline, f.Unit), r.Risk.Baseline)
			}
			return ""
		},
	}
}

// oomOnHosts is a JVM service killed for memory every fourth minute once
// memory is full, on the hosts of order in turn (the kernel's lines name
// the host): the latest kill is on order's last host.
func oomOnHosts(name string, order []string, check func(r Report) string) scenario {
	const inc = 60
	return scenario{
		name: name, stack: "java", incident: inc,
		minute: func(g *gen, t time.Time, sev float64, m *minute) {
			m.mem = 60 + 35*sev
			k := int(t.Sub(scenarioEnd.Add(-inc * time.Minute)).Minutes()) // minute of the incident
			if sev < 1 || k%4 != 0 {
				return
			}
			i := (k - inc/4) / 4
			if i < 0 || i >= len(order) {
				return
			}
			tt := g.within(t)
			g.add(tt, syslog(tt, 3, order[i], "kernel", 0, fmt.Sprintf("Out of memory: Killed process %d (java) total-vm:8123456kB, anon-rss:4012345kB", 4000+g.r.IntN(900))))
		},
		labels: []string{"medium", "high"}, keys: []string{"oom_kill"}, check: check,
	}
}

// oomAction returns the report's OOM action.
func oomAction(r Report) (advisor.Action, bool) {
	for _, a := range r.Actions {
		if a.Key == "oom_kill" {
			return a, true
		}
	}
	return advisor.Action{}, false
}

var scenarios = []scenario{
	slowClimb("slow_5xx_climb_nginx", "nginx", 60),
	slowClimb("slow_5xx_climb_json", "go", 60),
	slowClimb("slow_5xx_climb_logfmt", "logfmt", 60),
	slowClimb("slow_5xx_climb_java", "java", 60),
	{
		// the climb fills the whole history: no healthy hours to compare
		// with, the sustained error rate alone says medium
		name: "slow_5xx_climb_no_healthy_history", stack: "logfmt", hours: 40, incident: 40 * 60,
		minute: func(g *gen, t time.Time, sev float64, m *minute) {
			m.errProb, m.errCodes = 0.02+0.14*climb(t, 40*60), []int{503}
		},
		labels: []string{"medium", "high"},
		check: func(r Report) string {
			if !strings.Contains(r.Risk.Floor+r.Risk.Factor(risk.ErrorRate).Summary, "objective") {
				return "neither the floor nor the error factor says why: " + r.Risk.Floor
			}
			return ""
		},
	},
	oomOnHosts("oom_spread_over_hosts", strings.Fields("api-3 api-1 api-3 api-2 api-1 api-3 api-1 api-3 api-2 api-3 api-2"), func(r Report) string {
		a, ok := oomAction(r)
		if !ok {
			return "no oom_kill action"
		}
		for _, h := range []string{"api-1", "api-2", "api-3"} {
			if strings.Contains(a.Title, h) {
				return fmt.Sprintf("kills spread over three hosts, the title names %s: %s", h, a.Title)
			}
		}
		if !strings.Contains(a.Why, "by host: api-3") {
			return "the why does not list the hosts, most kills first: " + a.Why
		}
		return ""
	}),
	oomOnHosts("oom_one_host", strings.Fields("api-3 api-3 api-3 api-3 api-3 api-3 api-3 api-3 api-3 api-3 api-1"), func(r Report) string {
		a, ok := oomAction(r)
		if !ok {
			return "no oom_kill action"
		}
		if !strings.Contains(a.Title+a.Why, "on api-3") || strings.Contains(a.Title+a.Why, "on api-1") {
			return "api-3 has nearly every kill; the action should name it alone: " + a.Title + " / " + a.Why
		}
		return ""
	}),
	{
		name: "calm", stack: "python",
		labels: []string{"low"}, chains: []string{"standard"},
	},
	{
		name: "db_pool_exhaustion", stack: "java", incident: 25,
		minute: func(g *gen, t time.Time, sev float64, m *minute) {
			m.errProb, m.latMul, m.errCodes = 0.45*sev, 1+20*sev, []int{500, 503}
			for i := 0; i < g.times(6*sev); i++ {
				tt := g.within(t)
				g.add(tt, javalog(tt, "ERROR", fmt.Sprintf("nio-8080-exec-%d", 1+g.r.IntN(9)), "o.h.engine.jdbc.spi.SqlExceptionHelper",
					"HikariPool-1 - Connection is not available, request timed out after 30000ms.")+
					"\njava.sql.SQLTransientConnectionException: HikariPool-1 - Connection is not available, request timed out after 30000ms."+
					"\n\tat com.zaxxer.hikari.pool.HikariPool.createTimeoutException(HikariPool.java:696)"+
					"\n\tat com.zaxxer.hikari.pool.HikariPool.getConnection(HikariPool.java:197)"+
					"\n\tat com.example.orders.repo.OrderRepository.findById(OrderRepository.java:88)")
			}
		},
		// 45% of requests fail and p95 is 20x: a service owner pages someone
		labels: []string{"high"}, chains: []string{"critical"}, keys: []string{"db_pool_exhaustion"},
	},
	{
		name: "upstream_timeout", stack: "go", incident: 30,
		minute: func(g *gen, t time.Time, sev float64, m *minute) {
			m.errProb, m.latMul, m.errCodes = 0.35*sev, 1+60*sev, []int{504}
			for i := 0; i < g.times(5*sev); i++ {
				tt := g.within(t)
				g.add(tt, gojson(tt, "ERROR", "call payments failed", "upstream", "payments-api.internal:8443",
					"error", "Post \"https://payments-api.internal:8443/v1/charge\": context deadline exceeded", "duration_ms", 5000+g.r.IntN(50)))
			}
		},
		labels: []string{"high"}, chains: []string{"critical"}, keys: []string{"upstream_timeout"},
	},
	{
		name: "5xx_burst_one_route", stack: "nginx", incident: 20,
		minute: func(g *gen, t time.Time, sev float64, m *minute) {
			m.errProb, m.routeErr, m.errCodes = 0.9*sev, "/api/checkout", []int{502}
		},
		labels: []string{"medium", "low"}, keys: []string{"http_5xx_burst"},
	},
	{
		name: "latency_regression", stack: "nginx", incident: 40,
		minute: func(g *gen, t time.Time, sev float64, m *minute) { m.latMul = 1 + 25*sev },
		labels: []string{"low", "medium"}, keys: []string{"latency_regression"},
	},
	{
		name: "memory_leak_oom", stack: "java", incident: 120,
		minute: func(g *gen, t time.Time, sev float64, m *minute) {
			m.mem = 60 + 38*sev
			if sev >= 1 && g.r.IntN(6) == 0 {
				tt := g.within(t)
				g.add(tt, javalog(tt, "ERROR", "nio-8080-exec-4", "o.a.c.c.C.[.[localhost].[/].[dispatcherServlet]",
					"Servlet.service() threw exception")+
					"\njava.lang.OutOfMemoryError: Java heap space"+
					"\n\tat java.base/java.util.Arrays.copyOf(Arrays.java:3537)"+
					"\n\tat com.example.orders.export.CsvExporter.render(CsvExporter.java:142)")
				g.add(tt.Add(time.Second), syslog(tt.Add(time.Second), 3, "web-1", "kernel", 0,
					"Out of memory: Killed process 4242 (java) total-vm:8123456kB, anon-rss:4012345kB"))
			}
		},
		// processes killed for memory every few minutes: at least medium
		labels: []string{"medium", "high"}, keys: []string{"oom_kill", "memory_leak"},
	},
	{
		name: "cpu_saturation", stack: "go", incident: 40,
		minute: func(g *gen, t time.Time, sev float64, m *minute) {
			m.cpu, m.latMul = 25+73*sev, 1+3*sev
			if g.r.IntN(3) == 0 {
				tt := g.within(t)
				g.add(tt, gojson(tt, "WARN", "high cpu usage, shedding background work", "cpu", fmt.Sprintf("%.0f%%", m.cpu)))
			}
		},
		labels: []string{"low", "medium"}, keys: []string{"cpu_saturation"},
	},
	{
		name: "disk_full", stack: "python", incident: 30,
		minute: func(g *gen, t time.Time, sev float64, m *minute) {
			m.errProb = 0.2 * sev
			for i := 0; i < g.times(4*sev); i++ {
				tt := g.within(t)
				g.add(tt, pylog(tt, "ERROR", "uploads.store", "Traceback (most recent call last):")+
					"\n  File \"/app/uploads/store.py\", line 57, in save"+
					"\n    f.write(chunk)"+
					fmt.Sprintf("\nOSError: [Errno 28] No space left on device: '/var/lib/app/uploads/tmp/%08x'", g.r.Uint32()))
			}
		},
		labels: []string{"medium", "high"}, keys: []string{"disk_full"},
	},
	{
		name: "tls_certificate", stack: "go", incident: 30,
		minute: func(g *gen, t time.Time, sev float64, m *minute) {
			m.errProb, m.errCodes = 0.3*sev, []int{502}
			for i := 0; i < g.times(5*sev); i++ {
				tt := g.within(t)
				g.add(tt, gojson(tt, "ERROR", "inventory call failed", "error",
					"Get \"https://inventory.example.com/v2/stock\": tls: failed to verify certificate: x509: certificate has expired or is not yet valid: current time 2026-04-14T15:40:00Z is after 2026-04-14T15:30:00Z"))
			}
		},
		labels: []string{"high"}, chains: []string{"critical"}, keys: []string{"tls_certificate"},
	},
	{
		name: "auth_bruteforce", stack: "syslog", incident: 30,
		minute: func(g *gen, t time.Time, sev float64, m *minute) {
			for i := 0; i < g.times(40*sev); i++ {
				tt := g.within(t)
				g.add(tt, syslog(tt, 38, "web-1", "sshd", 30000+g.r.IntN(9999),
					fmt.Sprintf("Failed password for invalid user %s from 203.0.113.77 port %d ssh2", []string{"admin", "root", "oracle", "test", "ubuntu"}[g.r.IntN(5)], 30000+g.r.IntN(30000))))
			}
		},
		labels: []string{"low", "medium"}, keys: []string{"auth_bruteforce"},
	},
	{
		name: "rate_limited_429", stack: "python", incident: 30,
		minute: func(g *gen, t time.Time, sev float64, m *minute) {
			for i := 0; i < g.times(8*sev); i++ {
				tt := g.within(t)
				g.add(tt, pylog(tt, "WARNING", "billing.stripe", "Stripe API returned 429 Too Many Requests for POST /v1/payment_intents; retrying in 30s"))
			}
			m.errProb, m.errCodes = 0.08*sev, []int{503}
		},
		labels: []string{"low", "medium"}, keys: []string{"rate_limited"},
	},
	{
		name: "crash_loop", stack: "go", incident: 30,
		minute: func(g *gen, t time.Time, sev float64, m *minute) {
			m.reqs *= 0.5
			if g.r.IntN(2) == 0 {
				tt := g.within(t)
				g.add(tt, gojson(tt, "INFO", "server starting", "version", "2.7.1", "addr", ":8080"))
				t2 := tt.Add(3 * time.Second)
				g.add(t2, "panic: runtime error: invalid memory address or nil pointer dereference\n"+
					"[signal SIGSEGV: segmentation violation code=0x1 addr=0x0 pc=0x6c1d2f]\n\n"+
					"goroutine 1 [running]:\nmain.loadConfig(...)\n\t/src/cmd/api/main.go:88 +0x2f\nmain.main()\n\t/src/cmd/api/main.go:41 +0x65\nexit status 2")
				g.add(t2.Add(time.Second), syslog(t2.Add(time.Second), 28, "node-3", "kubelet", 1201,
					"Back-off restarting failed container api in pod api-7d9f8b-x2kq_default"))
			}
		},
		labels: []string{"low", "medium", "high"}, keys: []string{"crash_loop"},
	},
	{
		name: "queue_backlog", stack: "logfmt", incident: 60,
		minute: func(g *gen, t time.Time, sev float64, m *minute) {
			tt := g.within(t)
			g.add(tt, logfmtLine(tt, "warn", "queue depth growing, consumers behind", "queue", "email-send", "depth", int(200+20000*sev), "consumer_lag", fmt.Sprintf("%ds", int(5+900*sev))))
		},
		labels: []string{"low", "medium"}, keys: []string{"queue_backlog"},
	},
	{
		name: "deploy_error_spike", stack: "python", incident: 25,
		minute: func(g *gen, t time.Time, sev float64, m *minute) {
			if sev < 0.2 && g.r.IntN(2) == 0 {
				g.add(t, pylog(t, "INFO", "deploy", "deploy v2.3.1 finished, 4 workers restarted"))
			}
			m.errProb = 0.15 * sev
			for i := 0; i < g.times(4*sev); i++ {
				tt := g.within(t)
				g.add(tt, pylog(tt, "ERROR", "orders.pricing", fmt.Sprintf("Failed to price order %d: KeyError: 'customer_tier'", g.r.IntN(1e6))))
			}
		},
		labels: []string{"medium", "high"}, keys: []string{"deploy_error_spike", "top_error_pattern", "new_patterns"},
	},
	{
		// errors on one route among healthy ones: the 5xx action names that
		// route, and its numbers are exactly its lines (TestHTTPBurstNumbers)
		name: "5xx_one_route_access_log", stack: "nginx", incident: 30,
		minute: func(g *gen, t time.Time, sev float64, m *minute) {
			m.errProb, m.routeErr, m.errCodes = 0.7*sev, "/api/orders/", []int{500, 503}
			m.reqs *= 2
		},
		labels: []string{"medium", "high"}, keys: []string{"http_5xx_burst"},
	},
	{
		// a Spring Boot service throwing NullPointerExceptions with stack
		// traces: the patterns read without the "4242 --- [thread] class :"
		// header, the error surge is the top action
		name: "spring_boot_npe", stack: "java", incident: 30,
		minute: func(g *gen, t time.Time, sev float64, m *minute) {
			m.errProb = 0.2 * sev
			for i := 0; i < g.times(5*sev); i++ {
				tt := g.within(t)
				g.add(tt, javalog(tt, "ERROR", fmt.Sprintf("nio-8080-exec-%d", 1+g.r.IntN(9)), "o.a.c.c.C.[.[.[/].[dispatcherServlet]",
					"Servlet.service() for servlet [dispatcherServlet] threw exception")+
					"\njava.lang.NullPointerException: Cannot invoke \"com.example.orders.model.Customer.getTier()\" because \"customer\" is null"+
					"\n\tat com.example.orders.pricing.PriceService.price(PriceService.java:57)"+
					"\n\tat com.example.orders.web.OrderController.create(OrderController.java:112)")
			}
		},
		labels: []string{"medium", "high"}, keys: []string{"top_error_pattern", "deploy_error_spike", "surging_pattern", "new_patterns"},
	},
	{
		// the incident's cache: "redis: connection pool timeout" is the
		// cache's pool, never the database's
		name: "redis_cache_outage", stack: "go", incident: 30,
		minute: func(g *gen, t time.Time, sev float64, m *minute) {
			m.errProb, m.latMul = 0.3*sev, 1+10*sev
			for i := 0; i < g.times(6*sev); i++ {
				tt := g.within(t)
				g.add(tt, gojson(tt, "ERROR", "cache get failed", "key", fmt.Sprintf("cart:%d", g.r.IntN(9999)), "err", "redis: connection pool timeout"))
			}
		},
		labels: []string{"high"}, chains: []string{"critical"}, keys: []string{"cache_outage"},
	},
	{
		// a worker whose logs carry no latency, memory or CPU: scored over
		// errors and volume (65 of 100), its database outage is still high
		name: "db_pool_errors_only", stack: "worker", incident: 30,
		minute: func(g *gen, t time.Time, sev float64, m *minute) {
			for i := 0; i < g.times(8*sev); i++ {
				tt := g.within(t)
				g.add(tt, gojson(tt, "ERROR", "job failed", "job", "invoice.render",
					"error", "pq: sorry, too many clients already"))
			}
		},
		labels: []string{"high"}, chains: []string{"critical"}, keys: []string{"db_pool_exhaustion"},
	},
	{
		name: "sudden_silence", stack: "nginx", incident: 20,
		minute: func(g *gen, t time.Time, sev float64, m *minute) {
			m.silent = true
			tt := t.Add(10 * time.Second)
			g.add(tt, pylog(tt, "INFO", "heartbeat", "alive"))
		},
		labels: []string{"low", "medium"}, keys: []string{"sudden_silence"},
	},
}
