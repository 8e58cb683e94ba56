// Package patterns mines log templates online: each message is masked
// (numbers, addresses, ids, paths... become <*>), then matched against the
// templates seen so far in a Drain-style prefix tree (token count, then the
// leading tokens) with a token-type aware similarity test. A message that
// matches no template starts a new one. Every template has a stable id,
// handed out when it is created and never changed, even when the template
// text generalises later.
//
// Compared with Drain:
//   - a differing plain word becomes <*> only when enough other constant
//     tokens match and the position has shown MinValues distinct words,
//     not mostly verb forms, so "VM started" and "VM paused" stay two
//     patterns while user or program names join; words once found to be
//     values of a variable count as such in every template;
//   - a line also looks under its leading tokens read as <*>, so a leading
//     program or daemon name can be found to vary;
//   - two key=value tokens with different keys differ as words do;
//   - templates whose text becomes equal once runs of variable tokens are
//     collapsed are joined, so a variable that spans a varying number of
//     tokens (a quoted string, a date, "<1 sec" against "00:01", "12 KB"
//     against "1024 bytes (1.00 KB)") does not split one event;
//   - memory is bounded: clusters per leaf and in total are capped, tokens
//     per line and bytes per token too; past the caps lines go to the best
//     matching template or to one "other" pattern per token count.
//
// The package is pure: no I/O, no clocks.
package patterns

import (
	"bytes"
	"hash/fnv"
	"hash/maphash"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/cloudsage/cloudsage"
)

// Config holds the miner's parameters. DefaultConfig is the configuration
// every caller uses (eval, analyze, serve); the fields exist for tests and
// experiments.
type Config struct {
	// Similarity is the share of a template's constant tokens that a message
	// must match to join it (differing tokens become <*>).
	Similarity float64
	// MinSharedForWord is how many constant tokens sibling templates that
	// differ in one plain word must share before that word may become <*>.
	MinSharedForWord int
	// MinValues is how many distinct plain words must have been seen at one
	// position of otherwise equal templates, most of them rare, before the
	// position is taken as a variable; fewer are an enumeration
	// ("VM started", "VM paused").
	MinValues int
	// PrefixTokens is how many leading tokens key the tree after the token
	// count (Drain's depth minus two).
	PrefixTokens int
	// MaxClusters caps the number of templates; past it, lines that match
	// none go to the "other" pattern of their token count.
	MaxClusters int
	// MaxClustersPerLeaf caps the templates under one tree leaf.
	MaxClustersPerLeaf int
	// MaxTokens caps the tokens of a line; the rest becomes one <*>.
	MaxTokens int
	// MaxTokenLen masks any longer token as <*>.
	MaxTokenLen int
	// CacheSize bounds the exact-line cache (masked line -> template).
	CacheSize int
}

// DefaultConfig returns the configuration used everywhere.
func DefaultConfig() Config {
	return Config{
		Similarity:         0.5,
		MinSharedForWord:   3,
		MinValues:          4,
		PrefixTokens:       2,
		MaxClusters:        10000,
		MaxClustersPerLeaf: 200,
		MaxTokens:          64,
		MaxTokenLen:        128,
		CacheSize:          1 << 16,
	}
}

func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if c.Similarity <= 0 || c.Similarity > 1 {
		c.Similarity = d.Similarity
	}
	if c.MinSharedForWord <= 0 {
		c.MinSharedForWord = d.MinSharedForWord
	}
	if c.MinValues <= 1 {
		c.MinValues = d.MinValues
	}
	if c.PrefixTokens <= 0 {
		c.PrefixTokens = d.PrefixTokens
	}
	if c.PrefixTokens > 4 {
		c.PrefixTokens = 4
	}
	if c.MaxClusters <= 0 {
		c.MaxClusters = d.MaxClusters
	}
	if c.MaxClustersPerLeaf <= 0 {
		c.MaxClustersPerLeaf = d.MaxClustersPerLeaf
	}
	if c.MaxTokens < 2 {
		c.MaxTokens = d.MaxTokens
	}
	if c.MaxTokenLen < 8 {
		c.MaxTokenLen = d.MaxTokenLen
	}
	if c.CacheSize <= 0 {
		c.CacheSize = d.CacheSize
	}
	return c
}

// Match is the result of mining one message.
type Match struct {
	ID  cloudsage.PatternID
	New bool // this message created the pattern
}

// Pattern is one mined template.
type Pattern struct {
	ID       cloudsage.PatternID
	Template string
	Count    int64
}

type cluster struct {
	id     cloudsage.PatternID
	seq    int // creation order: the older of two joined clusters keeps its id
	tokens []string
	kinds  []tokenKind
	count  int64
	alias  *cluster // joined into alias: lines report alias's root id
	keys   []string // leaf keys this cluster is registered under
	ckey   string   // collapsed template, as indexed
	other  bool     // the catch-all of one token count (or of keyed events past the cap)
	keyed  bool     // a caller-supplied template (AddKey): not in the tree, never generalised
	tmpl   string   // joined template, "" when stale
}

func (c *cluster) root() *cluster {
	for c.alias != nil {
		c = c.alias
	}
	return c
}

func (c *cluster) template() string {
	if c.tmpl == "" {
		c.tmpl = strings.Join(c.tokens, " ")
	}
	return c.tmpl
}

// Miner is an online template miner. It is not safe for concurrent use.
type Miner struct {
	cfg       Config
	mk        masker
	lens      []map[string][]*cluster // token count -> leaf key -> clusters
	byID      map[cloudsage.PatternID]*cluster
	all       []*cluster // creation order
	collapsed map[string]*cluster
	// collapsedWild: collapsed key with one leading token read as <*> ->
	// the clusters a generalised template of that key would cover.
	collapsedWild map[string][]*cluster
	values        map[string]struct{} // known value words (see learn)
	rejoins       int
	others        map[int]*cluster
	keyed         map[string]*cluster // AddKey templates
	keyOther      *cluster            // keyed events past MaxClusters
	live          int                 // clusters counted against MaxClusters
	roots         int
	cache         map[uint64]*cluster
	seed          maphash.Seed
	kbuf          []byte
	cands         []candidate
}

// New returns an empty miner.
func New(cfg Config) *Miner {
	cfg = cfg.withDefaults()
	m := &Miner{
		cfg:           cfg,
		mk:            masker{maxTokens: cfg.MaxTokens, maxTokenLen: cfg.MaxTokenLen},
		lens:          make([]map[string][]*cluster, cfg.MaxTokens+1),
		byID:          make(map[cloudsage.PatternID]*cluster),
		collapsed:     make(map[string]*cluster),
		collapsedWild: make(map[string][]*cluster),
		values:        make(map[string]struct{}),
		others:        make(map[int]*cluster),
		keyed:         make(map[string]*cluster),
		cache:         make(map[uint64]*cluster),
		seed:          maphash.MakeSeed(),
	}
	return m
}

// Len returns the number of patterns (joined templates count once).
func (m *Miner) Len() int { return m.roots }

// Template returns the current template of id, or "" when id is unknown.
func (m *Miner) Template(id cloudsage.PatternID) string {
	c, ok := m.byID[id]
	if !ok {
		return ""
	}
	return c.root().template()
}

// Canonical returns the id that lines of id's pattern now report: id
// itself unless its template was joined to an older one.
func (m *Miner) Canonical(id cloudsage.PatternID) cloudsage.PatternID {
	c, ok := m.byID[id]
	if !ok {
		return id
	}
	return c.root().id
}

// Patterns returns every pattern, most frequent first (ties: oldest first).
func (m *Miner) Patterns() []Pattern {
	counts := make(map[*cluster]int64, m.roots)
	for _, c := range m.all {
		counts[c.root()] += c.count
	}
	out := make([]Pattern, 0, m.roots)
	for _, c := range m.all {
		if c.alias == nil {
			out = append(out, Pattern{ID: c.id, Template: c.template(), Count: counts[c]})
		}
	}
	slices.SortStableFunc(out, func(a, b Pattern) int {
		switch {
		case a.Count > b.Count:
			return -1
		case a.Count < b.Count:
			return 1
		}
		return 0
	})
	return out
}

// Add mines one message and returns its pattern.
func (m *Miner) Add(message string) Match {
	mk := &m.mk
	mk.mask(message)
	// Masking reads every byte that reaches the template; only a line with
	// multi-byte text needs the UTF-8 check (and, when invalid, a second pass).
	if mk.high && !utf8.ValidString(message) {
		mk.mask(strings.ToValidUTF8(message, "\uFFFD"))
	}
	n := len(mk.toks)

	h := maphash.Bytes(m.seed, mk.buf)
	if c, ok := m.cache[h]; ok && len(c.tokens) == n {
		if _, diff, _, _ := m.score(c); diff == 0 {
			c.count++
			return Match{ID: c.root().id}
		}
	}

	best, leafFull := m.search(n)
	if best != nil {
		c := best.c
		if best.diff > 0 {
			m.generalise(c)
		}
		c.count++
		m.remember(h, c)
		return Match{ID: c.root().id}
	}
	if c := m.join(); c != nil {
		c.count++
		m.remember(h, c)
		return Match{ID: c.id}
	}
	if leafFull || m.live >= m.cfg.MaxClusters {
		o := m.other(n)
		o.count++
		return Match{ID: o.root().id}
	}
	c := m.create(n)
	c.count++
	m.remember(h, c)
	r := c.root()
	return Match{ID: r.id, New: r == c}
}

func (m *Miner) remember(h uint64, c *cluster) {
	if len(m.cache) >= m.cfg.CacheSize {
		clear(m.cache)
	}
	m.cache[h] = c
}

// tok returns token i of the masked line (no allocation when compared).
func (m *Miner) tok(i int) []byte {
	s := m.mk.toks[i]
	return m.mk.buf[s.start:s.end]
}

// keysDiffer reports whether template token t and line token u are both
// key=value pairs with different keys: a different key is a different
// field, as a different word is, not a different value.
func keysDiffer(t string, u []byte) bool {
	i := strings.IndexByte(t, '=')
	j := bytes.IndexByte(u, '=')
	if i <= 0 || j <= 0 {
		return false
	}
	return t[:i] != string(u[:j])
}

// score compares the masked line with c's template. eq counts equal
// constant tokens; diff counts differing tokens, of which words are pairs
// of differing plain words; at is the position of the last such pair. A template
// <*> made by merging matches anything; a <*> made by masking matches only
// a masked token, so "<*>" never swallows every one-word message.
func (m *Miner) score(c *cluster) (eq, diff, words, at int) {
	for i, t := range c.tokens {
		k := c.kinds[i]
		if k == kindGen {
			continue
		}
		if t == string(m.tok(i)) {
			if k != kindWild {
				eq++
			}
			continue
		}
		diff++
		if k == kindWord && m.mk.kinds[i] == kindWord || k == kindOther && keysDiffer(t, m.tok(i)) {
			words++
			at = i
		}
	}
	return eq, diff, words, at
}

// accept decides whether a line scored (eq, diff, words) joins a template
// directly. Differing plain words never do: whether a word position is a
// variable is decided from the variety of values seen there (see join).
func (m *Miner) accept(eq, diff, words int) bool {
	if diff == 0 {
		return true
	}
	return words == 0 && eq > 0 && float64(eq) >= m.cfg.Similarity*float64(eq+diff)
}

type candidate struct {
	c                   *cluster
	eq, diff, words, at int
}

// search scores the masked line against every template in every leaf the
// line may belong to: its own leading tokens, with any of them replaced by
// <*>. It returns the best acceptable template, if any, and keeps all
// scores in m.cands. leafFull reports that the line's own leaf is full.
func (m *Miner) search(n int) (best *candidate, leafFull bool) {
	m.cands = m.cands[:0]
	leaves := m.lens[n]
	if leaves == nil {
		return nil, false
	}
	p := min(m.cfg.PrefixTokens, n)
	variants := 1 << p
	for v := 0; v < variants; v++ {
		// bit i of v set: position i replaced by <*>; skip variants that
		// replace a token that already is <*> (same key as without).
		dup := false
		m.kbuf = m.kbuf[:0]
		for i := 0; i < p; i++ {
			t := keyToken(m.tok(i), m.mk.kinds[i])
			if v&(1<<i) != 0 {
				if string(t) == wildcard {
					dup = true
					break
				}
				t = wildBytes
			}
			if i > 0 {
				m.kbuf = append(m.kbuf, ' ')
			}
			m.kbuf = append(m.kbuf, t...)
		}
		if dup {
			continue
		}
		leaf := leaves[string(m.kbuf)]
		if v == 0 && len(leaf) >= m.cfg.MaxClustersPerLeaf {
			leafFull = true
		}
		for _, c := range leaf {
			eq, diff, words, at := m.score(c)
			m.cands = append(m.cands, candidate{c, eq, diff, words, at})
		}
	}
	bestRatio := -1.0
	for i := range m.cands {
		cd := &m.cands[i]
		if !m.accept(cd.eq, cd.diff, cd.words) {
			continue
		}
		ratio := 1.0
		if cd.eq+cd.diff > 0 {
			ratio = float64(cd.eq) / float64(cd.eq+cd.diff)
		}
		if ratio > bestRatio || (ratio == bestRatio && (cd.eq > best.eq || (cd.eq == best.eq && cd.c.seq < best.c.seq))) {
			best, bestRatio = cd, ratio
		}
	}
	return best, leafFull
}

// join looks for sibling templates that differ from the line only in one
// plain word at the same position (and maybe in tokens that are not plain
// words). When that position has shown MinValues distinct words, it is a
// variable (a user name, a host): the oldest sibling's word becomes <*>
// and the others are joined to it. Fewer values ("VM started", "VM
// paused", "VM resumed") are an enumeration and stay apart, and so are
// values that are mostly verb forms, however many. Each position where
// siblings differ is tried in turn.
func (m *Miner) join() *cluster {
	sibling := func(cd *candidate) bool {
		return cd.words == 1 && cd.eq >= m.cfg.MinSharedForWord && m.accept(cd.eq, cd.diff-1, 0)
	}
	tried := 0 // bit set of positions tried (the first 64)
	for i := range m.cands {
		cd := &m.cands[i]
		if !sibling(cd) || cd.at < 64 && tried&(1<<cd.at) != 0 {
			continue
		}
		if cd.at < 64 {
			tried |= 1 << cd.at
		}
		if c := m.joinAt(cd.at, sibling); c != nil {
			return c
		}
	}
	return nil
}

// joinAt joins the siblings that differ from the line in the word at j,
// when the values seen there make j a variable.
func (m *Miner) joinAt(j int, sibling func(*candidate) bool) *cluster {
	var sib []*cluster
	for i := range m.cands {
		cd := &m.cands[i]
		if !sibling(cd) || cd.at != j {
			continue
		}
		if r := cd.c.root(); !slices.Contains(sib, r) {
			sib = append(sib, r)
		}
	}
	values := len(sib) + 1
	if values < m.cfg.MinValues && !m.knownValues(j, sib) {
		return nil
	}
	// Verb forms name what happened (started, paused, closing): a slot
	// where at least half the values are verb forms is an enumeration of
	// events, however many there are.
	verbs := 0
	if eventWord(m.tok(j)) {
		verbs++
	}
	for _, c := range sib {
		if j < len(c.tokens) && eventWord([]byte(c.tokens[j])) {
			verbs++
		}
	}
	if 2*verbs >= values {
		return nil
	}
	oldest := sib[0]
	for _, c := range sib[1:] {
		if c.seq < oldest.seq {
			oldest = c
		}
	}
	learned := m.learn(string(m.tok(j)))
	for _, c := range sib {
		if j < len(c.tokens) && c.kinds[j] == kindWord && m.learn(c.tokens[j]) {
			learned = true
		}
		if c != oldest {
			c.alias = oldest
			m.roots--
		}
	}
	if len(oldest.tokens) == len(m.mk.toks) {
		m.generalise(oldest)
	}
	if learned {
		m.rejoin()
	}
	return oldest
}

// Value words: the words seen in a slot that was found to be a variable
// (the user names of "session closed for user <*>"). They are evidence
// for other templates: two templates that differ only in one slot where
// each holds a known value are one event ("session opened for user news"
// and "... user cyrus" join once news and cyrus are known values), even
// below MinValues.
const (
	maxValueWords = 1 << 14 // bounds the set
	maxRejoins    = 256     // bounds the rescans of all templates
)

// knownValues reports whether the line's word at j and the siblings'
// words there are all known values.
func (m *Miner) knownValues(j int, sib []*cluster) bool {
	if _, ok := m.values[string(m.tok(j))]; !ok {
		return false
	}
	for _, c := range sib {
		// A sibling's root may be a shorter template it was joined to.
		if j >= len(c.tokens) {
			return false
		}
		if _, ok := m.values[c.tokens[j]]; !ok {
			return false
		}
	}
	return true
}

// learn adds w to the known values; it reports whether w is new.
func (m *Miner) learn(w string) bool {
	if _, ok := m.values[w]; ok || len(m.values) >= maxValueWords {
		return false
	}
	m.values[strings.Clone(w)] = struct{}{}
	return true
}

// rejoin joins the templates that are equal but for one plain word that
// is a known value in each (or <*> in one of them): the oldest keeps its
// id and its word becomes <*>.
func (m *Miner) rejoin() {
	if m.rejoins >= maxRejoins {
		return
	}
	m.rejoins++
	groups := make(map[string][]*cluster)
	var order []string
	var b strings.Builder
	for _, c := range m.all {
		if c.alias != nil || c.other || c.keyed {
			continue
		}
		for p, t := range c.tokens {
			if c.kinds[p] != kindGen {
				if _, ok := m.values[t]; !ok || c.kinds[p] != kindWord {
					continue
				}
			}
			b.Reset()
			b.WriteString(strconv.Itoa(p))
			for i, u := range c.tokens {
				b.WriteByte(' ')
				if i != p {
					b.WriteString(u)
				}
			}
			k := b.String()
			if _, ok := groups[k]; !ok {
				order = append(order, k)
			}
			groups[k] = append(groups[k], c)
		}
	}
	for _, k := range order {
		g := groups[k]
		if len(g) < 2 {
			continue
		}
		p, _ := strconv.Atoi(k[:strings.IndexByte(k, ' ')])
		shared := 0
		for i, t := range g[0].tokens {
			if i != p && g[0].kinds[i] != kindGen && g[0].kinds[i] != kindWild && t != wildcard {
				shared++
			}
		}
		if shared < m.cfg.MinSharedForWord {
			continue
		}
		oldest := g[0].root()
		for _, c := range g[1:] {
			if r := c.root(); r.seq < oldest.seq {
				oldest = r
			}
		}
		if len(oldest.tokens) != len(g[0].tokens) {
			continue
		}
		for _, c := range g {
			m.joinRoots(oldest, c)
		}
		if oldest.kinds[p] != kindGen {
			oldest.tokens[p] = wildcard
			oldest.kinds[p] = kindGen
			oldest.tmpl = ""
			if p < m.cfg.PrefixTokens {
				m.register(oldest)
			}
			m.index(oldest)
		}
	}
}

// generalise turns the tokens of c that differ from the masked line into <*>.
func (m *Miner) generalise(c *cluster) {
	prefixChanged := false
	for i, t := range c.tokens {
		if c.kinds[i] != kindGen && t != string(m.tok(i)) {
			c.tokens[i] = mergeToken(t, string(m.tok(i)))
			c.kinds[i] = kindGen
			if i < m.cfg.PrefixTokens {
				prefixChanged = true
			}
		}
	}
	c.tmpl = ""
	if prefixChanged {
		m.register(c)
	}
	m.index(c)
	m.absorb(c)
}

// mergeToken is the template token that covers differing tokens a and b:
// <*> with the key or punctuation both share around the part that
// differs ("tty=ssh" and "tty=pts" -> "tty=<*>", "()" and "(host)" ->
// "(<*>)"), so the template keeps what is constant.
func mergeToken(a, b string) string {
	p := 0
	for p < len(a) && p < len(b) && a[p] == b[p] {
		p++
	}
	for p > 0 && !strings.ContainsRune("=:([{\"'/@,;", rune(a[p-1])) {
		p--
	}
	s := 0
	for s < len(a)-p && s < len(b)-p && a[len(a)-1-s] == b[len(b)-1-s] {
		s++
	}
	for s > 0 && !strings.ContainsRune(")]}\"',;:.", rune(a[len(a)-s])) {
		s--
	}
	pre, suf := a[:p], a[len(a)-s:]
	if strings.ContainsAny(pre, "<*>") || strings.ContainsAny(suf, "<*>") {
		return wildcard
	}
	return pre + wildcard + suf
}

// absorb joins into c's pattern the templates of the line's leaves that
// c's generalised template now covers: they name the same event, and a
// line like theirs would now match c.
func (m *Miner) absorb(c *cluster) {
	for i := range m.cands {
		d := m.cands[i].c
		if d.other || len(d.tokens) != len(c.tokens) || d.root() == c.root() || !covers(c, d) {
			continue
		}
		m.link(c.root(), d.root())
	}
}

// covers reports whether every line matching d's template matches c's.
func covers(c, d *cluster) bool {
	for i, t := range c.tokens {
		if c.kinds[i] != kindGen && (t != d.tokens[i] || d.kinds[i] == kindGen) {
			return false
		}
	}
	return true
}

// link joins roots a and b: the older keeps its id; when both have the
// same length its template is generalised to cover the younger's.
func (m *Miner) link(a, b *cluster) {
	if b.seq < a.seq {
		a, b = b, a
	}
	b.alias = a
	m.roots--
	if len(a.tokens) != len(b.tokens) {
		return
	}
	changed, prefix := false, false
	for i, t := range a.tokens {
		if a.kinds[i] == kindGen {
			continue
		}
		if b.kinds[i] == kindGen || t != b.tokens[i] {
			a.tokens[i] = mergeToken(t, b.tokens[i])
			a.kinds[i] = kindGen
			changed = true
			prefix = prefix || i < m.cfg.PrefixTokens
		}
	}
	if changed {
		a.tmpl = ""
		if prefix {
			m.register(a)
		}
		m.index(a)
	}
}

func (m *Miner) create(n int) *cluster {
	line := string(m.mk.buf) // one copy; tokens are substrings of it
	c := &cluster{
		seq:    len(m.all),
		tokens: make([]string, n),
		kinds:  slices.Clone(m.mk.kinds),
	}
	for i, s := range m.mk.toks {
		c.tokens[i] = line[s.start:s.end]
	}
	c.id = m.newID(line)
	m.add(c)
	m.live++
	m.roots++
	m.register(c)
	m.index(c)
	return c
}

func (m *Miner) add(c *cluster) {
	m.all = append(m.all, c)
	m.byID[c.id] = c
}

func (m *Miner) newID(template string) cloudsage.PatternID {
	for k := 0; ; k++ {
		h := fnv.New32a()
		h.Write([]byte(template))
		if k > 0 {
			h.Write([]byte("#" + strconv.Itoa(k)))
		}
		id := cloudsage.PatternID("p" + strconv.FormatUint(uint64(h.Sum32())|1<<32, 16)[1:])
		if _, taken := m.byID[id]; !taken {
			return id
		}
	}
}

// nameToken reports whether template token t names a program or a
// process: a plain word (firefox.exe, backupd), or a name followed by a
// masked id in brackets (powerd(<*>), cron[<*>]:). Other tokens with
// letters (Foo::start, key=value) are not looked up as <*>: they tell
// events apart more often than not.
func nameToken(t string, k tokenKind) bool {
	if k == kindWord {
		return true
	}
	if k != kindOther {
		return false
	}
	i := strings.IndexAny(t, "([{<")
	if i <= 0 || !strings.Contains(t[i:], wildcard) {
		return false
	}
	for j := 0; j < i; j++ {
		if c := t[j]; class[c]&(cLetter|cDigit) == 0 && c != '.' && c != '_' && c != '-' {
			return false
		}
	}
	return wildish(t[i:])
}

// leafKey is the key of c's current leading tokens.
func (m *Miner) leafKey(c *cluster) string { return m.leafKeyWild(c, -1) }

// leafKeyWild is leafKey with leading token wild (if >= 0) read as <*>.
func (m *Miner) leafKeyWild(c *cluster, wild int) string {
	p := min(m.cfg.PrefixTokens, len(c.tokens))
	var b []byte
	for i := 0; i < p; i++ {
		if i > 0 {
			b = append(b, ' ')
		}
		if i == wild {
			b = append(b, wildcard...)
			continue
		}
		b = append(b, keyToken([]byte(c.tokens[i]), c.kinds[i])...)
	}
	return string(b)
}

var wildBytes = []byte(wildcard)

// keyToken is the tree key of a leading token: <*> for a wildcard or any
// token holding a digit (an identifier such as broadcast_0 should not
// split the tree, as in Drain), the token itself otherwise.
func keyToken(t []byte, k tokenKind) []byte {
	if k == kindWild || k == kindGen {
		return wildBytes
	}
	for _, c := range t {
		if c >= '0' && c <= '9' {
			return wildBytes
		}
	}
	return t
}

// register files c under the leaf of its current leading tokens (it stays
// under the earlier ones too), and under the leaves of those tokens with
// one name replaced by <*> (see nameToken): a line whose leading name
// differs (a program or daemon name that starts the message) looks there, so it can
// find the templates it may join. Those extra leaves are not filled past
// MaxClustersPerLeaf, which bounds the scoring work of a line.
func (m *Miner) register(c *cluster) {
	key := m.leafKey(c)
	if !slices.Contains(c.keys, key) {
		c.keys = append(c.keys, key)
		m.file(c, key)
	}
	p := min(m.cfg.PrefixTokens, len(c.tokens))
	for i := 0; i < p; i++ {
		if string(keyToken([]byte(c.tokens[i]), c.kinds[i])) == wildcard || !nameToken(c.tokens[i], c.kinds[i]) {
			continue
		}
		wk := m.leafKeyWild(c, i)
		if slices.Contains(c.keys, wk) {
			continue
		}
		if l := m.lens[len(c.tokens)]; l != nil && len(l[wk]) >= m.cfg.MaxClustersPerLeaf {
			continue
		}
		c.keys = append(c.keys, wk)
		m.file(c, wk)
	}
}

func (m *Miner) file(c *cluster, key string) {
	n := len(c.tokens)
	if m.lens[n] == nil {
		m.lens[n] = make(map[string][]*cluster)
	}
	m.lens[n][key] = append(m.lens[n][key], c)
}

// collapsedKey is the template with every run of variable tokens
// collapsed to one <*>. A variable token is <*> with only punctuation
// around it ("(<*>", "<<*>", "<*>),"), or a unit word right after one
// ("<*> KB", "<*> bytes (<*> MB)", "<*> ms", "<<*> sec"): one value
// written as one token or several ("00:01", "<1 sec", "3 min 2 s",
// "120 bytes (0.12 KB)") reads the same, so it does not split an event.
func collapsedKey(tokens []string) string {
	var b strings.Builder
	prevWild := false
	for i, t := range tokens {
		w := wildish(t) || prevWild && unitWord([]byte(t))
		if w && prevWild {
			continue
		}
		if i > 0 {
			b.WriteByte(' ')
		}
		if w {
			t = wildcard
		}
		b.WriteString(t)
		prevWild = w
	}
	return b.String()
}

// wildish reports whether template token t is <*> with nothing but
// punctuation around it.
func wildish(t string) bool {
	i := strings.Index(t, wildcard)
	if i < 0 {
		return false
	}
	rest := t[:i] + t[i+len(wildcard):]
	for j := 0; j < len(rest); j++ {
		if class[rest[j]]&(cLetter|cDigit) != 0 || rest[j] == '=' {
			return false
		}
	}
	return true
}

// index joins c with an older cluster whose template reads the same once
// runs of variable tokens are collapsed (see collapsedKey), and with the
// clusters that differ from it only in a leading token that one of them
// has generalised to <*>: "<*> - <*> close" covers "zoom - <*> close"
// even when a size or a duration spans a different number of tokens in
// the two.
func (m *Miner) index(c *cluster) {
	key := collapsedKey(c.tokens)
	if key == c.ckey {
		return
	}
	c.ckey = key
	if o, ok := m.collapsed[key]; ok {
		m.joinRoots(o, c)
	} else {
		m.collapsed[key] = c
	}
	toks := strings.Split(key, " ")
	for i := range m.leadingAligned(c, toks) {
		switch {
		case toks[i] == wildcard:
			if c.kinds[i] == kindGen {
				// c covers the clusters that wait for this key.
				for _, d := range m.collapsedWild[key] {
					m.joinRoots(c, d)
				}
				delete(m.collapsedWild, key)
			}
		default:
			v := wildVariant(toks, i)
			p := i // where v, and o's template, hold the <*>
			if i > 0 && toks[i-1] == wildcard {
				p = i - 1
			}
			if o, ok := m.collapsed[v]; ok && p < len(o.kinds) && o.kinds[p] == kindGen {
				m.joinRoots(o, c)
			} else {
				m.waitFor(v, c)
			}
		}
	}
}

// fileWild files c under the wild variants of its collapsed key that no
// generalised template covers yet (as index does, without joining): used
// when a snapshot is restored.
func (m *Miner) fileWild(c *cluster) {
	toks := strings.Split(c.ckey, " ")
	for i := range m.leadingAligned(c, toks) {
		if toks[i] == wildcard {
			continue
		}
		v := wildVariant(toks, i)
		p := i
		if i > 0 && toks[i-1] == wildcard {
			p = i - 1
		}
		if o, ok := m.collapsed[v]; !ok || p >= len(o.kinds) || o.kinds[p] != kindGen {
			m.waitFor(v, c)
		}
	}
}

// waitFor files c under wild variant v until a template of that key
// covers it. The index is bounded: at most 4*MaxClusters keys and 64
// clusters a key; past that, c simply does not wait (it may stay apart).
func (m *Miner) waitFor(v string, c *cluster) {
	w, ok := m.collapsedWild[v]
	if !ok && len(m.collapsedWild) >= 4*m.cfg.MaxClusters || len(w) >= 64 {
		return
	}
	m.collapsedWild[v] = append(w, c)
}

// leadingAligned returns how many leading tokens of c's template (at most
// PrefixTokens) sit at the same position in its collapsed key toks.
func (m *Miner) leadingAligned(c *cluster, toks []string) int {
	n := min(m.cfg.PrefixTokens, len(c.tokens), len(toks))
	for i := 0; i < n; i++ {
		if c.tokens[i] != toks[i] {
			return i
		}
	}
	return n
}

// wildVariant is toks joined with token i read as <*>, collapsed again
// (a <*> next to it absorbs it).
func wildVariant(toks []string, i int) string {
	var b strings.Builder
	prevWild := false
	for j, t := range toks {
		if j == i {
			t = wildcard
		}
		w := t == wildcard
		if w && prevWild {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(t)
		prevWild = w
	}
	return b.String()
}

// joinRoots joins the patterns of a and b: the older root keeps its id.
func (m *Miner) joinRoots(a, b *cluster) {
	a, b = a.root(), b.root()
	if a == b {
		return
	}
	if b.seq < a.seq {
		a, b = b, a
	}
	b.alias = a
	m.roots--
}

// other returns the catch-all pattern of n tokens.
func (m *Miner) other(n int) *cluster {
	if o, ok := m.others[n]; ok {
		return o
	}
	o := &cluster{seq: len(m.all), tokens: make([]string, n), kinds: make([]tokenKind, n), other: true}
	for i := range o.tokens {
		o.tokens[i] = wildcard
		o.kinds[i] = kindWild
	}
	o.id = m.newID("other " + strconv.Itoa(n))
	m.add(o)
	m.others[n] = o
	m.roots++
	return o
}

// eventWord reports whether t reads as an English verb form: a word of
// five or more letters ending in -ed or -ing (maybe capitalised or with
// closing punctuation), such as started, Paused, closing.
func eventWord(t []byte) bool {
	var buf [24]byte
	w, ok := lowerWord(buf[:], t)
	if !ok || len(w) < 5 {
		return false
	}
	for _, c := range w {
		if c < 'a' || c > 'z' {
			return false
		}
	}
	return strings.HasSuffix(string(w), "ed") || strings.HasSuffix(string(w), "ing")
}
