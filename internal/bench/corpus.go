package bench

import (
	"bufio"
	"fmt"
	"os"
	"strings"

	"github.com/cloudsage/cloudsage/internal/eval/loghub"
	"github.com/cloudsage/cloudsage/internal/parse"
)

// Corpus is what the stages run on: each line whole (Raw, as a log file
// holds it) and its message without the header (Content, what pattern
// mining sees).
type Corpus struct {
	Raw     []string
	Content []string
	// Sources says where the lines came from, for the report.
	Sources string
}

// Len returns the number of lines.
func (c *Corpus) Len() int { return len(c.Raw) }

// LoadLoghub reads every system of a Loghub-2k folder (formats.json plus
// <System>/<System>_2k.log), splitting each line's header from its
// content with the system's log_format. Systems whose log is missing are
// skipped.
func LoadLoghub(dir string) (*Corpus, error) {
	formats, err := loghub.LoadFormats(dir)
	if err != nil {
		return nil, err
	}
	c := &Corpus{}
	var names []string
	for _, name := range loghub.Systems(dir, formats) {
		f := formats[name]
		re, err := loghub.FormatRegexp(f.LogFormat)
		if err != nil {
			return nil, err
		}
		path := f.LogPath(dir, name)
		fh, err := os.Open(path)
		if err != nil {
			continue
		}
		ci := re.SubexpIndex("Content")
		sc := bufio.NewScanner(fh)
		sc.Buffer(make([]byte, 1<<20), 1<<24)
		for sc.Scan() {
			line := strings.TrimRight(sc.Text(), "\r")
			m := re.FindStringSubmatch(line)
			if m == nil {
				continue
			}
			c.Raw = append(c.Raw, line)
			c.Content = append(c.Content, m[ci])
		}
		fh.Close()
		if err := sc.Err(); err != nil {
			return nil, fmt.Errorf("read %s: %w", path, err)
		}
		names = append(names, name)
	}
	c.Sources = fmt.Sprintf("%d Loghub lines (%s)", len(c.Raw), strings.Join(names, ", "))
	return c, nil
}

// Mix returns a corpus of n lines that cycles through the lines of parts in
// turn (a line of the first, a line of the second, ...).
func Mix(n int, parts ...*Corpus) *Corpus {
	out := &Corpus{Raw: make([]string, 0, n), Content: make([]string, 0, n)}
	var srcs []string
	var live []*Corpus
	for _, p := range parts {
		if p != nil && p.Len() > 0 {
			live = append(live, p)
			srcs = append(srcs, p.Sources)
		}
	}
	if len(live) == 0 {
		return out
	}
	idx := make([]int, len(live))
	for i := 0; len(out.Raw) < n; i = (i + 1) % len(live) {
		p := live[i]
		j := idx[i] % p.Len()
		idx[i]++
		out.Raw = append(out.Raw, p.Raw[j])
		out.Content = append(out.Content, p.Content[j])
	}
	out.Sources = fmt.Sprintf("%d lines cycling through: %s", n, strings.Join(srcs, "; "))
	return out
}

// Generate returns n generated lines in mixed formats: parse.Corpus (JSON,
// logfmt, syslog, access logs, application logs, multi-line stack traces),
// deterministic for a seed. Content is each line's message as the parser
// reads the line on its own.
func Generate(n int, seed uint64) *Corpus {
	raw := parse.Corpus(n, int64(seed))
	c := &Corpus{Raw: raw, Content: make([]string, len(raw))}
	for i, l := range raw {
		c.Content[i] = l
		if evs := parse.Text(l); len(evs) == 1 && evs[0].Message != "" {
			c.Content[i] = evs[0].Message
		}
	}
	c.Sources = fmt.Sprintf("%d generated mixed-format lines (parse.Corpus, seed %d)", n, seed)
	return c
}
