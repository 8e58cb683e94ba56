package engine

import (
	"math"
	"time"

	"github.com/cloudsage/cloudsage/internal/anomaly"
	"github.com/cloudsage/cloudsage/internal/risk"
)

// anomalyMinutes is how much per-minute history the detectors learn from
// before scoring the recent window.
const anomalyMinutes = 360

// anomalies runs the anomaly detector over the per-minute series of each
// factor up to at and returns, per factor, the highest score within the
// recent window: an onset there sharpens the factor (risk.Score decides how
// much). Too little history gives nil.
func (e *Engine) anomalies(at time.Time) map[string]float64 {
	cfg := anomaly.DefaultConfig()
	end := at.Add(time.Second).Truncate(time.Second)
	endMin := end.Truncate(time.Minute)
	if endMin.Before(end) {
		endMin = endMin.Add(time.Minute)
	}
	start := endMin.Add(-anomalyMinutes * time.Minute)
	if first := e.series.First().Truncate(time.Minute); start.Before(first) {
		start = first
	}
	winStart := endMin.Add(-e.cfg.Risk.Window)
	if endMin.Sub(start) < time.Duration(cfg.Warmup)*time.Minute+e.cfg.Risk.Window {
		return nil
	}
	dets := make(map[string]*anomaly.Detector, len(risk.Names))
	for _, n := range risk.Names {
		dets[n] = anomaly.New(cfg)
	}
	out := make(map[string]float64, len(risk.Names))
	for t := start; t.Before(endMin); t = t.Add(time.Minute) {
		a := e.series.Window(t, t.Add(time.Minute))
		nan := math.NaN()
		vals := map[string]float64{risk.ErrorRate: nan, risk.LogVolume: float64(a.N), risk.Latency: nan, risk.Memory: nan, risk.CPU: nan}
		if a.N > 0 {
			vals[risk.ErrorRate] = a.ErrorRate()
		}
		if a.Lat.N > 0 {
			vals[risk.Latency] = a.Lat.Quantile(0.95)
		}
		switch {
		case a.MemPct.N > 0:
			vals[risk.Memory] = a.MemPct.Mean()
		case a.MemMB.N > 0:
			vals[risk.Memory] = a.MemMB.Mean()
		}
		if a.CPU.N > 0 {
			vals[risk.CPU] = a.CPU.Mean()
		}
		for n, v := range vals {
			s := dets[n].Update(t, v)
			if !t.Before(winStart) && s > out[n] {
				out[n] = s
			}
		}
	}
	return out
}
