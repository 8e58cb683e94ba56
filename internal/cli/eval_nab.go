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
// among those variants, scored on the held-out one).
func runEvalNAB(ctx context.Context, args []string, stdio Stdio) error {
	fs := newFlagSet("eval nab", "--data DIR [--json] [--by-category] [--robustness] [--config JSON]", stdio)
	data := fs.String("data", "", "NAB-style folder: data/<category>/*.csv, labels/combined_windows.json")
	asJSON := fs.Bool("json", false, "print one JSON object")
	perFile := fs.Bool("files", false, "list every file's raw score (plain output)")
	byCat := fs.Bool("by-category", false, "score each category on its own as well")
	robust := fs.Bool("robustness", false, "sensitivity of the score to each parameter (x0.5..x1.5) and leave-one-category-out")
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
		}{
			norm(nab.Standard.Name), norm(nab.RewardLowFP.Name), norm(nab.RewardLowFN.Name),
			rep.Files, rep.Rows, rep.Windows, elapsed.Seconds(), cfg, rep.Results, cats, rob,
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
	Chosen  string  `json:"chosen"`
	Score   float64 `json:"held_out_score"`
	Base    float64 `json:"base_held_out_score"`
	Best    float64 `json:"best_held_out_score"` // the oracle: best variant on the held-out category
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
		}
		rob.Variants = append(rob.Variants, v)
	}
	if len(rob.Categories) > 1 {
		for i, cat := range rob.Categories {
			chosen, best := 0, 0
			for k, v := range rob.Variants {
				if v.Train[i] > rob.Variants[chosen].Train[i] {
					chosen = k
				}
				if v.ByCat[i] > rob.Variants[best].ByCat[i] {
					best = k
				}
			}
			rob.LOO = append(rob.LOO, loo{
				HeldOut: cat, Chosen: rob.Variants[chosen].label(),
				Score: rob.Variants[chosen].ByCat[i], Base: rob.Variants[0].ByCat[i], Best: rob.Variants[best].ByCat[i],
			})
		}
	}
	return &rob, nil
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
		fmt.Fprintf(&b, "%-20s %-28s %9s %9s %9s\n", "held out", "chosen", "held-out", "base", "oracle")
		for _, l := range r.LOO {
			fmt.Fprintf(&b, "%-20s %-28s %9.2f %9.2f %9.2f\n", l.HeldOut, l.Chosen, l.Score, l.Base, l.Best)
		}
	}
	stdio.Out.Write(b.Bytes())
}
