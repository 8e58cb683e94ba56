package patterns

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/cloudsage/cloudsage"
	"github.com/cloudsage/cloudsage/internal/testenv"
)

// These logs are invented for this test, in the shapes of services the
// miner was not developed on (a desktop proxy client, desktop OS daemons,
// mail and cluster nodes, a phone health app): each event has a label and
// values drawn at random, and grouping is checked against the labels.
// They test that the rules generalise, not that they fit a known log.

type labelled struct {
	label, line string
}

// corpus draws n lines from events, each picked with its weight.
type event struct {
	label  string
	weight int
	gen    func(r *rand.Rand) string
}

func draw(seed uint64, n int, events []event) []labelled {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	total := 0
	for _, e := range events {
		total += e.weight
	}
	out := make([]labelled, 0, n)
	for len(out) < n {
		k := r.IntN(total)
		for _, e := range events {
			if k < e.weight {
				out = append(out, labelled{e.label, e.gen(r)})
				break
			}
			k -= e.weight
		}
	}
	return out
}

func pick(r *rand.Rand, xs ...string) string { return xs[r.IntN(len(xs))] }

// skewed picks from xs with the first values far more likely, as real
// names are (a few busy programs, hosts, users and many rare ones).
func skewed(r *rand.Rand, xs ...string) string {
	i := int(float64(len(xs)) * r.Float64() * r.Float64() * r.Float64())
	return xs[i]
}

func host(r *rand.Rand) string {
	switch r.IntN(4) {
	case 0:
		return fmt.Sprintf("%d.%d.%d.%d", 10+r.IntN(200), r.IntN(256), r.IntN(256), 1+r.IntN(254))
	case 1:
		return pick(r, "cdn", "api", "static", "mail", "img", "push") + "." + pick(r, "example", "acme", "contoso", "fabrikam") + "." + pick(r, "com", "net", "org", "io")
	case 2:
		return fmt.Sprintf("edge-%d.%s.example.net", r.IntN(90), pick(r, "fra", "ams", "sfo"))
	}
	return pick(r, "localhost", "intranet.local", "gw.lan")
}

func genHostPort(r *rand.Rand) string {
	return fmt.Sprintf("%s:%d", host(r), pick2(r, 443, 80, 8080, 5222, 1000+r.IntN(60000)))
}

func pick2(r *rand.Rand, xs ...int) int { return xs[r.IntN(len(xs))] }

// size is a byte count in one of the forms programs print.
func size(r *rand.Rand) string {
	n := r.IntN(5 << 20)
	switch r.IntN(4) {
	case 0:
		return fmt.Sprintf("%d bytes", n)
	case 1:
		return fmt.Sprintf("%.1f KB", float64(n)/1024)
	case 2:
		return fmt.Sprintf("%d bytes (%.2f MB)", n, float64(n)/(1<<20))
	}
	return fmt.Sprintf("%d B", r.IntN(900))
}

// elapsed is a duration in one of the forms programs print.
func elapsed(r *rand.Rand) string {
	switch r.IntN(5) {
	case 0:
		return fmt.Sprintf("%02d:%02d", r.IntN(60), r.IntN(60))
	case 1:
		return fmt.Sprintf("%02d:%02d:%02d", r.IntN(24), r.IntN(60), r.IntN(60))
	case 2:
		return "<1 sec"
	case 3:
		return fmt.Sprintf("%d ms", r.IntN(5000))
	}
	return fmt.Sprintf("%.2fs", r.Float64()*90)
}

var programs = []string{"firefox.exe", "Teams.exe", "svchost.exe", "OneDrive.exe", "java.exe", "git.exe", "curl",
	"Spotify.exe", "thunder.exe", "Code.exe", "python3", "steamwebhelper.exe", "zoom", "backupd", "node"}

func proxyLog() []labelled {
	return draw(1, 1500, []event{
		{"open-https", 20, func(r *rand.Rand) string {
			return fmt.Sprintf("%s - %s open through proxy %s HTTPS", skewed(r, programs...), genHostPort(r), genHostPort(r))
		}},
		{"open-socks", 10, func(r *rand.Rand) string {
			return fmt.Sprintf("%s - %s open through proxy %s SOCKS5", skewed(r, programs...), genHostPort(r), genHostPort(r))
		}},
		{"close", 40, func(r *rand.Rand) string {
			prog := skewed(r, programs...)
			if r.IntN(5) == 0 {
				prog += " *64" // a 64-bit process, marked after its name
			}
			return fmt.Sprintf("%s - %s close, %s sent, %s received, lifetime %s", prog, genHostPort(r), size(r), size(r), elapsed(r))
		}},
		{"fail", 6, func(r *rand.Rand) string {
			return fmt.Sprintf("%s - %s error : could not connect through proxy %s - connection timed out after %s", skewed(r, programs...), genHostPort(r), genHostPort(r), elapsed(r))
		}},
		{"resolve", 10, func(r *rand.Rand) string {
			return fmt.Sprintf("%s - resolving %s through the proxy", skewed(r, programs...), host(r))
		}},
		{"rule", 5, func(r *rand.Rand) string {
			return fmt.Sprintf("rule %q matched %s, action Direct", pick(r, "Default", "Local", "VPN", "Office", "Lab"), genHostPort(r))
		}},
		{"reload", 1, func(*rand.Rand) string { return "profile reloaded" }},
		{"stats", 4, func(r *rand.Rand) string {
			return fmt.Sprintf("traffic today: %s up, %s down over %d connections", size(r), size(r), r.IntN(9000))
		}},
	})
}

var daemons = []string{"cloudsyncd", "powerd", "airportd", "locationd", "backupd", "spotlightd", "mediaanalysisd"}

func desktopLog() []labelled {
	return draw(2, 1500, []event{
		{"wake-smc", 8, func(r *rand.Rand) string {
			return fmt.Sprintf("wake reason: %s (SMC)", pick(r, "RTC", "EC.LidOpen", "XHC1", "ARPT", "EC.PowerButton"))
		}},
		{"wake-net", 7, func(r *rand.Rand) string {
			return fmt.Sprintf("wake reason: %s (network)", pick(r, "RTC", "EC.LidOpen", "XHC1", "ARPT", "EC.PowerButton"))
		}},
		{"assert-idle", 12, func(r *rand.Rand) string {
			return fmt.Sprintf("%s[%d] created power assertion 0x%x for PreventUserIdleSystemSleep, timeout %s", skewed(r, daemons...), r.IntN(900), r.Uint32(), elapsed(r))
		}},
		{"assert-sleep", 8, func(r *rand.Rand) string {
			return fmt.Sprintf("%s[%d] created power assertion 0x%x for PreventSystemSleep, timeout %s", skewed(r, daemons...), r.IntN(900), r.Uint32(), elapsed(r))
		}},
		{"wifi", 20, func(r *rand.Rand) string {
			return fmt.Sprintf("en0: link quality changed to %d (rssi -%d dBm, noise -%d dBm) on channel %d", r.IntN(100), 30+r.IntN(60), 80+r.IntN(20), pick2(r, 1, 6, 11, 36, 149))
		}},
		{"bssid", 5, func(r *rand.Rand) string {
			return fmt.Sprintf("en0: BSSID changed to %02x:%02x:%02x:%02x:%02x:%02x", r.IntN(256), r.IntN(256), r.IntN(256), r.IntN(256), r.IntN(256), r.IntN(256))
		}},
		{"bt-on", 4, func(r *rand.Rand) string {
			return fmt.Sprintf("Bluetooth device %02X-%02X-%02X connected", r.IntN(256), r.IntN(256), r.IntN(256))
		}},
		{"bt-off", 4, func(r *rand.Rand) string {
			return fmt.Sprintf("Bluetooth device %02X-%02X-%02X disconnected", r.IntN(256), r.IntN(256), r.IntN(256))
		}},
		{"sched", 20, func(r *rand.Rand) string {
			return fmt.Sprintf("com.%s.%s.%s: scheduling activity in %d seconds", pick(r, "example", "acme"), pick(r, "cloud", "photos", "mail"), pick(r, "sync", "index", "refresh"), r.IntN(90000))
		}},
		{"sandbox", 10, func(r *rand.Rand) string {
			return fmt.Sprintf("Sandbox: %s(%d) deny(1) file-read-data /Users/%s/Library/%s", skewed(r, daemons...), r.IntN(9000), pick(r, "kim", "lee", "ana"), pick(r, "Caches", "Preferences/x.plist"))
		}},
		{"thermal", 10, func(r *rand.Rand) string {
			return fmt.Sprintf("thermal pressure %s, CPU die %.1f C, fans %d rpm", pick(r, "nominal", "moderate", "heavy", "critical", "trapping"), 40+r.Float64()*50, 1200+r.IntN(4000))
		}},
		{"lid", 3, func(*rand.Rand) string { return "display sleep requested by lid close" }},
	})
}

var (
	users      = []string{"root", "mailman", "backup", "jdoe", "svc_build"}
	partitions = []string{"batch", "gpu", "debug", "long", "highmem"}
)

func clusterLog() []labelled {
	return draw(3, 1500, []event{
		{"s-open", 15, func(r *rand.Rand) string {
			return fmt.Sprintf("session opened for account %s by uid %d", pick(r, users[:4]...), pick2(r, 0, 0, 1000))
		}},
		{"s-close", 15, func(r *rand.Rand) string {
			return fmt.Sprintf("session closed for account %s", pick(r, users[:4]...))
		}},
		{"beat", 20, func(r *rand.Rand) string {
			return fmt.Sprintf("node n%03d heartbeat ok, load %.2f %.2f %.2f", r.IntN(400), r.Float64()*8, r.Float64()*8, r.Float64()*8)
		}},
		{"queue", 20, func(r *rand.Rand) string {
			return fmt.Sprintf("%X: from=<%s@%s>, size=%d, nrcpt=%d (queue active)", r.Uint32(), pick(r, "alerts", "noreply", "ops"), host(r), r.IntN(90000), 1+r.IntN(4))
		}},
		{"deliver", 15, func(r *rand.Rand) string {
			return fmt.Sprintf("%X: to=<%s@example.org>, relay=%s, delay=%.1f, status=sent (250 2.0.0 Ok)", r.Uint32(), pick(r, users...), genHostPort(r), r.Float64()*4)
		}},
		{"job-start", 6, func(r *rand.Rand) string {
			return fmt.Sprintf("job %d on partition %s started", r.IntN(99999), pick(r, partitions...))
		}},
		{"job-end", 6, func(r *rand.Rand) string {
			return fmt.Sprintf("job %d on partition %s finished", r.IntN(99999), pick(r, partitions...))
		}},
		{"job-fail", 3, func(r *rand.Rand) string {
			return fmt.Sprintf("job %d on partition %s failed", r.IntN(99999), pick(r, partitions...))
		}},
		{"link", 4, func(r *rand.Rand) string {
			return fmt.Sprintf("ib0: port %d link %s at %d Gb/s", 1+r.IntN(2), "up", pick2(r, 40, 100))
		}},
		{"ntp", 6, func(r *rand.Rand) string {
			return fmt.Sprintf("synchronized to %s, stratum %d", host(r), 1+r.IntN(4))
		}},
	})
}

func healthLog() []labelled {
	return draw(4, 1500, []event{
		{"steps", 30, func(r *rand.Rand) string { return fmt.Sprintf("onStepChanged %d", r.IntN(20000)) }},
		{"ext", 15, func(r *rand.Rand) string {
			return fmt.Sprintf("onExtend:%d %d %d %d", 1700000000000+r.Int64N(1e9), r.IntN(30), r.IntN(3), r.IntN(9))
		}},
		{"cal", 10, func(r *rand.Rand) string { return fmt.Sprintf("computeCalories totalCalories=%d", r.IntN(300000)) }},
		{"upload", 10, func(r *rand.Rand) string {
			return fmt.Sprintf("uploadRecords ok: %d records, %s in %s", r.IntN(500), size(r), elapsed(r))
		}},
		{"hr", 15, func(r *rand.Rand) string {
			return fmt.Sprintf("heartRate sample %d bpm confidence %.2f", 45+r.IntN(120), r.Float64())
		}},
		{"report", 10, func(r *rand.Rand) string {
			return fmt.Sprintf("REPORT : %d %d %d %.1f", r.IntN(20000), r.IntN(9000), r.IntN(900000), r.Float64()*10)
		}},
		{"screen-on", 5, func(*rand.Rand) string { return "screen state changed: on" }},
		{"screen-off", 5, func(*rand.Rand) string { return "screen state changed: off" }},
		{"flush", 3, func(*rand.Rand) string { return "flush sensor data" }},
		{"goal", 2, func(r *rand.Rand) string {
			return fmt.Sprintf("daily goal reached: %d of %d steps", 10000+r.IntN(9000), 10000)
		}},
	})
}

// Conventions the labels follow (those of the Loghub ground truth): a
// slot with four or more values (names, hosts, partitions) is a variable;
// one with two or three values, or whose values are verb forms (started,
// finished), tells events apart.

// unseenGA mines ls and returns Loghub's grouping accuracy against the
// labels, and a description of the labels that were split or mixed.
func unseenGA(ls []labelled) (float64, string) {
	m := New(DefaultConfig())
	ids := make([]string, len(ls))
	for i, l := range ls {
		ids[i] = string(m.Add(l.line).ID)
	}
	size := map[string]int{}
	for _, l := range ls {
		size[l.label]++
	}
	type grp struct {
		n     int
		label string
		mixed bool
	}
	gs := map[string]*grp{}
	for i, id := range ids {
		id = string(m.Canonical(idOf(id)))
		ids[i] = id
		g := gs[id]
		if g == nil {
			g = &grp{label: ls[i].label}
			gs[id] = g
		}
		g.n++
		if g.label != ls[i].label {
			g.mixed = true
		}
	}
	ok := 0
	bad := map[string]bool{}
	for _, g := range gs {
		if !g.mixed && g.n == size[g.label] {
			ok += g.n
		}
	}
	for i, l := range ls {
		g := gs[ids[i]]
		if g.mixed || g.n != size[l.label] {
			bad[l.label] = true
		}
	}
	var b strings.Builder
	for label := range bad {
		fmt.Fprintf(&b, "\n  %s:", label)
		seen := map[string]bool{}
		for i, l := range ls {
			if l.label == label && !seen[ids[i]] && len(seen) < 4 {
				seen[ids[i]] = true
				fmt.Fprintf(&b, "\n    %q -> %q (%d lines, mixed %v)", l.line, m.Template(idOf(ids[i])), gs[ids[i]].n, gs[ids[i]].mixed)
			}
		}
	}
	return float64(ok) / float64(len(ls)), b.String()
}

func TestMinerUnseenServices(t *testing.T) {
	for _, tt := range []struct {
		name string
		log  []labelled
	}{
		{"proxy client", proxyLog()},
		{"desktop daemons", desktopLog()},
		{"mail and cluster nodes", clusterLog()},
		{"health app", healthLog()},
		{"kernel", kernelLog()},
		{"application server", appServerLog()},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ga, bad := unseenGA(tt.log)
			t.Logf("GA %.3f", ga)
			if ga < 1 {
				t.Errorf("GA = %.3f, want 1; split or mixed events:%s", ga, bad)
			}
		})
	}
}

func idOf(s string) cloudsage.PatternID { return cloudsage.PatternID(s) }

// BenchmarkMinerUnseen mines the invented services' lines, cycled: the
// speed on shapes the rules were not written against.
func BenchmarkMinerUnseen(b *testing.B) {
	var lines []string
	for _, log := range [][]labelled{proxyLog(), desktopLog(), clusterLog(), healthLog(), kernelLog(), appServerLog()} {
		for _, l := range log {
			lines = append(lines, l.line)
		}
	}
	m := New(DefaultConfig())
	b.ReportAllocs()
	b.ResetTimer()
	cpu := testenv.StartCPU()
	for i := 0; i < b.N; i++ {
		m.Add(lines[i%len(lines)])
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "lines/s")
	cpu.Report(b, b.N, "lines")
}
