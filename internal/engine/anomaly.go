package engine

import (
	"encoding/binary"
	"fmt"
	"math"
	"time"

	"github.com/cloudsage/cloudsage/internal/anomaly"
	"github.com/cloudsage/cloudsage/internal/risk"
)

// settle is how long after its end a minute is learnt.
const settle = time.Minute

// catchUpMinutes is how many minutes before the report's time fresh
// detectors learn from the series.
const catchUpMinutes = 360

// detectors is the engine's anomaly state: one streaming detector per risk
// factor (risk.Names order), fed every complete minute of the series once,
// and the scores of the last minutes, so a report reads the peaks of its
// recent window without replaying history, and the detectors learn over
// days and weeks (the seasonal model needs several days) while their memory
// stays fixed. It is saved with the engine's snapshot.
type detectors struct {
	next   time.Time // first minute not yet fed; zero before any
	fed    int64     // minutes fed
	dets   []*anomaly.Detector
	recent []minuteScores // the last scored minutes, oldest first, at most keep
	// enc holds each detector's encoding while it is unchanged: detectors
	// learn once a minute, while a server snapshots the engine at every
	// batch, and gob-encoding them is most of the snapshot's cost. Nil
	// when a detector learnt since (or none was encoded or read yet).
	enc [][]byte
}

// minuteScores are the factors' scores of one minute, in risk.Names order.
type minuteScores struct {
	at     time.Time
	scores []float64
}

func newDetectors() *detectors {
	d := &detectors{dets: make([]*anomaly.Detector, len(risk.Names))}
	for i := range d.dets {
		d.dets[i] = anomaly.New(anomaly.DefaultConfig())
	}
	return d
}

// keep is how many minutes of scores are kept: the recent window.
func (e *Engine) keep() int { return max(1, int(e.cfg.Risk.Window/time.Minute)) }

// anomalies feeds the detectors the minutes of the series up to at that
// they have not seen and that ended at least settle before at, and
// returns, per factor, the highest score of those minutes within the
// recent window: an onset there sharpens the factor (risk.Score decides
// how much). Too little history gives nil. A minute is learnt once: settle
// leaves time for the events of a minute to arrive (a shipper sends them in
// batches) before it is; events later still do not reach the detectors.
func (e *Engine) anomalies(at time.Time) map[string]float64 {
	cfg := anomaly.DefaultConfig()
	end := at.Add(time.Second).Truncate(time.Second)
	endMin := end.Truncate(time.Minute)
	learnEnd := end.Add(-settle).Truncate(time.Minute) // minutes before it are learnt
	d := e.det
	// After a gap, or on first use (a fresh engine, as in analyze, or a
	// snapshot written before the detectors were saved), the detectors
	// learn the last catchUpMinutes only: a one-shot analysis stays cheap,
	// and a server's detectors learn every minute as batches arrive.
	from := learnEnd.Add(-catchUpMinutes * time.Minute)
	if first := e.series.First().Truncate(time.Minute); from.Before(first) {
		from = first
	}
	if d.next.Before(from) {
		d.next = from
	}
	for t := d.next; t.Before(learnEnd); t = t.Add(time.Minute) {
		d.learn(e, t)
	}
	if d.fed < int64(cfg.Warmup)+int64(e.keep()) {
		return nil
	}
	// The recent window ends at the minute holding at; the minutes not
	// learnt yet in it are not scored.
	winStart := endMin.Add(-e.cfg.Risk.Window)
	if endMin.Before(end) {
		winStart = winStart.Add(time.Minute)
	}
	out := make(map[string]float64, len(risk.Names))
	for _, m := range d.recent {
		if m.at.Before(winStart) || !m.at.Before(endMin) {
			continue
		}
		for i, n := range risk.Names {
			if s := m.scores[i]; s > out[n] {
				out[n] = s
			}
		}
	}
	return out
}

// learn feeds the detectors minute t of the series and keeps its scores.
func (d *detectors) learn(e *Engine, t time.Time) {
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
	m := minuteScores{at: t, scores: make([]float64, len(risk.Names))}
	d.enc = nil // the detectors move on
	for i, n := range risk.Names {
		m.scores[i] = d.dets[i].Update(t, vals[n])
	}
	if keep := e.keep(); len(d.recent) >= keep {
		d.recent = append(d.recent[:0], d.recent[len(d.recent)-keep+1:]...)
	}
	d.recent = append(d.recent, m)
	d.fed++
	d.next = t.Add(time.Minute)
}

// marshal appends the detectors' state: next minute, minutes fed, each
// detector length-prefixed, then the kept scores.
func (d *detectors) marshal(b []byte) ([]byte, error) {
	b = binary.AppendVarint(b, timeUnix(d.next))
	b = binary.AppendVarint(b, d.fed)
	b = binary.AppendUvarint(b, uint64(len(d.dets)))
	if len(d.enc) != len(d.dets) {
		d.enc = make([][]byte, len(d.dets))
		for i, det := range d.dets {
			db, err := det.MarshalBinary()
			if err != nil {
				d.enc = nil
				return nil, err
			}
			d.enc[i] = db
		}
	}
	for _, db := range d.enc {
		b = binary.AppendUvarint(b, uint64(len(db)))
		b = append(b, db...)
	}
	b = binary.AppendUvarint(b, uint64(len(d.recent)))
	for _, m := range d.recent {
		b = binary.AppendVarint(b, m.at.Unix())
		for _, s := range m.scores {
			b = binary.LittleEndian.AppendUint64(b, math.Float64bits(s))
		}
	}
	return b, nil
}

// unmarshalDetectors reads what marshal wrote, keeping at most keep
// minutes of scores.
func unmarshalDetectors(b []byte, keep int) (*detectors, error) {
	bad := func(what string) error { return fmt.Errorf("anomaly detectors: %s: %w", what, errSnapshot) }
	next, n := binary.Varint(b)
	if n <= 0 {
		return nil, bad("next minute")
	}
	b = b[n:]
	fed, n := binary.Varint(b)
	if n <= 0 || fed < 0 {
		return nil, bad("minutes fed")
	}
	b = b[n:]
	nd, n := binary.Uvarint(b)
	if n <= 0 || nd != uint64(len(risk.Names)) {
		return nil, bad("detector count")
	}
	b = b[n:]
	d := &detectors{fed: fed, dets: make([]*anomaly.Detector, nd), enc: make([][]byte, nd)}
	if next != 0 {
		d.next = time.Unix(next, 0).UTC()
	}
	for i := range d.dets {
		db, rest, ok := section(b)
		if !ok {
			return nil, bad("detector")
		}
		d.dets[i] = new(anomaly.Detector)
		if err := d.dets[i].UnmarshalBinary(db); err != nil {
			return nil, fmt.Errorf("anomaly detector %s: %w", risk.Names[i], err)
		}
		// What was read encodes the detector as it is: the next snapshot
		// reuses it until the detector learns (a copy: the snapshot's
		// buffer is the caller's).
		d.enc[i] = append([]byte(nil), db...)
		b = rest
	}
	nm, n := binary.Uvarint(b)
	if n <= 0 || nm > uint64(len(b)) {
		return nil, bad("scores")
	}
	b = b[n:]
	for range nm {
		at, n := binary.Varint(b)
		if n <= 0 || len(b)-n < 8*len(risk.Names) {
			return nil, bad("scores")
		}
		b = b[n:]
		m := minuteScores{at: time.Unix(at, 0).UTC(), scores: make([]float64, len(risk.Names))}
		for i := range m.scores {
			m.scores[i] = math.Float64frombits(binary.LittleEndian.Uint64(b))
			b = b[8:]
		}
		d.recent = append(d.recent, m)
	}
	if len(b) != 0 {
		return nil, bad("trailing bytes")
	}
	// A shorter recent window than when saved keeps the latest scores.
	if len(d.recent) > keep {
		d.recent = d.recent[len(d.recent)-keep:]
	}
	return d, nil
}

// timeUnix is t's Unix time, 0 for the zero time.
func timeUnix(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.Unix()
}
