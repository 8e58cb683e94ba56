package patterns

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/cloudsage/cloudsage"
	"github.com/cloudsage/cloudsage/internal/testenv"
)

// mine adds lines to a fresh miner and returns the canonical id of each.
func mine(t testing.TB, lines ...string) (*Miner, []cloudsage.PatternID) {
	t.Helper()
	m := New(DefaultConfig())
	ids := make([]cloudsage.PatternID, len(lines))
	for i, l := range lines {
		ids[i] = m.Add(l).ID
	}
	for i := range ids {
		ids[i] = m.Canonical(ids[i])
	}
	return m, ids
}

// groups returns, for each line, the index of the first line with the same id.
func groups(ids []cloudsage.PatternID) []int {
	first := make(map[cloudsage.PatternID]int)
	out := make([]int, len(ids))
	for i, id := range ids {
		if j, ok := first[id]; ok {
			out[i] = j
		} else {
			first[id] = i
			out[i] = i
		}
	}
	return out
}

func TestMinerGrouping(t *testing.T) {
	users := make([]string, 0, 12)
	for _, u := range []string{"webmaster", "admin", "oracle", "test", "guest", "support", "ubnt", "pi", "ftp", "mysql", "nagios", "deploy"} {
		users = append(users, "Invalid user "+u+" from 10.0.0."+fmt.Sprint(len(u)))
	}
	tests := []struct {
		name  string
		lines []string
		want  []int // group of each line: index of the first line in its group
	}{
		{
			name:  "numbers and addresses are variables",
			lines: []string{"Accepted password for root from 10.1.2.3 port 22 ssh2", "Accepted password for root from 192.168.0.77 port 50122 ssh2"},
			want:  []int{0, 0},
		},
		{
			name: "VM started and VM paused stay apart",
			lines: []string{
				"[instance: 4b4b3b1e-2f1a-4c1b-9d1e-0c2b3a4d5e6f] VM Started (Lifecycle Event)",
				"[instance: 4b4b3b1e-2f1a-4c1b-9d1e-0c2b3a4d5e6f] VM Paused (Lifecycle Event)",
				"[instance: 4b4b3b1e-2f1a-4c1b-9d1e-0c2b3a4d5e6f] VM Resumed (Lifecycle Event)",
				"[instance: 5c5c3b1e-2f1a-4c1b-9d1e-0c2b3a4d5e6f] VM Started (Lifecycle Event)",
			},
			want: []int{0, 1, 2, 0},
		},
		{
			name:  "short messages differing in a word stay apart",
			lines: []string{"VM started", "VM paused", "VM started"},
			want:  []int{0, 1, 0},
		},
		{
			name:  "one-word messages are not swallowed by a masked template",
			lines: []string{"12345", "closeQs", "cancelAutohide", "67890"},
			want:  []int{0, 1, 2, 0},
		},
		{
			name:  "a word position with many rare values is a variable",
			lines: users,
			want:  []int{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
		},
		{
			name: "different sentences with the same length stay apart",
			lines: []string{
				"Failed to get next element [HRESULT = 0x800f080d - CBS_E_MANIFEST_INVALID_ITEM]",
				"Failed to internally open package. [HRESULT = 0x800f0805 - CBS_E_INVALID_PACKAGE]",
			},
			want: []int{0, 1},
		},
		{
			name: "a variable spanning several tokens does not split an event",
			lines: []string{
				"connection from 10.0.0.1 at Thu Jul 7 16:33:52 2005",
				"connection from 10.0.0.2 at Sat Jun 18 02:08:10 2005",
				"connection from 10.0.0.3 at 2005-06-18T02:08:10Z",
			},
			want: []int{0, 0, 0},
		},
		{
			name: "units next to numbers vary",
			lines: []string{
				"Block broadcast_10 stored as values in memory (estimated size 384.0 B, free 317.5 KB)",
				"Block broadcast_11 stored as values in memory (estimated size 8.8 KB, free 14.0 KB)",
			},
			want: []int{0, 0},
		},
		{
			name: "a template generalised by a masked value absorbs its specialisations",
			lines: []string{
				"Block broadcast_0 stored as values in memory",
				"Block broadcast_1 stored as values in memory",
				"Block broadcast_2 stored as values in memory",
				"Block broadcast_15 stored as values in memory",
				"Block broadcast_1 stored as values in memory",
			},
			want: []int{0, 0, 0, 0, 0},
		},
		{
			name: "key=value values, quoted with spaces",
			lines: []string{
				`acquire lock=233570404, flags=0x1, tag="View Lock", name=com.android.systemui, uid=10037`,
				`acquire lock=17, flags=0x3, tag="WindowManager", name=android, uid=1000`,
			},
			want: []int{0, 0},
		},
		{
			name:  "paths, URLs and e-mail addresses",
			lines: []string{"open /var/log/app.log failed", "open /etc/passwd failed", "open https://example.com/x?y=1 failed", "open bob@example.com failed"},
			want:  []int{0, 0, 0, 0},
		},
		{
			name: "verb forms are events however many",
			lines: []string{
				"worker 1 of pool web started", "worker 2 of pool web stopped", "worker 3 of pool web paused",
				"worker 4 of pool web resumed", "worker 5 of pool web restarted", "worker 6 of pool web started",
			},
			want: []int{0, 1, 2, 3, 4, 0},
		},
		{
			name: "a leading program name is a variable",
			lines: []string{
				"firefox - cdn.example.com:443 closed after 00:01, 12 KB sent",
				"mailer - 10.0.0.2:25 closed after <1 sec, 1024 bytes (1.00 KB) sent",
				"updater - gw.lan:8080 closed after 2 min, 3 MB sent",
				"syncd - files.example.org:443 closed after 01:02:03, 5.5 KB sent",
				"backupd - 10.0.0.7:22 closed after 00:09, 1.5 KB sent",
				"chat - 10.0.0.8:5222 closed after 03:00, 2 KB sent",
				"firefox - 10.0.0.9:443 closed after <1 sec, 900 B sent",
			},
			want: []int{0, 0, 0, 0, 0, 0, 0},
		},
		{
			name: "different keys are different fields",
			lines: []string{
				"listTasks: num=20,flags=62,total=46", "listTasks: top=Info{a/b}",
				"listTasks: num=21,flags=60,total=40", "listTasks: top=Info{c/d}",
			},
			want: []int{0, 1, 0, 1},
		},
		{
			name: "values learned in one template join another",
			lines: []string{
				"session opened for account amy by uid 0", "session opened for account ben by uid 0",
				"session opened for account cat by uid 10",
				"session closed for account amy", "session closed for account ben", "session closed for account cat",
				"session closed for account dan",
			},
			want: []int{0, 0, 0, 3, 3, 3, 3},
		},
		{
			name: "leading method names tell events apart",
			lines: []string{
				"PowerHub::prepareResume - complete", "CamDriver::systemWake - complete",
				"LinkSwitch::listener - complete", "PowerHub::prepareResume - complete",
			},
			want: []int{0, 1, 2, 0},
		},
		{
			name:  "a lone value does not cover a value with a word",
			lines: []string{"12345", "42 apples", "7 apples", "67890"},
			want:  []int{0, 1, 1, 0},
		},
		{
			name:  "ANSI colours are ignored",
			lines: []string{"\x1b[31mERROR\x1b[0m disk full on sda1", "ERROR disk full on sda1"},
			want:  []int{0, 0},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, ids := mine(t, tt.lines...)
			got := groups(ids)
			for i := range got {
				if got[i] != tt.want[i] {
					var b strings.Builder
					for j, l := range tt.lines {
						fmt.Fprintf(&b, "\n  %d %s %q -> %q", got[j], ids[j], l, m.Template(ids[j]))
					}
					t.Fatalf("groups = %v, want %v%s", got, tt.want, b.String())
				}
			}
		})
	}
}

func TestMinerTemplates(t *testing.T) {
	f := func(want string, lines ...string) {
		t.Helper()
		m, ids := mine(t, lines...)
		if got := m.Template(ids[len(ids)-1]); got != want {
			t.Errorf("Template(%q) = %q, want %q", lines, got, want)
		}
	}
	f("Accepted password for root from <*> port <*> ssh2",
		"Accepted password for root from 10.1.2.3 port 22 ssh2")
	f("Received connection request <*>", "Received connection request /10.10.34.11:45307")
	f("rhost=<*> uid=<*>", "rhost=218.188.2.4 uid=0")
	f("[client <*>] Directory index forbidden by rule: <*>", "[client 10.0.0.1] Directory index forbidden by rule: /var/www/html/")
	f("session opened for user <*> by (uid=<*>)",
		"session opened for user 1001 by (uid=0)", "session opened for user 1002 by (uid=0)")
	f("Block <*> stored as values",
		"Block broadcast_0 stored as values", "Block broadcast_1 stored as values", "Block broadcast_2 stored as values",
		"Block broadcast_3 stored as values", "Block broadcast_4 stored as values", "Block broadcast_15 stored as values")
	f("took <*> KB", "took 10 KB")
	f("id <*> created", "id 550e8400-e29b-41d4-a716-446655440000 created")
	f("at <*>", "at 2024-05-01T10:00:00.123Z")
	f("got <*>, done", "got 0xdeadbeef, done")
	f("v6 addr <*>", "v6 addr [2001:db8::1]:8080")
}

func TestMinerNewFlagAndStableIDs(t *testing.T) {
	lines := []string{
		"cache flush took 12 ms on shard-a:1",
		"cache flush took 15 ms on shard-a:1",
		"cache flush took 9 ms on shard-b:2",
		"cache fill took 3 ms on shard-a:1",
	}
	m := New(DefaultConfig())
	a := m.Add(lines[0])
	if !a.New {
		t.Errorf("first line: New = false, want true")
	}
	b := m.Add(lines[1])
	if b.New || b.ID != a.ID {
		t.Errorf("second line = %+v, want id %s, not new", b, a.ID)
	}
	before := m.Template(a.ID)
	c := m.Add(lines[2])
	// The template generalises; the id does not change.
	if c.ID != a.ID || c.New {
		t.Errorf("generalising line = %+v, want id %s, not new", c, a.ID)
	}
	const want = "cache flush took <*> ms on <*>"
	if after := m.Template(a.ID); after == before || after != want {
		t.Errorf("template after generalising = %q (before %q), want %q", after, before, want)
	}
	d := m.Add(lines[3])
	if d.ID == a.ID || !d.New {
		t.Errorf("different line = %+v, want a new pattern", d)
	}
	// Same input order, same ids and templates.
	m2 := New(DefaultConfig())
	for _, l := range lines {
		m2.Add(l)
	}
	p1, p2 := m.Patterns(), m2.Patterns()
	if len(p1) != len(p2) {
		t.Fatalf("patterns differ: %v vs %v", p1, p2)
	}
	for i := range p1 {
		if p1[i] != p2[i] {
			t.Errorf("pattern %d = %+v, want %+v (deterministic)", i, p2[i], p1[i])
		}
	}
	if !strings.HasPrefix(string(a.ID), "p") || len(a.ID) != 9 {
		t.Errorf("id %q, want p + 8 hex digits", a.ID)
	}
}

func TestMinerJoinKeepsIDs(t *testing.T) {
	// Lines that differ in a user name: first kept apart, then joined once
	// the position shows many rare values. Ids handed out before the join
	// still resolve, to the oldest pattern.
	m := New(DefaultConfig())
	var ids []cloudsage.PatternID
	for i, u := range []string{"amy", "ben", "cat", "dan", "eve", "fay", "gus"} {
		ids = append(ids, m.Add(fmt.Sprintf("Invalid user %s from 10.0.0.%d", u, i)).ID)
	}
	root := m.Canonical(ids[0])
	for i, id := range ids {
		if m.Canonical(id) != root {
			t.Errorf("line %d: Canonical(%s) = %s, want %s", i, id, m.Canonical(id), root)
		}
		if got := m.Template(id); got != "Invalid user <*> from <*>" {
			t.Errorf("Template(%s) = %q, want %q", id, got, "Invalid user <*> from <*>")
		}
	}
	if m.Len() != 1 {
		t.Errorf("Len() = %d, want 1", m.Len())
	}
	ps := m.Patterns()
	if len(ps) != 1 || ps[0].Count != 7 || ps[0].ID != root {
		t.Errorf("Patterns() = %+v, want one pattern %s with count 7", ps, root)
	}
}

func TestMinerPatternsOrder(t *testing.T) {
	m, _ := mine(t, "a b c", "x y z", "x y z", "q r s", "x y z", "q r s")
	ps := m.Patterns()
	want := []int64{3, 2, 1}
	if len(ps) != 3 {
		t.Fatalf("Patterns() = %+v, want 3", ps)
	}
	for i, p := range ps {
		if p.Count != want[i] {
			t.Errorf("Patterns()[%d].Count = %d, want %d", i, p.Count, want[i])
		}
	}
	if m.Template("nope") != "" {
		t.Error("Template of an unknown id is not empty")
	}
}

// TestMinerBounded feeds raw random input (nothing the masks recognise)
// and checks that the caps hold: the number of patterns and the template
// sizes stay bounded.
func TestMinerBounded(t *testing.T) {
	cfg := DefaultConfig()
	cfg.MaxClusters = 500
	cfg.MaxClustersPerLeaf = 20
	m := New(cfg)
	r := rand.New(rand.NewPCG(1, 2))
	word := func() string {
		b := make([]byte, 1+r.IntN(12))
		for i := range b {
			b[i] = byte('a' + r.IntN(26))
		}
		return string(b)
	}
	n := 20000
	if testing.Short() {
		n = 5000
	}
	for range n {
		k := 1 + r.IntN(100)
		ws := make([]string, k)
		for j := range ws {
			ws[j] = word()
		}
		if r.IntN(50) == 0 {
			ws[0] = strings.Repeat("x", 10000) // a huge token
		}
		id := m.Add(strings.Join(ws, " ")).ID
		if id == "" {
			t.Fatal("empty id")
		}
	}
	if len(m.collapsedWild) > 4*cfg.MaxClusters || len(m.values) > maxValueWords {
		t.Errorf("indexes: %d waiting keys, %d value words; want <= %d, %d", len(m.collapsedWild), len(m.values), 4*cfg.MaxClusters, maxValueWords)
	}
	// MaxClusters templates, plus at most one "other" pattern per token count.
	if max := cfg.MaxClusters + cfg.MaxTokens; m.Len() > max {
		t.Errorf("Len() = %d after random input, want <= %d", m.Len(), max)
	}
	for _, p := range m.Patterns() {
		if len(strings.Fields(p.Template)) > cfg.MaxTokens {
			t.Fatalf("template with %d tokens > MaxTokens %d", len(strings.Fields(p.Template)), cfg.MaxTokens)
		}
		if len(p.Template) > cfg.MaxTokens*(cfg.MaxTokenLen+1) {
			t.Fatalf("template of %d bytes", len(p.Template))
		}
	}
}

func TestMinerBadInput(t *testing.T) {
	m := New(DefaultConfig())
	for _, in := range []string{
		"", "   ", "\x00\x00\x00", "\xff\xfe invalid utf8 \xc3", strings.Repeat("a", 10<<20),
		strings.Repeat("a ", 100000), "\x1b[", "\x1b", `k="unterminated`, "=", "==", "a=", "@", "://", "/",
	} {
		got := m.Add(in)
		if got.ID == "" {
			t.Errorf("Add(%.20q) gave an empty id", in)
		}
		if m.Template(got.ID) == "" && strings.Trim(in, " \x00\x1b[") != "" {
			t.Errorf("Add(%.20q): no template", in)
		}
	}
}

func FuzzMiner(f *testing.F) {
	for _, s := range []string{
		"Accepted password for root from 10.1.2.3 port 22 ssh2",
		`acquire lock=233570404, flags=0x1, tag="View Lock", name=com.android.systemui`,
		"connection from 10.0.0.1 at Thu Jul 7 16:33:52 2005",
		"\x1b[31mERROR\x1b[0m disk full",
		"VM started", "", "\xff",
	} {
		f.Add(s, "VM paused")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		m := New(DefaultConfig())
		ma := m.Add(a)
		mb := m.Add(b)
		// Adding a line again gives the same (canonical) id, never a new one.
		again := m.Add(a)
		if again.New || m.Canonical(again.ID) != m.Canonical(ma.ID) {
			t.Fatalf("Add(%q) again = %+v, first %+v", a, again, ma)
		}
		if m.Template(ma.ID) == "" && masked(a) != "" {
			t.Fatalf("no template for %q", a)
		}
		// Persisted and restored: same ids, same templates.
		r := restored(t, m)
		for _, id := range []cloudsage.PatternID{ma.ID, mb.ID} {
			if r.Template(id) != m.Template(id) {
				t.Fatalf("restored Template(%s) = %q, want %q", id, r.Template(id), m.Template(id))
			}
		}
		if got := r.Add(a); m.Canonical(got.ID) != m.Canonical(ma.ID) || got.New {
			t.Fatalf("restored Add(%q) = %+v, want %s", a, got, ma.ID)
		}
		// A key never joins a mined pattern, is stable, and survives a snapshot.
		k := r.AddKey(b)
		if k.ID == r.Canonical(ma.ID) || k.ID == r.Canonical(mb.ID) {
			t.Fatalf("AddKey(%q) joined mined pattern %s", b, ma.ID)
		}
		if again := r.AddKey(b); again.ID != k.ID || again.New {
			t.Fatalf("AddKey(%q) again = %+v, first %+v", b, again, k)
		}
		r2 := restored(t, r)
		if got := r2.AddKey(b); got.ID != k.ID || got.New {
			t.Fatalf("restored AddKey(%q) = %+v, want %s", b, got, k.ID)
		}
	})
}

var benchLines = []string{
	"Accepted password for root from 10.1.2.3 port 22 ssh2",
	"Received disconnect from 52.80.34.196: 11: Bye Bye [preauth]",
	"PacketResponder 1 for block blk_38865049064139660 terminating",
	"[instance: b9000564-fe1a-409b-b8cc-1e88b294cd1d] Took 19.05 seconds to spawn the instance on the hypervisor.",
	`acquire lock=233570404, flags=0x1, tag="View Lock", name=com.android.systemui, ws=null, uid=10037, pid=2227`,
	"Block broadcast_9_piece0 stored as bytes in memory (estimated size 5.2 KB, free 5.2 KB)",
	"session opened for user cyrus by (uid=0)",
	"10.11.10.1 \"GET /v2/54fadb412c4e40cdbaed9335e4c35a9e/servers/detail HTTP/1.1\" status: 200 len: 1893 time: 0.2477829",
}

func BenchmarkMiner(b *testing.B) {
	// Vary the numbers so lines are not byte-identical.
	r := rand.New(rand.NewPCG(3, 4))
	lines := make([]string, 4096)
	for i := range lines {
		l := benchLines[i%len(benchLines)]
		lines[i] = strings.ReplaceAll(l, "1", fmt.Sprint(r.IntN(10)))
	}
	m := New(DefaultConfig())
	b.ReportAllocs()
	b.ResetTimer()
	cpu := testenv.StartCPU()
	for i := 0; i < b.N; i++ {
		m.Add(lines[i&4095])
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "lines/s")
	cpu.Report(b, b.N, "lines")
}

// TestAddSiblingRootShorter: a sibling template whose root was joined to a
// shorter template (a collapsed run of variables) must not be read past
// its end when the line's differing word lies beyond it. These lines,
// reduced from a fuzzed stream, made Add panic.
func TestAddSiblingRootShorter(t *testing.T) {
	lines := []string{
		"{\"name\":\"worker\",\"hostname\":\"worker-7\",}pid\":5108,\"level\":40,\"msg\":\"rat7 limit exceeded for client 10.120.220.251\",\"time\":\"2024-03-11T\xf01:58:20.625Z\",\"v\":0}",
		"2024-03-\xed1 11:28:03.330 [main] WARN  org.springframework.w\xeeb.servlet.DispatcyerServlet - rate limit exceeded for client 10.188.160.241",
		"W, [2024-03-11T11:06:29.8p8000 #3932]  WARN -- : rate limit exceeded for client 10d250.131.2{2",
		"\xf3ccep\xc0Od password for root from 40.4.2.3 port 22 ssh2",
		"2024-03-1~ 09:05:52.173 [main] WARN  com.acme.http.RequestFilter - \x83at$ limit exceeded for client 10.151.151.181",
		"<13>122024-03-11T11:54:05.428Z db-primary search 5\xe762 - - rate limit exceeded for client 10.131.250\xdd170",
		"{\"lev\xd4l\":40,\"time\":1710157041689,\"\xb5\xb5d\":2029,\"hostname\":\"edge-3\",\"req\":{\"method\":\"GET\",\"url\":\"/api/v2/payments\"},\"res\":{\"statusCode\":200},\"responseTime\":232,\"msg\":\"rate limit exceeded for client 10.83.204.181\"}",
		"A;cepte\x94 password Hor root from 00.0.2.3 port 22 ssh2",
		"AccCpte\xb0 password aor root from 40.4.2.3 port 22 ssh2",
		"Acce*ted password \xd0or root from 40.4.2\xab3 port 22 ssh2",
		"2024\xc503-11 09:29:25.750 [main] vARN  com.acme.orders.OrderService - rate limit exceeded \xfbor client 10.38.120.86",
	}
	m := New(DefaultConfig())
	for _, l := range lines {
		if got := m.Add(l); m.Template(got.ID) == "" {
			t.Fatalf("Add(%q) = %+v: no template", l, got)
		}
	}
}
