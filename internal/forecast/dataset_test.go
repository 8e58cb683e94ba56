package forecast

import (
	"encoding/csv"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/cloudsage/cloudsage/internal/testenv"
)

// hourlyCSV reads a NAB data file (timestamp,value every few minutes) into
// hourly means, NaN for hours without data.
func hourlyCSV(tb testing.TB, path string) []float64 {
	tb.Helper()
	fh, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer fh.Close()
	rows, err := csv.NewReader(fh).ReadAll()
	if err != nil {
		tb.Fatalf("read %s: %v", path, err)
	}
	var start time.Time
	var sums, counts []float64
	for _, r := range rows[1:] {
		ts, err := time.Parse("2006-01-02 15:04:05", r[0])
		if err != nil {
			tb.Fatalf("%s: timestamp %q: %v", path, r[0], err)
		}
		v, err := strconv.ParseFloat(r[1], 64)
		if err != nil {
			tb.Fatalf("%s: value %q: %v", path, r[1], err)
		}
		if start.IsZero() {
			start = ts.Truncate(time.Hour)
		}
		h := int(ts.Sub(start) / time.Hour)
		for len(sums) <= h {
			sums, counts = append(sums, 0), append(counts, 0)
		}
		sums[h] += v
		counts[h]++
	}
	y := make([]float64, len(sums))
	for i := range y {
		y[i] = math.NaN()
		if counts[i] > 0 {
			y[i] = sums[i] / counts[i]
		}
	}
	return y
}

// TestRealSeries forecasts real hourly machine metrics (the NAB corpus:
// CPU, network, request counts, latency, temperatures, ad-exchange rates)
// a day ahead from up to 12 rolling origins per series, and compares with the naive forecasts a
// forecaster must beat: the last value, and the value a day earlier.
func TestRealSeries(t *testing.T) {
	dir := testenv.Datasets(t, "nab", "data")
	files, _ := filepath.Glob(filepath.Join(dir, "*", "*.csv"))
	if len(files) == 0 {
		t.Skipf("no csv files under %s", dir)
	}
	const h = 24
	var logRatioNaive, logRatioSNaive float64
	var used, in, total int
	for _, path := range files {
		y := hourlyCSV(t, path)
		if len(y) < 7*24+h {
			continue
		}
		var mae, naive, snaive float64
		var n int
		// Up to 12 origins a day or more apart, from a week in to the end.
		stride := max(24, (len(y)-7*24-h)/11)
		for o := 7 * 24; o+h <= len(y); o += stride {
			f, err := Predict(y[:o], Options{Period: 24, Horizon: h, NonNegative: true})
			if err != nil {
				t.Fatal(err)
			}
			last := math.NaN()
			for i := o - 1; i >= 0 && math.IsNaN(last); i-- {
				last = y[i]
			}
			for i := range h {
				a := y[o+i]
				if math.IsNaN(a) || math.IsNaN(y[o+i-24]) {
					continue
				}
				p := f.Points[i]
				mae += math.Abs(a - p.Mean)
				naive += math.Abs(a - last)
				snaive += math.Abs(a - y[o+i-24])
				if a >= p.Low && a <= p.High {
					in++
				}
				total++
				n++
			}
		}
		if n == 0 || naive == 0 || snaive == 0 {
			continue
		}
		used++
		logRatioNaive += math.Log(mae / naive)
		logRatioSNaive += math.Log(mae / snaive)
		t.Logf("%-45s %4d h: MAE / naive %.2f, / seasonal naive %.2f", filepath.Base(path), len(y), mae/naive, mae/snaive)
	}
	if used == 0 {
		t.Skip("no series long enough")
	}
	gN, gS := math.Exp(logRatioNaive/float64(used)), math.Exp(logRatioSNaive/float64(used))
	cov := float64(in) / float64(total)
	t.Logf("%d series, %d forecast points: MAE relative to naive %.3f, to seasonal naive %.3f (geometric means); 80%% interval coverage %.3f",
		used, total, gN, gS, cov)
	if gN >= 1 || gS >= 1 {
		t.Errorf("MAE relative to naive %.3f, seasonal naive %.3f: want both below 1", gN, gS)
	}
	if cov < 0.7 || cov > 0.92 {
		t.Errorf("80%% interval coverage %.3f on real series, want 0.70..0.92", cov)
	}
}
