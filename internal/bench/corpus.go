package bench

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/cloudsage/cloudsage/internal/eval/loghub"
)

// Corpus is what the stages run on: each line whole (Raw, as a log file
// holds it) and its message without the header (Content, what pattern
// mining sees).
type Corpus struct {
	Raw     []string
	Content []string
	// Sources says where the lines came from, for the report.
	Sources string
}

// Len returns the number of lines.
func (c *Corpus) Len() int { return len(c.Raw) }

// LoadLoghub reads every system of a Loghub-2k folder (formats.json plus
// <System>/<System>_2k.log), splitting each line's header from its
// content with the system's log_format. Systems whose log is missing are
// skipped.
func LoadLoghub(dir string) (*Corpus, error) {
	formats, err := loghub.LoadFormats(dir)
	if err != nil {
		return nil, err
	}
	c := &Corpus{}
	var names []string
	for _, name := range loghub.Systems(dir, formats) {
		f := formats[name]
		re, err := loghub.FormatRegexp(f.LogFormat)
		if err != nil {
			return nil, err
		}
		path := filepath.Join(dir, name, name+"_2k.log")
		if f.LogFile != "" {
			path = filepath.Join(dir, f.LogFile)
		}
		fh, err := os.Open(path)
		if err != nil {
			continue
		}
		ci := re.SubexpIndex("Content")
		sc := bufio.NewScanner(fh)
		sc.Buffer(make([]byte, 1<<20), 1<<24)
		for sc.Scan() {
			line := strings.TrimRight(sc.Text(), "\r")
			m := re.FindStringSubmatch(line)
			if m == nil {
				continue
			}
			c.Raw = append(c.Raw, line)
			c.Content = append(c.Content, m[ci])
		}
		fh.Close()
		if err := sc.Err(); err != nil {
			return nil, fmt.Errorf("read %s: %w", path, err)
		}
		names = append(names, name)
	}
	c.Sources = fmt.Sprintf("%d Loghub lines (%s)", len(c.Raw), strings.Join(names, ", "))
	return c, nil
}

// Mix returns a corpus of n lines that cycles through the lines of parts in
// turn (a line of the first, a line of the second, ...).
func Mix(n int, parts ...*Corpus) *Corpus {
	out := &Corpus{Raw: make([]string, 0, n), Content: make([]string, 0, n)}
	var srcs []string
	var live []*Corpus
	for _, p := range parts {
		if p != nil && p.Len() > 0 {
			live = append(live, p)
			srcs = append(srcs, p.Sources)
		}
	}
	if len(live) == 0 {
		return out
	}
	idx := make([]int, len(live))
	for i := 0; len(out.Raw) < n; i = (i + 1) % len(live) {
		p := live[i]
		j := idx[i] % p.Len()
		idx[i]++
		out.Raw = append(out.Raw, p.Raw[j])
		out.Content = append(out.Content, p.Content[j])
	}
	out.Sources = fmt.Sprintf("%d lines cycling through: %s", n, strings.Join(srcs, "; "))
	return out
}

// Generate returns n generated lines in mixed formats (JSON, logfmt,
// syslog, access logs, "timestamp level message" application logs), built
// from a few dozen message templates with random values, deterministic for
// a seed.
func Generate(n int, seed uint64) *Corpus {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	t := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	c := &Corpus{Raw: make([]string, 0, n), Content: make([]string, 0, n)}
	for range n {
		t = t.Add(time.Duration(r.IntN(2000)) * time.Millisecond)
		msg := genMessage(r)
		lvl := levels[r.IntN(len(levels))]
		var raw string
		switch r.IntN(6) {
		case 0:
			raw = fmt.Sprintf(`{"time":%q,"level":%q,"msg":%q,"service":"api","latency_ms":%d}`, t.Format(time.RFC3339Nano), lvl, msg, r.IntN(900))
		case 1:
			raw = fmt.Sprintf(`ts=%s level=%s msg=%q host=web-%d`, t.Format(time.RFC3339), lvl, msg, r.IntN(9))
		case 2:
			raw = fmt.Sprintf("<%d>%s app-%d worker[%d]: %s", 8+r.IntN(8), t.Format(time.Stamp), r.IntN(5), 100+r.IntN(30000), msg)
		case 3:
			path := paths[r.IntN(len(paths))]
			raw = fmt.Sprintf(`%d.%d.%d.%d - - [%s] "GET %s HTTP/1.1" %d %d "-" "curl/8.%d" %.3f`,
				10+r.IntN(200), r.IntN(256), r.IntN(256), r.IntN(256), t.Format("02/Jan/2006:15:04:05 -0700"),
				path, statuses[r.IntN(len(statuses))], r.IntN(50000), r.IntN(9), r.Float64())
			msg = raw[strings.IndexByte(raw, '"'):]
		default:
			raw = fmt.Sprintf("%s %-5s [%s] %s", t.Format("2006-01-02 15:04:05.000"), strings.ToUpper(lvl), components[r.IntN(len(components))], msg)
		}
		c.Raw = append(c.Raw, raw)
		c.Content = append(c.Content, msg)
	}
	c.Sources = fmt.Sprintf("%d generated mixed-format lines (seed %d)", n, seed)
	return c
}

var (
	levels     = []string{"info", "info", "info", "debug", "warn", "error"}
	statuses   = []int{200, 200, 200, 201, 204, 301, 304, 400, 404, 500, 502, 503}
	paths      = []string{"/api/v1/users", "/api/v1/orders/1234", "/healthz", "/static/app.js", "/login", "/api/v1/search?q=shoes"}
	components = []string{"main", "db.pool", "http.server", "scheduler", "cache", "auth"}
	users      = []string{"alice", "bob", "carol", "dave", "erin", "mallory", "root", "admin"}
	templates  = []func(r *rand.Rand) string{
		func(r *rand.Rand) string {
			return fmt.Sprintf("request completed in %dms status=%d", r.IntN(900), statuses[r.IntN(len(statuses))])
		},
		func(r *rand.Rand) string {
			return fmt.Sprintf("user %s logged in from %d.%d.%d.%d", users[r.IntN(len(users))], r.IntN(256), r.IntN(256), r.IntN(256), r.IntN(256))
		},
		func(r *rand.Rand) string { return fmt.Sprintf("connection pool exhausted (%d/%d in use)", 50, 50) },
		func(r *rand.Rand) string {
			return fmt.Sprintf("slow query took %.2fs: SELECT * FROM orders WHERE id = %d", r.Float64()*5, r.IntN(1e6))
		},
		func(r *rand.Rand) string {
			return fmt.Sprintf("cache miss for key session:%08x", r.Uint32())
		},
		func(r *rand.Rand) string {
			return fmt.Sprintf("memory usage %d%% (%d MB of %d MB)", r.IntN(100), r.IntN(8000), 8192)
		},
		func(r *rand.Rand) string { return fmt.Sprintf("cpu usage at %.1f%%", r.Float64()*100) },
		func(r *rand.Rand) string {
			return fmt.Sprintf("job %d finished with exit code %d after %d retries", r.IntN(1e5), r.IntN(3), r.IntN(5))
		},
		func(r *rand.Rand) string {
			return fmt.Sprintf("failed to connect to redis at 10.0.%d.%d:6379: connection refused", r.IntN(256), r.IntN(256))
		},
		func(r *rand.Rand) string {
			return fmt.Sprintf("order %d created for customer %s total=%.2f", r.IntN(1e7), users[r.IntN(len(users))], r.Float64()*300)
		},
		func(r *rand.Rand) string {
			return fmt.Sprintf("upstream timed out after %d ms while reading response header", 1000+r.IntN(30000))
		},
		func(r *rand.Rand) string {
			return fmt.Sprintf("worker %d started", r.IntN(64))
		},
		func(r *rand.Rand) string {
			return fmt.Sprintf("worker %d stopped", r.IntN(64))
		},
		func(r *rand.Rand) string {
			return fmt.Sprintf("uploaded file /var/data/uploads/%x.bin size=%d", r.Uint64(), r.IntN(1<<24))
		},
		func(r *rand.Rand) string {
			return fmt.Sprintf("trace_id=%016x span_id=%08x handling request", r.Uint64(), r.Uint32())
		},
		func(r *rand.Rand) string {
			return fmt.Sprintf("OutOfMemoryError: Java heap space in thread pool-%d-thread-%d", r.IntN(9), r.IntN(99))
		},
	}
)

func genMessage(r *rand.Rand) string { return templates[r.IntN(len(templates))](r) }
