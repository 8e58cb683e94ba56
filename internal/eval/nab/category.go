package nab

import (
	"fmt"
	"slices"
	"strings"
)

// Category returns the category of a corpus file name "<category>/<file>.csv",
// or "" when the name has no folder.
func Category(name string) string {
	cat, _, ok := strings.Cut(name, "/")
	if !ok {
		return ""
	}
	return cat
}

// Categories returns the distinct categories of outputs, sorted.
func Categories(outputs []Scored) []string {
	var cats []string
	for _, o := range outputs {
		if c := Category(o.Name); !slices.Contains(cats, c) {
			cats = append(cats, c)
		}
	}
	slices.Sort(cats)
	return cats
}

// Select returns the outputs whose category keep accepts, in order.
func Select(outputs []Scored, keep func(category string) bool) []Scored {
	var out []Scored
	for _, o := range outputs {
		if keep(Category(o.Name)) {
			out = append(out, o)
		}
	}
	return out
}

// CategoryResult is one category's NAB result.
type CategoryResult struct {
	Category string `json:"category"`
	Result
}

// ByCategory scores each category of outputs on its own under p: the
// threshold is optimised over that category alone, as NAB would do on a
// corpus holding only that category.
func ByCategory(outputs []Scored, p Profile) ([]CategoryResult, error) {
	var out []CategoryResult
	for _, cat := range Categories(outputs) {
		r, err := Evaluate(Select(outputs, func(c string) bool { return c == cat }), p)
		if err != nil {
			return nil, fmt.Errorf("category %s: %w", cat, err)
		}
		out = append(out, CategoryResult{Category: cat, Result: r})
	}
	return out, nil
}
