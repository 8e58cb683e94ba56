package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/cloudsage/cloudsage/internal/anomaly"
	"github.com/cloudsage/cloudsage/internal/eval/nab"
)

// runEvalNAB runs the default anomaly detector over a NAB-style folder and
// scores it with NAB's rules: a table per profile, then "NAB standard <v>".
//
// --by-category also scores each category on its own (own threshold);
// --robustness runs the detector with every numeric parameter scaled by
// 0.5, 0.75, 1.25 and 1.5 and prints the sensitivity table and a
// leave-one-category-out check (parameters chosen on the other categories
// among those variants, scored on the held-out one). --select scores every
// candidate of anomaly.Candidates() with each category held out (threshold
// chosen on the other categories) and names the one the default must be.
func runEvalNAB(ctx context.Context, args []string, stdio Stdio) error {
	fs := newFlagSet("eval nab", "--data DIR [--json] [--by-category] [--robustness] [--select] [--config JSON]", stdio)
	data := fs.String("data", "", "NAB-style folder: data/<category>/*.csv, labels/combined_windows.json")
	asJSON := fs.Bool("json", false, "print one JSON object")
	perFile := fs.Bool("files", false, "list every file's raw score (plain output)")
	byCat := fs.Bool("by-category", false, "score each category on its own as well")
	robust := fs.Bool("robustness", false, "sensitivity of the score to each parameter (x0.5..x1.5) and leave-one-category-out")
	sel := fs.Bool("select", false, "score every candidate detector leave-one-category-out and name the best")
	override := fs.String("config", "", `JSON object overriding detector parameters, e.g. '{"Warmup":200}'`)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *data == "" {
		return usageError{"--data DIR is required"}
	}
	cfg := anomaly.DefaultConfig()
	if *override != "" {
		dec := json.NewDecoder(strings.NewReader(*override))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&cfg); err != nil {
			return usageError{fmt.Sprintf("--config: %v", err)}
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	start := time.Now()
	c, err := nab.LoadCorpus(os.DirFS(*data))
	if err != nil {
		return fmt.Errorf("load %s: %w", *data, err)
	}
	out := nab.Run(c, func() nab.Detector { return anomaly.New(cfg) })
	rep, err := nab.Score(c, out)
	if err != nil {
		return err
	}
	var cats []nab.CategoryResult
	if *byCat {
		for _, p := range c.Profiles {
			r, err := nab.ByCategory(out, p)
			if err != nil {
				return err
			}
			cats = append(cats, r...)
		}
	}
	var rob *robustness
	if *robust {
		if rob, err = nabRobustness(ctx, c, cfg, out); err != nil {
			return err
		}
	}
	var chosen *selection
	if *sel {
		if chosen, err = nabSelect(ctx, c); err != nil {
			return err
		}
	}
	elapsed := time.Since(start)
	norm := func(p string) float64 { v, _ := rep.Normalized(p); return round2(v) }
	if *asJSON {
		enc := json.NewEncoder(stdio.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(struct {
			Standard    float64              `json:"standard"`
			RewardLowFP float64              `json:"reward_low_FP"`
			RewardLowFN float64              `json:"reward_low_FN"`
			Files       int                  `json:"files"`
			Rows        int                  `json:"rows"`
			Windows     int                  `json:"windows"`
			Seconds     float64              `json:"seconds"`
			Detector    anomaly.Config       `json:"detector"`
			Profiles    []nab.Result         `json:"profiles"`
			Categories  []nab.CategoryResult `json:"categories,omitempty"`
			Robustness  *robustness          `json:"robustness,omitempty"`
			Selection   *selection           `json:"selection,omitempty"`
		}{
			norm(nab.Standard.Name), norm(nab.RewardLowFP.Name), norm(nab.RewardLowFN.Name),
			rep.Files, rep.Rows, rep.Windows, elapsed.Seconds(), cfg, rep.Results, cats, rob, chosen,
		})
	}
	fmt.Fprintf(stdio.Out, "NAB: %d files, %d rows, %d windows, %.2fs\n\n", rep.Files, rep.Rows, rep.Windows, elapsed.Seconds())
	fmt.Fprintf(stdio.Out, "%-20s %10s %10s %9s %8s %8s %7s\n", "profile", "score", "threshold", "raw", "null", "windows", "fp")
	for _, r := range rep.Results {
		fmt.Fprintf(stdio.Out, "%-20s %10.2f %10.4f %9.3f %8.1f %4d/%-3d %7d\n", r.Profile.Name, r.Normalized, r.Threshold, r.Raw, r.Null, r.Detected, r.Windows, r.Counts.FP)
	}
	if len(cats) > 0 {
		fmt.Fprintf(stdio.Out, "\n%-20s %-20s %10s %10s %9s %8s %7s\n", "category", "profile", "score", "threshold", "raw", "windows", "fp")
		for _, r := range cats {
			fmt.Fprintf(stdio.Out, "%-20s %-20s %10.2f %10.4f %9.3f %4d/%-3d %7d\n", r.Category, r.Profile.Name, r.Normalized, r.Threshold, r.Raw, r.Detected, r.Windows, r.Counts.FP)
		}
	}
	if *perFile && len(rep.Results) > 0 {
		fmt.Fprintf(stdio.Out, "\n%-62s %9s %8s %5s\n", "file ("+rep.Results[0].Profile.Name+")", "raw", "windows", "fp")
		for _, f := range rep.Results[0].Files {
			fmt.Fprintf(stdio.Out, "%-62s %9.3f %4d/%-3d %5d\n", f.Name, f.Raw, f.Detected, f.Windows, f.FP)
		}
	}
	if rob != nil {
		rob.print(stdio)
	}
	if chosen != nil {
		chosen.print(stdio)
	}
	fmt.Fprintf(stdio.Out, "\nNAB standard %.2f\n", norm(nab.Standard.Name))
	return nil
}

func round2(x float64) float64 { return math.Round(x*100) / 100 }

// robustness is how the standard score moves with the detector's
// parameters, overall and per category.
type robustness struct {
	Categories []string  `json:"categories"`
	Variants   []variant `json:"variants"` // the base config first
	LOO        []loo     `json:"leave_one_out"`
	// LOOStandard is the standard score of the corpus when each category's
	// files are scored by the variant chosen without it (one threshold
	// over the corpus, as NAB does); it equals the base's score when every
	// round keeps the base. LOOHeldOut also takes each category's threshold
	// from the other categories, so nothing is tuned on the files scored.
	LOOStandard float64 `json:"leave_one_out_standard"`
	LOOHeldOut  float64 `json:"leave_one_out_held_out_threshold"`
	// The same with the greedy choice (the variant best on the other
	// categories by any margin).
	GreedyStandard float64 `json:"greedy_leave_one_out_standard"`
	GreedyHeldOut  float64 `json:"greedy_leave_one_out_held_out_threshold"`
	trainWindows   []int   // windows scored without each category
}

// variant is the detector with one parameter scaled.
type variant struct {
	Param    string    `json:"param"` // "" for the base config
	Factor   float64   `json:"factor"`
	Value    float64   `json:"value"`
	Standard float64   `json:"standard"`
	ByCat    []float64 `json:"by_category"` // standard, own threshold, in Categories order
	// Train[i] is the standard score on every category but Categories[i],
	// one threshold over them.
	Train []float64 `json:"train_without"`
}

// loo is one leave-one-category-out round: the variant that scores best on
// the other categories, and what it and the base config score on this one.
type loo struct {
	HeldOut string  `json:"held_out"`
	Margin  float64 `json:"margin"` // gain on the other categories a variant needs to be chosen
	Chosen  string  `json:"chosen"`
	Score   float64 `json:"held_out_score"`
	Base    float64 `json:"base_held_out_score"`
	Best    float64 `json:"best_held_out_score"` // the oracle: best variant on the held-out category
	// Greedy is the variant best on the other categories by any margin.
	Greedy      string  `json:"greedy"`
	GreedyScore float64 `json:"greedy_held_out_score"`
	cfg         anomaly.Config
	greedyCfg   anomaly.Config
}

var robustFactors = []float64{0.5, 0.75, 1.25, 1.5}

// nabRobustness runs the detector with each numeric parameter of base scaled
// by robustFactors, and the leave-one-category-out choice among them.
// baseOut is what base already gave on c (nab.Run); it is not run again.
func nabRobustness(ctx context.Context, c *nab.Corpus, base anomaly.Config, baseOut []nab.Scored) (*robustness, error) {
	type candidate struct {
		param  string
		factor float64
		value  float64
		cfg    anomaly.Config
	}
	cands := []candidate{{cfg: base, factor: 1}}
	rv := reflect.ValueOf(base)
	for i := range rv.NumField() {
		f := rv.Field(i)
		name := rv.Type().Field(i).Name
		for _, k := range robustFactors {
			cfg := base
			fv := reflect.ValueOf(&cfg).Elem().Field(i)
			var value float64
			switch f.Kind() {
			case reflect.Int:
				n := int(math.Round(float64(f.Int()) * k))
				if n == int(f.Int()) {
					continue
				}
				fv.SetInt(int64(n))
				value = float64(n)
			case reflect.Float64:
				value = f.Float() * k
				fv.SetFloat(value)
			default:
				continue
			}
			// Skip variants the detector would silently replace.
			if !reflect.DeepEqual(anomaly.New(cfg).Config(), cfg) {
				continue
			}
			cands = append(cands, candidate{name, k, value, cfg})
		}
	}
	var rob robustness
	for _, cd := range cands {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		out := baseOut
		if cd.param != "" {
			cfg := cd.cfg
			out = nab.Run(c, func() nab.Detector { return anomaly.New(cfg) })
		}
		if rob.Categories == nil {
			rob.Categories = nab.Categories(out)
		}
		all, err := nab.Evaluate(out, nab.Standard)
		if err != nil {
			return nil, err
		}
		v := variant{Param: cd.param, Factor: cd.factor, Value: cd.value, Standard: all.Normalized}
		for _, cat := range rob.Categories {
			in, err := nab.Evaluate(nab.Select(out, func(c string) bool { return c == cat }), nab.Standard)
			if err != nil {
				return nil, err
			}
			rest, err := nab.Evaluate(nab.Select(out, func(c string) bool { return c != cat }), nab.Standard)
			if err != nil {
				return nil, err
			}
			v.ByCat = append(v.ByCat, in.Normalized)
			v.Train = append(v.Train, rest.Normalized)
			if len(rob.trainWindows) < len(rob.Categories) {
				rob.trainWindows = append(rob.trainWindows, rest.Windows)
			}
		}
		rob.Variants = append(rob.Variants, v)
	}
	if len(rob.Categories) > 1 {
		for i, cat := range rob.Categories {
			// A variant replaces the base only when it earns at least
			// NAB's reward for one more detected window (A_TP, 1 raw
			// point) on the categories it is chosen on: smaller gains are
			// within what one file's luck gives, and choosing on them
			// fits noise. The greedy choice (any gain) is reported beside.
			margin := 100 * nab.Standard.TP / (float64(rob.trainWindows[i]) * (nab.Standard.TP + nab.Standard.FN))
			chosen, greedy, best := 0, 0, 0
			for k, v := range rob.Variants {
				if v.Train[i] >= rob.Variants[0].Train[i]+margin && v.Train[i] > rob.Variants[chosen].Train[i] {
					chosen = k
				}
				if v.Train[i] > rob.Variants[greedy].Train[i] {
					greedy = k
				}
				if v.ByCat[i] > rob.Variants[best].ByCat[i] {
					best = k
				}
			}
			rob.LOO = append(rob.LOO, loo{
				HeldOut: cat, Margin: round2(margin), Chosen: rob.Variants[chosen].label(),
				Score: rob.Variants[chosen].ByCat[i], Base: rob.Variants[0].ByCat[i], Best: rob.Variants[best].ByCat[i],
				Greedy: rob.Variants[greedy].label(), GreedyScore: rob.Variants[greedy].ByCat[i],
				cfg: cands[chosen].cfg, greedyCfg: cands[greedy].cfg,
			})
		}
		if err := rob.pool(ctx, c, base, baseOut); err != nil {
			return nil, err
		}
	}
	return &rob, nil
}

// pool computes the pooled leave-one-category-out figures from the rounds'
// choices, running each chosen variant again (the base's output is
// reused).
func (r *robustness) pool(ctx context.Context, c *nab.Corpus, base anomaly.Config, baseOut []nab.Scored) error {
	var err error
	r.LOOStandard, r.LOOHeldOut, err = r.pooled(ctx, c, base, baseOut, func(l loo) anomaly.Config { return l.cfg })
	if err != nil {
		return err
	}
	r.GreedyStandard, r.GreedyHeldOut, err = r.pooled(ctx, c, base, baseOut, func(l loo) anomaly.Config { return l.greedyCfg })
	return err
}

// pooled scores the corpus with each category's files from the variant
// pick chooses for its round: once with one threshold over the corpus, once
// with each category at the threshold chosen on the others.
func (r *robustness) pooled(ctx context.Context, c *nab.Corpus, base anomaly.Config, baseOut []nab.Scored, pick func(loo) anomaly.Config) (standard, heldOutStd float64, err error) {
	var pooled []nab.Scored
	var held heldOut
	for _, l := range r.LOO {
		if err := ctx.Err(); err != nil {
			return 0, 0, err
		}
		out := baseOut
		if cfg := pick(l); !reflect.DeepEqual(cfg, base) {
			out = nab.Run(c, func() nab.Detector { return anomaly.New(cfg) })
		}
		pooled = append(pooled, nab.Select(out, func(cat string) bool { return cat == l.HeldOut })...)
		if _, err := held.score(out, l.HeldOut); err != nil {
			return 0, 0, err
		}
	}
	all, err := nab.Evaluate(pooled, nab.Standard)
	if err != nil {
		return 0, 0, err
	}
	return round2(all.Normalized), round2(held.normalized()), nil
}

// heldOut pools the scores of categories each scored at the threshold
// chosen on the other categories of the same outputs.
type heldOut struct{ raw, null, perfect float64 }

func (h *heldOut) score(out []nab.Scored, cat string) (float64, error) {
	train, err := nab.Evaluate(nab.Select(out, func(c string) bool { return c != cat }), nab.Standard)
	if err != nil {
		return 0, err
	}
	test, err := nab.EvaluateAt(nab.Select(out, func(c string) bool { return c == cat }), nab.Standard, train.Threshold)
	if err != nil {
		return 0, err
	}
	h.raw, h.null, h.perfect = h.raw+test.Raw, h.null+test.Null, h.perfect+test.Perfect
	return test.Normalized, nil
}

func (h heldOut) normalized() float64 {
	if h.perfect == h.null {
		return 0
	}
	return 100 * (h.raw - h.null) / (h.perfect - h.null)
}

// selection is how each candidate detector does with each category held
// out, and the candidate the default must be.
type selection struct {
	Categories []string          `json:"categories"`
	Candidates []candidateResult `json:"candidates"`
	// Rounds: for each held-out category, the candidate best on the other
	// categories and its score on the held-out one (threshold from the
	// others); Nested pools those scores: the selection procedure itself
	// judged on data it did not see.
	Rounds []selectRound `json:"rounds"`
	Nested float64       `json:"nested_held_out"`
	Chosen string        `json:"chosen"` // the candidate with the best HeldOut
}

type candidateResult struct {
	Name     string         `json:"name"`
	Config   anomaly.Config `json:"config"`
	Standard float64        `json:"standard"` // in view: all categories, one optimised threshold
	// HeldOut pools each category scored at the threshold optimised on the
	// other categories; ByCat are those scores, in Categories order, and
	// Train the scores on the other categories.
	HeldOut float64   `json:"held_out"`
	ByCat   []float64 `json:"held_out_by_category"`
	Train   []float64 `json:"train_without"`
}

type selectRound struct {
	HeldOut string  `json:"held_out"`
	Chosen  string  `json:"chosen"`
	Score   float64 `json:"held_out_score"`
}

// nabSelect runs every candidate of anomaly.Candidates() over c and scores
// it leave-one-category-out.
func nabSelect(ctx context.Context, c *nab.Corpus) (*selection, error) {
	var sel selection
	var raw, null, perfect float64
	for _, cd := range anomaly.Candidates() {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		cfg := cd.Config
		out := nab.Run(c, func() nab.Detector { return anomaly.New(cfg) })
		if sel.Categories == nil {
			sel.Categories = nab.Categories(out)
		}
		all, err := nab.Evaluate(out, nab.Standard)
		if err != nil {
			return nil, err
		}
		r := candidateResult{Name: cd.Name, Config: cfg, Standard: round2(all.Normalized)}
		var held heldOut
		for _, cat := range sel.Categories {
			rest, err := nab.Evaluate(nab.Select(out, func(c string) bool { return c != cat }), nab.Standard)
			if err != nil {
				return nil, err
			}
			s, err := held.score(out, cat)
			if err != nil {
				return nil, err
			}
			r.ByCat = append(r.ByCat, round2(s))
			r.Train = append(r.Train, rest.Normalized)
		}
		r.HeldOut = round2(held.normalized())
		sel.Candidates = append(sel.Candidates, r)
	}
	if len(sel.Categories) < 2 {
		return nil, fmt.Errorf("--select needs at least two categories, the corpus has %d", len(sel.Categories))
	}
	best := 0
	for k, r := range sel.Candidates {
		if r.HeldOut > sel.Candidates[best].HeldOut {
			best = k
		}
	}
	sel.Chosen = sel.Candidates[best].Name
	// The nested rounds need the held-out rows again: rerun the chosen
	// candidate of each round.
	for i, cat := range sel.Categories {
		k := 0
		for j, r := range sel.Candidates {
			if r.Train[i] > sel.Candidates[k].Train[i] {
				k = j
			}
		}
		cfg := sel.Candidates[k].Config
		out := nab.Run(c, func() nab.Detector { return anomaly.New(cfg) })
		s, err := (&heldOut{}).score(out, cat)
		if err != nil {
			return nil, err
		}
		test, err := nab.Evaluate(nab.Select(out, func(c string) bool { return c != cat }), nab.Standard)
		if err != nil {
			return nil, err
		}
		held, err := nab.EvaluateAt(nab.Select(out, func(c string) bool { return c == cat }), nab.Standard, test.Threshold)
		if err != nil {
			return nil, err
		}
		raw, null, perfect = raw+held.Raw, null+held.Null, perfect+held.Perfect
		sel.Rounds = append(sel.Rounds, selectRound{HeldOut: cat, Chosen: sel.Candidates[k].Name, Score: round2(s)})
	}
	sel.Nested = round2(heldOut{raw, null, perfect}.normalized())
	return &sel, nil
}

func (s *selection) print(stdio Stdio) {
	var b bytes.Buffer
	fmt.Fprintf(&b, "\ncandidates (standard; held-out: each category at the threshold chosen on the others)\n%-26s %8s %9s", "candidate", "in view", "held-out")
	for _, c := range s.Categories {
		fmt.Fprintf(&b, " %18s", c)
	}
	b.WriteString("\n")
	for _, r := range s.Candidates {
		fmt.Fprintf(&b, "%-26s %8.2f %9.2f", r.Name, r.Standard, r.HeldOut)
		for _, v := range r.ByCat {
			fmt.Fprintf(&b, " %18.2f", v)
		}
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "\nrounds (candidate best on the other categories, scored on the held-out one)\n")
	for _, r := range s.Rounds {
		fmt.Fprintf(&b, "%-20s %-26s %9.2f\n", r.HeldOut, r.Chosen, r.Score)
	}
	fmt.Fprintf(&b, "nested held-out standard %.2f\nchosen (best held-out): %s\n", s.Nested, s.Chosen)
	stdio.Out.Write(b.Bytes())
}

func (v variant) label() string {
	if v.Param == "" {
		return "base"
	}
	return fmt.Sprintf("%s x%g (%.4g)", v.Param, v.Factor, v.Value)
}

func (r *robustness) print(stdio Stdio) {
	var b bytes.Buffer
	fmt.Fprintf(&b, "\nsensitivity (standard; categories scored on their own)\n%-28s %8s", "variant", "all")
	for _, c := range r.Categories {
		fmt.Fprintf(&b, " %18s", c)
	}
	b.WriteString("\n")
	for _, v := range r.Variants {
		fmt.Fprintf(&b, "%-28s %8.2f", v.label(), v.Standard)
		for _, s := range v.ByCat {
			fmt.Fprintf(&b, " %18.2f", s)
		}
		b.WriteString("\n")
	}
	// The spread per parameter: the worst and best of its variants.
	params := []string{}
	for _, v := range r.Variants[1:] {
		if !slices.Contains(params, v.Param) {
			params = append(params, v.Param)
		}
	}
	fmt.Fprintf(&b, "\nper parameter: standard range over x0.5..x1.5 (base %.2f)\n", r.Variants[0].Standard)
	for _, p := range params {
		lo, hi := math.Inf(1), math.Inf(-1)
		for _, v := range r.Variants {
			if v.Param == p || v.Param == "" {
				lo, hi = min(lo, v.Standard), max(hi, v.Standard)
			}
		}
		fmt.Fprintf(&b, "%-12s %6.2f .. %6.2f\n", p, lo, hi)
	}
	if len(r.LOO) > 0 {
		fmt.Fprintf(&b, "\nleave-one-category-out (choose among the variants on the others, score the held-out)\n")
		fmt.Fprintf(&b, "a variant is chosen over the base when it gains one window's reward (margin) on the others\n")
		fmt.Fprintf(&b, "%-20s %6s %-28s %9s %9s %9s   %-28s %9s\n", "held out", "margin", "chosen", "held-out", "base", "oracle", "greedy (any gain)", "held-out")
		for _, l := range r.LOO {
			fmt.Fprintf(&b, "%-20s %6.2f %-28s %9.2f %9.2f %9.2f   %-28s %9.2f\n", l.HeldOut, l.Margin, l.Chosen, l.Score, l.Base, l.Best, l.Greedy, l.GreedyScore)
		}
		fmt.Fprintf(&b, "leave-one-category-out standard %.2f (each category by the variant chosen without it; greedy %.2f)\n", r.LOOStandard, r.GreedyStandard)
		fmt.Fprintf(&b, "leave-one-category-out standard %.2f (and at the threshold chosen without it; greedy %.2f)\n", r.LOOHeldOut, r.GreedyHeldOut)
	}
	stdio.Out.Write(b.Bytes())
}
