package parse

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
)

// Corpus returns n deterministic, realistic log lines in a mix of formats:
// JSON (slog, zap, pino, bunyan, ECS), logfmt, nginx and Apache access logs
// (with and without request time), Python, Java (Logback) and Rails
// application logs, Go's log, RFC 5424 and 3164 syslog, plain text, and a
// few multi-line stack traces (Java, Python, Go). The same n and seed give
// the same lines. Benchmarks and the bench command use it.
func Corpus(n int, seed int64) []string {
	g := &corpusGen{
		r: rand.New(rand.NewPCG(uint64(seed), 0x9e3779b97f4a7c15)),
		t: time.Date(2024, 3, 11, 9, 0, 0, 0, time.UTC),
	}
	out := make([]string, 0, n+16)
	for len(out) < n {
		out = g.next(out)
	}
	return out[:n]
}

type corpusGen struct {
	r *rand.Rand
	t time.Time
}

var (
	cServices = []string{"api", "checkout", "auth", "billing", "search", "worker", "gateway"}
	cPaths    = []string{"/api/v1/users", "/api/v1/orders", "/api/v1/orders/{id}", "/login", "/healthz",
		"/static/app.js", "/api/v1/search", "/api/v1/cart/items", "/metrics", "/api/v2/payments"}
	cMethods = []string{"GET", "GET", "GET", "POST", "PUT", "DELETE"}
	cAgents  = []string{"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0 Safari/537.36",
		"curl/8.5.0", "Go-http-client/1.1", "python-requests/2.31.0", "kube-probe/1.29"}
	cLoggers = []string{"com.acme.orders.OrderService", "com.acme.http.RequestFilter", "o.h.e.j.s.SqlExceptionHelper",
		"com.zaxxer.hikari.pool.HikariPool", "org.springframework.web.servlet.DispatcherServlet"}
	cPyLoggers = []string{"app.db", "app.views", "celery.worker", "urllib3.connectionpool", "app.cache"}
	cHosts     = []string{"web-1", "web-2", "db-primary", "worker-7", "edge-3"}
)

func (g *corpusGen) pick(xs []string) string { return xs[g.r.IntN(len(xs))] }

func (g *corpusGen) id() string { return fmt.Sprintf("%08x", g.r.Uint32()) }

func (g *corpusGen) ip() string {
	return fmt.Sprintf("10.%d.%d.%d", g.r.IntN(256), g.r.IntN(256), 1+g.r.IntN(254))
}

func (g *corpusGen) status() int {
	switch x := g.r.IntN(100); {
	case x < 85:
		return 200
	case x < 90:
		return 304
	case x < 94:
		return 404
	case x < 96:
		return 401
	case x < 99:
		return 500
	default:
		return 503
	}
}

func (g *corpusGen) ms() float64 { return float64(g.r.IntN(900)) + g.r.Float64()*100 }

// message returns an application message and its level.
func (g *corpusGen) message() (string, string) {
	switch g.r.IntN(14) {
	case 0:
		return fmt.Sprintf("user %d logged in from %s", g.r.IntN(100000), g.ip()), "info"
	case 1:
		return fmt.Sprintf("order %s created total=%.2f items=%d", g.id(), g.r.Float64()*300, 1+g.r.IntN(9)), "info"
	case 2:
		return fmt.Sprintf("cache miss for key session:%s", g.id()), "debug"
	case 3:
		return fmt.Sprintf("slow query took %dms: SELECT * FROM orders WHERE id = %d", 200+g.r.IntN(3000), g.r.IntN(1e6)), "warn"
	case 4:
		return fmt.Sprintf("connection to db-primary:5432 refused, retrying in %ds", 1+g.r.IntN(30)), "error"
	case 5:
		return fmt.Sprintf("payment %s failed: card declined (code %d)", g.id(), 5000+g.r.IntN(20)), "error"
	case 6:
		return fmt.Sprintf("memory usage mem=%dMB/%dMB heap_used=%dMB", 200+g.r.IntN(1800), 2048, 100+g.r.IntN(900)), "info"
	case 7:
		return fmt.Sprintf("cpu=%d%% load high on %s", 40+g.r.IntN(60), g.pick(cHosts)), "warn"
	case 8:
		return fmt.Sprintf("job %d finished in %.1fs", g.r.IntN(1e5), g.r.Float64()*20), "info"
	case 9:
		return "health check ok", "debug"
	case 10:
		return fmt.Sprintf("request timeout after %dms calling %s", 1000+g.r.IntN(9000), g.pick(cServices)), "error"
	case 11:
		return fmt.Sprintf("rate limit exceeded for client %s", g.ip()), "warn"
	case 12:
		return fmt.Sprintf("processed batch of %d events in %dms", g.r.IntN(5000), g.r.IntN(800)), "info"
	default:
		return fmt.Sprintf("worker %d started with pid %d", g.r.IntN(16), 1000+g.r.IntN(60000)), "info"
	}
}

func upper(l string) string {
	if l == "warn" {
		return "WARN"
	}
	return strings.ToUpper(l)
}

func (g *corpusGen) next(out []string) []string {
	g.t = g.t.Add(time.Duration(g.r.IntN(2000)) * time.Millisecond)
	t := g.t
	msg, lvl := g.message()
	svc := g.pick(cServices)
	switch x := g.r.IntN(200); {
	case x < 20: // slog JSON
		return append(out, fmt.Sprintf(`{"time":%q,"level":%q,"msg":%q,"service":%q,"request_id":%q,"duration_ms":%.1f}`,
			t.Format(time.RFC3339Nano), upper(lvl), msg, svc, g.id(), g.ms()))
	case x < 34: // zap
		return append(out, fmt.Sprintf(`{"level":%q,"ts":%.6f,"caller":"server/handler.go:%d","msg":%q,"latency":"%dms","status":%d}`,
			lvl, float64(t.UnixNano())/1e9, 10+g.r.IntN(400), msg, g.r.IntN(900), g.status()))
	case x < 48: // pino
		lv := map[string]int{"debug": 20, "info": 30, "warn": 40, "error": 50}[lvl]
		return append(out, fmt.Sprintf(`{"level":%d,"time":%d,"pid":%d,"hostname":%q,"req":{"method":%q,"url":%q},"res":{"statusCode":%d},"responseTime":%d,"msg":%q}`,
			lv, t.UnixMilli(), 1000+g.r.IntN(9000), g.pick(cHosts), g.pick(cMethods), g.pick(cPaths), g.status(), g.r.IntN(500), msg))
	case x < 56: // bunyan
		lv := map[string]int{"debug": 20, "info": 30, "warn": 40, "error": 50}[lvl]
		return append(out, fmt.Sprintf(`{"name":%q,"hostname":%q,"pid":%d,"level":%d,"msg":%q,"time":%q,"v":0}`,
			svc, g.pick(cHosts), 1000+g.r.IntN(9000), lv, msg, t.Format("2006-01-02T15:04:05.000Z")))
	case x < 66: // ECS
		return append(out, fmt.Sprintf(`{"@timestamp":%q,"log.level":%q,"message":%q,"ecs.version":"1.6.0","service":{"name":%q},"host":{"hostname":%q},"event":{"duration":%d},"http":{"response":{"status_code":%d}}}`,
			t.Format(time.RFC3339Nano), lvl, msg, svc, g.pick(cHosts), g.r.IntN(900)*1000000, g.status()))
	case x < 90: // logfmt
		return append(out, fmt.Sprintf(`time=%s level=%s msg=%q service=%s duration=%dms user_id=%d`,
			t.Format(time.RFC3339), lvl, msg, svc, g.r.IntN(900), g.r.IntN(1e5)))
	case x < 114: // nginx with request time
		return append(out, fmt.Sprintf(`%s - - [%s] "%s %s?page=%d HTTP/1.1" %d %d "-" %q %.3f`,
			g.ip(), t.Format("02/Jan/2006:15:04:05 -0700"), g.pick(cMethods), g.pick(cPaths), g.r.IntN(20), g.status(), g.r.IntN(50000), g.pick(cAgents), g.ms()/1000))
	case x < 128: // apache combined
		return append(out, fmt.Sprintf(`%s - %s [%s] "%s %s HTTP/1.1" %d %d "https://example.com/" %q`,
			g.ip(), []string{"-", "alice", "bob"}[g.r.IntN(3)], t.Format("02/Jan/2006:15:04:05 -0700"), g.pick(cMethods), g.pick(cPaths), g.status(), g.r.IntN(50000), g.pick(cAgents)))
	case x < 144: // Python logging
		return append(out, fmt.Sprintf(`%s - %s - %s - %s`, t.Format("2006-01-02 15:04:05,000"), g.pick(cPyLoggers), upper(lvl), msg))
	case x < 160: // Logback
		return append(out, fmt.Sprintf(`%s [%s] %-5s %s - %s`, t.Format("2006-01-02 15:04:05.000"),
			[]string{"main", "http-nio-8080-exec-3", "scheduling-1"}[g.r.IntN(3)], upper(lvl), g.pick(cLoggers), msg))
	case x < 168: // Rails
		return append(out, fmt.Sprintf(`%s, [%s #%d] %5s -- : %s`, upper(lvl)[:1], t.Format("2006-01-02T15:04:05.000000"), 1000+g.r.IntN(9000), upper(lvl), msg))
	case x < 174: // RFC 5424
		return append(out, fmt.Sprintf(`<%d>1 %s %s %s %d - - %s`, 8+g.r.IntN(8), t.Format(time.RFC3339Nano), g.pick(cHosts), svc, 1000+g.r.IntN(9000), msg))
	case x < 182: // RFC 3164 as in /var/log/syslog
		return append(out, fmt.Sprintf(`%s %s %s[%d]: %s`, t.Format(time.Stamp), g.pick(cHosts), svc, 1000+g.r.IntN(9000), msg))
	case x < 188: // Go log
		return append(out, fmt.Sprintf(`%s %s`, t.Format("2006/01/02 15:04:05"), msg))
	case x < 193: // plain
		return append(out, msg)
	case x < 196: // Java stack trace
		out = append(out, fmt.Sprintf(`%s [http-nio-8080-exec-%d] ERROR %s - Request processing failed`, t.Format("2006-01-02 15:04:05.000"), g.r.IntN(10), g.pick(cLoggers)),
			"java.lang.IllegalStateException: order "+g.id()+" not found",
			"\tat com.acme.orders.OrderService.find(OrderService.java:88)",
			"\tat com.acme.orders.OrderController.get(OrderController.java:41)",
			"\tat java.base/jdk.internal.reflect.DirectMethodHandleAccessor.invoke(DirectMethodHandleAccessor.java:103)",
			"Caused by: java.sql.SQLTransientConnectionException: HikariPool-1 - Connection is not available, request timed out after 30000ms",
			"\tat com.zaxxer.hikari.pool.HikariPool.createTimeoutException(HikariPool.java:696)",
			"\t... 42 more")
		return out
	case x < 199: // Python traceback
		out = append(out, fmt.Sprintf(`%s - app.views - ERROR - unhandled exception in /api/v1/orders`, t.Format("2006-01-02 15:04:05,000")),
			"Traceback (most recent call last):",
			`  File "/srv/app/views.py", line 42, in get_order`,
			`    order = Order.objects.get(pk=order_id)`,
			`  File "/srv/app/models.py", line 118, in get`,
			`    raise self.model.DoesNotExist("no order %s")`,
			fmt.Sprintf("app.models.DoesNotExist: no order %d", g.r.IntN(1e6)))
		return out
	default: // Go panic
		out = append(out, "panic: runtime error: invalid memory address or nil pointer dereference",
			"[signal SIGSEGV: segmentation violation code=0x1 addr=0x0 pc=0x4a5b2c]",
			"",
			"goroutine 1 [running]:",
			"main.(*Server).handle(0x0, {0x7f2a1c, 0xc0000a4000})",
			"\t/src/server.go:88 +0x2c",
			"main.main()",
			"\t/src/main.go:21 +0x85",
			"exit status 2")
		return out
	}
}
