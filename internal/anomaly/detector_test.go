package anomaly

import (
	"bytes"
	"encoding/gob"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var t0 = time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)

// run feeds xs to a default detector and returns the scores.
func run(xs []float64) []float64 {
	d := New(DefaultConfig())
	out := make([]float64, len(xs))
	for i, x := range xs {
		out[i] = d.Update(t0.Add(time.Duration(i)*time.Minute), x)
	}
	return out
}

// noise returns n points of Gaussian noise around level with sd.
func noise(r *rand.Rand, n int, level, sd float64) []float64 {
	xs := make([]float64, n)
	for i := range xs {
		xs[i] = level + sd*r.NormFloat64()
	}
	return xs
}

// daily returns n points of a 1440-point daily cycle plus noise.
func daily(r *rand.Rand, n int) []float64 {
	xs := make([]float64, n)
	for i := range xs {
		xs[i] = 100 + 40*math.Sin(2*math.Pi*float64(i)/1440) + 3*r.NormFloat64()
	}
	return xs
}

// daily5 returns n five-minute points of a daily cycle (288 points) plus
// noise.
func daily5(r *rand.Rand, n int) []float64 {
	xs := make([]float64, n)
	for i := range xs {
		xs[i] = 100 + 40*math.Sin(2*math.Pi*float64(i)/288) + 3*r.NormFloat64()
	}
	return xs
}

func maxIn(xs []float64, from, to int) float64 {
	m := 0.0
	for _, x := range xs[from:to] {
		m = max(m, x)
	}
	return m
}

func count(xs []float64, thr float64) int {
	n := 0
	for _, x := range xs {
		if x >= thr {
			n++
		}
	}
	return n
}

// detectThreshold is the score at which the tests call a point detected:
// about where NAB's optimiser puts the threshold for the default config.
const detectThreshold = 0.5

func TestDetectorFindsAnomalies(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	tests := []struct {
		name   string
		series func() []float64
		at     int // first anomalous point
		within int // must be detected within this many points
	}{
		{"spike", func() []float64 {
			xs := noise(r, 3000, 50, 2)
			xs[2000] = 90
			return xs
		}, 2000, 1},
		{"level shift", func() []float64 {
			xs := noise(r, 3000, 50, 2)
			for i := 2000; i < 3000; i++ {
				xs[i] += 15
			}
			return xs
		}, 2000, 5},
		{"drop to zero (silence)", func() []float64 {
			xs := noise(r, 3000, 200, 10)
			for i := 2000; i < 3000; i++ {
				xs[i] = 0
			}
			return xs
		}, 2000, 2},
		{"variance change", func() []float64 {
			xs := noise(r, 3000, 50, 1)
			for i := 2000; i < 3000; i++ {
				xs[i] = 50 + 12*r.NormFloat64()
			}
			return xs
		}, 2000, 30},
		{"gradual drift", func() []float64 {
			xs := noise(r, 4000, 50, 1)
			for i := 2000; i < 4000; i++ {
				xs[i] += float64(i-2000) * 0.02 // +40 over 2000 points
			}
			return xs
		}, 2000, 800},
		{"seasonal series breaks its cycle", func() []float64 {
			xs := daily(r, 6000)
			for i := 5000; i < 5300; i++ {
				xs[i] = 300
			}
			return xs
		}, 5000, 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			xs := tt.series()
			scores := run(xs)
			if got := maxIn(scores, tt.at, tt.at+tt.within); got < detectThreshold {
				t.Errorf("max score in %d points after the anomaly = %.3f, want >= %v", tt.within, got, detectThreshold)
			}
		})
	}
}

func TestDetectorQuietOnNormalData(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	tests := []struct {
		name   string
		series []float64
		most   int // detections allowed
	}{
		{"gaussian noise", noise(r, 10000, 50, 2), 10},
		{"daily cycle", daily(r, 10000), 10},
		{"constant", noise(r, 5000, 7, 0), 0},
		{"counts of a quiet service", func() []float64 {
			xs := make([]float64, 10000)
			for i := range xs {
				xs[i] = float64(r.IntN(3))
			}
			return xs
		}(), 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			scores := run(tt.series)
			if n := count(scores, detectThreshold); n > tt.most {
				t.Errorf("%d detections on %d normal points, want <= %d", n, len(tt.series), tt.most)
			}
		})
	}
}

func TestDetectorDiscipline(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	xs := noise(r, 3000, 50, 2)
	for i := 100; i < 110; i++ { // inside the warm-up
		xs[i] = 500
	}
	for i := 2000; i < 2050; i++ { // one incident lasting 50 points
		xs[i] = 120 + float64(i-2000)
	}
	scores := run(xs)
	if m := maxIn(scores, 0, DefaultConfig().Warmup); m != 0 {
		t.Errorf("max score during warm-up = %v, want 0", m)
	}
	for i := 2000; i < 2200; i++ {
		if scores[i] >= detectThreshold {
			t.Logf("alert at %d: %v", i, scores[i])
		}
	}
	if n := count(scores[2000:2100], detectThreshold); n != 1 {
		t.Errorf("incident raised %d alerts, want exactly 1", n)
	}
}

func TestMarshalRoundTrip(t *testing.T) {
	for _, cfg := range []Config{Baseline(), DefaultConfig()} {
		t.Run(fmt.Sprintf("Embed=%d,Season=%g", cfg.Embed, cfg.Season), func(t *testing.T) { testMarshalRoundTrip(t, cfg) })
	}
}

func testMarshalRoundTrip(t *testing.T, cfg Config) {
	r := rand.New(rand.NewPCG(7, 8))
	// Five-minute points over ten days with a daily cycle, so the seasonal
	// model is in use when the state is saved.
	xs := append(daily5(r, 2500), noise(r, 500, 30, 1)...)
	a := New(cfg)
	var b Detector
	for i, x := range xs {
		ts := t0.Add(time.Duration(i) * 5 * time.Minute)
		if i == 1700 {
			blob, err := a.MarshalBinary()
			if err != nil {
				t.Fatal(err)
			}
			if err := b.UnmarshalBinary(blob); err != nil {
				t.Fatal(err)
			}
		}
		sa := a.Update(ts, x)
		if i >= 1700 {
			if sb := b.Update(ts, x); sa != sb {
				t.Fatalf("point %d: restored detector scores %v, original %v", i, sb, sa)
			}
		}
	}
	if diff := cmp.Diff(a.Config(), b.Config()); diff != "" {
		t.Errorf("config mismatch (-orig +restored):\n%s", diff)
	}
	if err := b.UnmarshalBinary([]byte("not a detector")); err == nil {
		t.Error("UnmarshalBinary(garbage) = nil error, want one")
	}
}

// States written before the shape score (version 2) and before the
// seasonal score (version 3) still load and resume as they were; shape or
// seasonal state is refused by a detector without that score.
func TestUnmarshalVersions(t *testing.T) {
	fed := func() *Detector {
		d := New(Baseline())
		for i := range 300 {
			d.Update(t0.Add(time.Duration(i)*time.Minute), float64(i%17))
		}
		return d
	}
	d := fed()
	encode := func(s state) []byte {
		var buf bytes.Buffer
		if err := gob.NewEncoder(&buf).Encode(s); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	v2 := state{Version: 2, Cfg: d.cfg, N: d.n, Level: d.level.values(), Diff: d.diff.values(),
		Recent: d.recent.values(), Seen: d.seen.values(), Prev: d.prev}
	withShape := v2
	withShape.Version, withShape.ShapeEmbs = stateVersion, []float64{1, 2}
	v3 := v2
	v3.Version = 3
	withSeason := v2
	withSeason.Version, withSeason.Season = stateVersion, &seasonalState{}
	future := v2
	future.Version = stateVersion + 1
	tests := []struct {
		name    string
		blob    []byte
		wantErr bool
	}{
		{"version 2", encode(v2), false},
		{"version 3", encode(v3), false},
		{"seasonal state without seasonal score", encode(withSeason), true},
		{"shape state without shape score", encode(withShape), true},
		{"unknown version", encode(future), true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var e Detector
			err := e.UnmarshalBinary(tc.blob)
			if (err != nil) != tc.wantErr {
				t.Fatalf("UnmarshalBinary: error %v, want error %v", err, tc.wantErr)
			}
			if err == nil {
				ts := t0.Add(300 * time.Minute)
				if got, want := e.Update(ts, 5), fed().Update(ts, 5); got != want {
					t.Errorf("restored detector scores %v, original %v", got, want)
				}
			}
		})
	}
}

func TestNewFixesConfig(t *testing.T) {
	d := New(Config{History: -1, Short: 0, Z: -3, Damp: 7})
	got := d.Config()
	if got.History != DefaultConfig().History || got.Short != DefaultConfig().Short || got.Z != DefaultConfig().Z || got.Damp != 1 {
		t.Errorf("New(bad config).Config() = %+v", got)
	}
}

func FuzzDetector(f *testing.F) {
	f.Add(1.0, 2.0, 3.0, uint8(10))
	f.Add(math.NaN(), math.Inf(1), math.Inf(-1), uint8(200))
	f.Add(1e308, -1e308, 0.0, uint8(255))
	f.Add(5e-324, 0.0, -5e-324, uint8(40))
	f.Fuzz(func(t *testing.T, a, b, c float64, n uint8) {
		cfg := DefaultConfig()
		if n%2 == 1 {
			cfg = Baseline()
		}
		cfg.Warmup = 5
		d := New(cfg)
		vals := []float64{a, b, c, a * b, b - c, 0}
		// Points 47 minutes apart: the seasonal model sees several days.
		for i := range 2*int(n) + 20 {
			s := d.Update(t0.Add(time.Duration(i)*47*time.Minute), vals[i%len(vals)]*float64(1+i%7))
			if !(s >= 0 && s <= 1) {
				t.Fatalf("point %d: score %v outside [0,1]", i, s)
			}
		}
		blob, err := d.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		var e Detector
		if err := e.UnmarshalBinary(blob); err != nil {
			t.Fatal(err)
		}
	})
}

func BenchmarkDetector(b *testing.B) { benchDetector(b, DefaultConfig()) }

func BenchmarkDetectorBaseline(b *testing.B) { benchDetector(b, Baseline()) }

// benchDetector feeds a detector with cfg a daily series of one point a
// minute, one point per iteration, and reports points/s.
func benchDetector(b *testing.B, cfg Config) {
	r := rand.New(rand.NewPCG(9, 10))
	xs := daily(r, 1<<16)
	d := New(cfg)
	b.ResetTimer()
	i := 0
	for b.Loop() {
		d.Update(t0.Add(time.Duration(i)*time.Minute), xs[i&(len(xs)-1)])
		i++
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "points/s")
}

func TestDetectorForgetsOldExtremes(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	xs := noise(r, 6000, 50, 2)
	xs[1000] = 1000 // an old outage
	xs[5000] = 800  // a new one, smaller, long after: still news
	scores := run(xs)
	if scores[5000] < 0.9 {
		t.Errorf("score of a new extreme %d points after an older, larger one = %.3f, want >= 0.9", 4000, scores[5000])
	}
}

func TestDetectorEpisodes(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	tests := []struct {
		name   string
		series func() []float64
		from   int
		to     int
		alerts int
	}{
		{"two incidents apart raise two alerts", func() []float64 {
			xs := noise(r, 4000, 50, 2)
			for i := 2000; i < 2020; i++ {
				xs[i] = 150
			}
			for i := 2400; i < 2420; i++ {
				xs[i] = 170
			}
			return xs
		}, 2000, 2500, 2},
		{"a spike, then the signal stays out of its old range: one alert", func() []float64 {
			xs := noise(r, 3000, 50, 2)
			for i := 2000; i < 2150; i++ {
				xs[i] = 90 + 0.1*float64(i-2000) + 2*r.NormFloat64()
			}
			return xs
		}, 2000, 2150, 1},
		{"a lasting outage raises one alert per episode cap", func() []float64 {
			xs := noise(r, 4000, 50, 2)
			for i := 2000; i < 4000; i++ {
				xs[i] = 400 + 2*r.NormFloat64()
			}
			return xs
		}, 2000, 2000 + DefaultConfig().History/episodeCap, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			scores := run(tt.series())
			if n := count(scores[tt.from:tt.to], detectThreshold); n != tt.alerts {
				t.Errorf("%d alerts in points %d..%d, want %d", n, tt.from, tt.to, tt.alerts)
			}
		})
	}
}
