package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"sort"
	"time"

	"github.com/cloudsage/cloudsage/internal/eval/nab"
	"github.com/cloudsage/cloudsage/internal/forecast"
	"github.com/cloudsage/cloudsage/internal/learn"
)

// Replay parameters of `eval forecast`.
const (
	evalHorizon = 24      // hours forecast at each origin
	evalWarmup  = 7 * 24  // hours of history before the first origin
	evalWindow  = 14 * 24 // hours of history fitted at each origin (the engine keeps about as much)
	evalQuant   = 0.99    // "high" is above this quantile of the history so far
	evalCut     = 0.5     // P(high) at which a forecast calls high
	evalPeriod  = 24      // daily season of hourly data
	evalLevel   = 0.8     // band level
)

// forecastEval is the JSON of `eval forecast`.
type forecastEval struct {
	Files      int             `json:"files"`
	Origins    int             `json:"origins"`
	Definition string          `json:"definition"`
	Precision  float64         `json:"precision"`
	Recall     float64         `json:"recall"`
	HitRate    float64         `json:"hit_rate"`
	Brier      float64         `json:"brier"`
	BrierClim  float64         `json:"brier_climatology"`
	BaseRate   float64         `json:"base_rate"`
	Coverage   float64         `json:"band_coverage"`
	MASE       float64         `json:"mase"`                // model, mean over origins
	MASENaive  float64         `json:"mase_seasonal_naive"` // seasonal naive forecasts on the same scale
	Seconds    float64         `json:"seconds"`
	Score      learn.Scorecard `json:"scorecard"`
	PerFile    []fileEval      `json:"files_detail"`
}

type fileEval struct {
	Name      string  `json:"name"`
	Origins   int     `json:"origins"`
	Highs     int     `json:"highs"`
	Brier     float64 `json:"brier"`
	MASE      float64 `json:"mase"`
	MASENaive float64 `json:"mase_seasonal_naive"`
}

// runEvalForecast replays each series of a NAB-style folder as one risk
// factor, hour by hour: at every hour after a week of history it forecasts
// the next 24 h with internal/forecast and scores P(high) — high meaning the
// hourly mean exceeds the 99th percentile of all hours seen up to the
// origin — against whether it did, the 80% band against the value 24 h on,
// and the forecast's MAE against the seasonal-naive scale (MASE).
func runEvalForecast(ctx context.Context, args []string, stdio Stdio) error {
	fs := newFlagSet("eval forecast", "--data DIR [--json] [--step HOURS]", stdio)
	data := fs.String("data", "", "NAB-style folder: data/<category>/*.csv")
	asJSON := fs.Bool("json", false, "print one JSON object")
	step := fs.Int("step", 1, "hours between forecast origins")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *data == "" {
		return usageError{"--data DIR is required"}
	}
	if *step < 1 || *step > 24*7 {
		return usageError{"--step must be 1..168 hours"}
	}
	start := time.Now()
	c, err := nab.LoadCorpus(os.DirFS(*data))
	if err != nil {
		return fmt.Errorf("load %s: %w", *data, err)
	}
	var all []learn.Outcome
	res := forecastEval{Definition: fmt.Sprintf("each series is a factor averaged per hour; at each origin (every %d h after %d h of history) forecast %d h ahead; "+
		"high = an hourly value above the %.0fth percentile of the hours up to the origin, within the %d h; a forecast calls high at P(high) >= %.1f; "+
		"band = the %.0f%% interval at +%d h; MASE = the forecast's MAE over the %d h / in-sample MAE of the seasonal naive (24 h) forecast",
		*step, evalWarmup, evalHorizon, evalQuant*100, evalHorizon, evalCut, evalLevel*100, evalHorizon, evalHorizon)}
	var mase, maseN []float64
	for _, f := range c.Files {
		if err := ctx.Err(); err != nil {
			return err
		}
		ys := hourly(f.Times, f.Values)
		fe := fileEval{Name: f.Name}
		var outs []learn.Outcome
		var fm, fn []float64
		for o := evalWarmup; o+evalHorizon <= len(ys); o += *step {
			hist := ys[max(0, o-evalWindow):o]
			fc, err := forecast.Predict(hist, forecast.Options{Period: evalPeriod, Horizon: evalHorizon, Level: evalLevel})
			if err != nil || len(fc.Points) < evalHorizon {
				continue
			}
			thr := quantile(ys[:o], evalQuant)
			future := ys[o : o+evalHorizon]
			reached := false
			for _, v := range future {
				reached = reached || v > thr
			}
			last := fc.Points[evalHorizon-1]
			outs = append(outs, learn.Outcome{PHigh: forecast.ProbAbove(fc, thr), ReachedHigh: reached, Low: last.Low, High: last.High, Realised: future[evalHorizon-1]})
			if reached {
				fe.Highs++
			}
			if scale := learn.SeasonalNaiveMAE(hist, evalPeriod); scale > 0 {
				pred := make([]float64, evalHorizon)
				for i, p := range fc.Points[:evalHorizon] {
					pred[i] = p.Mean
				}
				fm = append(fm, learn.MAE(pred, future)/scale)
				fn = append(fn, learn.MAE(learn.SeasonalNaive(hist, evalPeriod, evalHorizon), future)/scale)
			}
		}
		sc := learn.Score(outs, evalCut)
		fe.Origins, fe.Brier, fe.MASE, fe.MASENaive = len(outs), round3(sc.Brier), round3(mean(fm)), round3(mean(fn))
		res.PerFile = append(res.PerFile, fe)
		all = append(all, outs...)
		mase, maseN = append(mase, fm...), append(maseN, fn...)
	}
	if len(all) == 0 {
		return fmt.Errorf("%s: no series has %d h of history and %d h to score", *data, evalWarmup, evalHorizon)
	}
	sc := learn.Score(all, evalCut)
	res.Files, res.Origins, res.Score = len(res.PerFile), len(all), sc
	res.Precision, res.Recall, res.HitRate = round3(sc.Precision), round3(sc.Recall), round3(sc.HitRate)
	res.Brier, res.BrierClim, res.BaseRate, res.Coverage = round3(sc.Brier), round3(sc.BrierClimate), round3(sc.BaseRate), round3(sc.Coverage)
	res.MASE, res.MASENaive = round3(mean(mase)), round3(mean(maseN))
	res.Seconds = math.Round(time.Since(start).Seconds()*10) / 10
	if *asJSON {
		enc := json.NewEncoder(stdio.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(res)
	}
	fmt.Fprintf(stdio.Out, "%d series, %d forecasts (%s)\n", res.Files, res.Origins, res.Definition)
	fmt.Fprintf(stdio.Out, "high within %d h: precision %.3f  recall %.3f  hit rate %.3f  (base rate %.3f; %d TP, %d FP, %d FN)\n",
		evalHorizon, res.Precision, res.Recall, res.HitRate, res.BaseRate, sc.TP, sc.FP, sc.FN)
	fmt.Fprintf(stdio.Out, "Brier %.3f (climatology %.3f)  band coverage %.3f (nominal %.2f)\n", res.Brier, res.BrierClim, res.Coverage, evalLevel)
	fmt.Fprintf(stdio.Out, "MASE %.3f (seasonal naive %.3f)  in %.1fs\n", res.MASE, res.MASENaive, res.Seconds)
	return nil
}

// hourly averages a series per clock hour, carrying the previous hour over
// gaps so steps stay one hour apart.
func hourly(ts []time.Time, vs []float64) []float64 {
	if len(ts) == 0 {
		return nil
	}
	t0 := ts[0].Truncate(time.Hour)
	n := int(ts[len(ts)-1].Truncate(time.Hour).Sub(t0)/time.Hour) + 1
	if n <= 0 || n > 1e6 {
		return nil
	}
	sum, cnt := make([]float64, n), make([]int, n)
	for i, t := range ts {
		h := int(t.Truncate(time.Hour).Sub(t0) / time.Hour)
		if h >= 0 && h < n && !math.IsNaN(vs[i]) {
			sum[h] += vs[i]
			cnt[h]++
		}
	}
	out := make([]float64, n)
	for i := range out {
		switch {
		case cnt[i] > 0:
			out[i] = sum[i] / float64(cnt[i])
		case i > 0:
			out[i] = out[i-1]
		}
	}
	return out
}

func quantile(ys []float64, q float64) float64 {
	s := append([]float64(nil), ys...)
	sort.Float64s(s)
	return s[min(len(s)-1, int(q*float64(len(s))))]
}

func mean(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	var s float64
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}

func round3(v float64) float64 { return math.Round(v*1000) / 1000 }
