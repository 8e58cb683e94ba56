package patterns

import "strings"

// Masking turns a raw message into the token sequence the miner clusters:
// whitespace-separated tokens in which the variable parts are replaced by
// the wildcard <*>. It runs before clustering, so a value that is obviously
// variable (a number, an address, an id) never splits a pattern and never
// needs the similarity test to be recognised.
//
// What counts as variable, token by token:
//   - a path (/a/b, ./x, ~/x, C:\x), a URL (scheme://...), an e-mail address:
//     the whole token (brackets, quotes and trailing punctuation are kept);
//   - inside a token, split at the delimiters = : , ; ( ) [ ] { } < > " ' | @ # / \,
//     a piece that starts with a digit (or a sign and a digit), or holds two
//     or more digits: numbers, hex, UUIDs, IPv4 and IPv6 addresses (with
//     ports), sizes and durations with units (10MB, 250ms), dates, times,
//     block and request ids, host names with numbers;
//   - the value of key=value (up to the next , ; & or the closing quote of a
//     quoted value, which may contain spaces);
//   - a token longer than Config.MaxTokenLen.
//
// A token whose pieces are all variable collapses to a single <*>
// ("10.0.0.1:8080" -> "<*>", "[10.0.0.1]" -> "[<*>]"), so one value is one
// wildcard however many pieces it has.

const wildcard = "<*>"

// span is a token of the masked line: buf[start:end].
type span struct{ start, end int32 }

// tokenKind tells the similarity test how much a differing token weighs.
type tokenKind uint8

const (
	kindOther tokenKind = iota // punctuation, partly masked tokens, mixed forms
	kindWild                   // exactly <*>
	kindWord                   // a word: letters (and ' - _ . : , ;), maybe in brackets, nothing masked
	kindGen                    // templates only: <*> made by merging differing constants; matches anything
)

// byte classes
const (
	cSpace = 1 << iota
	cDigit
	cLetter
	cDelim // splits a token into pieces
	cOpen  // may lead a token: ( [ { < " '
	cClose // may end a token: ) ] } > " ' , ; : . !
	cHex
	// Bytes that gate the costlier tests: a token without any of them
	// cannot be what the test looks for, so it is not run.
	cEsc   // ESC: starts an ANSI sequence, ends a token
	cEq    // '=': key=value, key="quoted value"
	cWhole // : / \ @ : a path, URL, e-mail address or host:port holds one
	cColon // ':': an IPv6 or MAC address holds two
	cHigh  // a byte of a multi-byte UTF-8 sequence (or of invalid UTF-8)
	cDot   // '.': a dotted name (host, class, numbered file) holds one
	cNum   // a digit or '.': a token of these only may be a plain number
)

// class is the byte classes of every byte: tokens are classified from
// their bytes' classes, gathered as the tokeniser reads them.
var class [256]uint16

func init() {
	for _, c := range " \t\n\r\v\f\x00" {
		class[c] |= cSpace
	}
	for c := '0'; c <= '9'; c++ {
		class[c] |= cDigit | cHex
	}
	for c := 'a'; c <= 'z'; c++ {
		class[c] |= cLetter
		class[c-'a'+'A'] |= cLetter
	}
	for c := 'a'; c <= 'f'; c++ {
		class[c] |= cHex
		class[c-'a'+'A'] |= cHex
	}
	for c := 0x80; c < 0x100; c++ {
		class[c] |= cLetter | cHigh // UTF-8 bytes: part of a word
	}
	class[0x1b] |= cEsc
	class['='] |= cEq
	for _, c := range ":/\\@" {
		class[c] |= cWhole
	}
	class[':'] |= cColon
	class['.'] |= cDot | cNum
	for c := '0'; c <= '9'; c++ {
		class[c] |= cNum
	}
	for _, c := range "=:,;()[]{}<>\"'|@#/\\" {
		class[c] |= cDelim
	}
	for _, c := range "([{<\"'" {
		class[c] |= cOpen
	}
	for _, c := range ")]}>\"',;:.!?" {
		class[c] |= cClose
	}
	// Other control characters separate tokens like white space does.
	for c := 1; c < 0x20; c++ {
		if c != 0x1b {
			class[c] |= cSpace
		}
	}
}

// masker holds the scratch space of one masking pass; it is reused line
// after line so masking allocates nothing.
type masker struct {
	maxTokens   int
	maxTokenLen int
	buf         []byte
	alt         []byte
	toks        []span
	kinds       []tokenKind
	// high reports that the last line masked may hold multi-byte UTF-8
	// (or invalid bytes): only then does the miner check it is valid.
	high bool
}

// mask fills m.buf, m.toks and m.kinds with the masked tokens of msg,
// separated by single spaces in buf.
func (m *masker) mask(msg string) {
	m.buf = m.buf[:0]
	m.toks = m.toks[:0]
	m.kinds = m.kinds[:0]
	m.high = false
	i, n := 0, len(msg)
	for i < n {
		c := msg[i]
		if c == 0x1b { // ANSI escape sequence: drop it
			i = skipANSI(msg, i)
			m.high = true // its bytes are not read below: let the caller check them
			continue
		}
		if class[c]&cSpace != 0 {
			i++
			continue
		}
		// Read the token, gathering its bytes' classes: any (or) and all (and).
		j := i
		var or, and uint16 = 0, 0xffff
		for j < n {
			cl := class[msg[j]]
			if cl&(cSpace|cEsc) != 0 {
				break
			}
			or |= cl
			and &= cl
			j++
		}
		if or&cEq != 0 {
			// key="quoted value with spaces": extend the token to the closing quote.
			if e := extendQuoted(msg, i, j); e != j {
				j = e
				or, and = classes(msg[i:j])
			}
		}
		if or&cHigh != 0 {
			m.high = true
		}
		if len(m.toks) == m.maxTokens-1 && j < n && hasMore(msg, j) {
			// Too many tokens: the rest of the line is one variable tail.
			m.emit(wildcard, kindWild)
			return
		}
		m.token(msg[i:j], or, and)
		i = j
	}
	m.contextual()
}

// classes returns the classes of t's bytes: those any byte has, and those
// every byte has.
func classes(t string) (or, and uint16) {
	and = 0xffff
	for i := 0; i < len(t); i++ {
		cl := class[t[i]]
		or |= cl
		and &= cl
	}
	return or, and
}

// contextual reclassifies tokens by their neighbours once the line is
// tokenised: a month or weekday name next to a masked number is part of a
// date and is masked too ("Sat Jun 18 02:08:10 2005"); a unit after a
// masked number ("5.2 KB", "340 ms") is not a plain word, so two lines
// whose units differ still fall in one pattern.
func (m *masker) contextual() {
	dates := false
	for i, k := range m.kinds {
		if k != kindWord {
			continue
		}
		prevWild := i > 0 && m.kinds[i-1] == kindWild
		if !prevWild && (i+1 >= len(m.kinds) || m.kinds[i+1] != kindWild) {
			continue
		}
		t := m.buf[m.toks[i].start:m.toks[i].end]
		if dateWord(t) {
			dates = true
		} else if prevWild && unitWord(t) {
			m.kinds[i] = kindOther
		}
	}
	if dates {
		m.maskDates()
	}
}

// maskDates masks month and weekday names that touch a masked token,
// repeatedly, so a name next to a masked name is masked too.
func (m *masker) maskDates() {
	changed := false
	for pass := 0; pass < 3; pass++ {
		more := false
		for i, k := range m.kinds {
			if k != kindWord {
				continue
			}
			near := i > 0 && m.kinds[i-1] == kindWild || i+1 < len(m.kinds) && m.kinds[i+1] == kindWild
			if near && dateWord(m.buf[m.toks[i].start:m.toks[i].end]) {
				m.kinds[i] = kindWild
				more, changed = true, true
			}
		}
		if !more {
			break
		}
	}
	if !changed {
		return
	}
	// Rewrite the buffer with the masked names.
	m.alt = m.alt[:0]
	for i, s := range m.toks {
		if i > 0 {
			m.alt = append(m.alt, ' ')
		}
		start := len(m.alt)
		if m.kinds[i] == kindWild {
			m.alt = append(m.alt, wildcard...)
		} else {
			m.alt = append(m.alt, m.buf[s.start:s.end]...)
		}
		m.toks[i] = span{int32(start), int32(len(m.alt))}
	}
	m.buf, m.alt = m.alt, m.buf
}

// dateWord reports whether t is a month or weekday name, full or short
// (any case, closing punctuation dropped). A switch on the lowered word
// is a few comparisons, and allocates nothing.
func dateWord(t []byte) bool {
	var buf [9]byte
	w, ok := lowerWord(buf[:], t)
	if !ok || len(w) < 3 {
		return false
	}
	switch string(w) {
	case "january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december",
		"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
		"jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
		"mon", "tue", "tues", "wed", "thu", "thur", "thurs", "fri", "sat", "sun":
		return true
	}
	return false
}

// unitWord reports whether t is a unit of size or time (KB, bytes, ms,
// sec, %...), in any case, closing punctuation dropped.
func unitWord(t []byte) bool {
	var buf [5]byte
	w, ok := lowerWord(buf[:], t)
	if !ok || len(w) == 0 {
		return false
	}
	switch string(w) {
	case "b", "kb", "mb", "gb", "tb", "pb", "kib", "mib", "gib", "tib", "bytes", "byte",
		"ns", "us", "µs", "ms", "s", "sec", "secs", "m", "min", "mins", "h", "hr", "hrs",
		"%", "k", "g":
		return true
	}
	return false
}

// lowerWord drops the closing punctuation at the end of token t and writes
// the rest into buf with ASCII letters lowercased, for map lookups that do
// not allocate. It returns false when the rest is longer than buf.
func lowerWord(buf, t []byte) ([]byte, bool) {
	for len(t) > 0 && class[t[len(t)-1]]&cClose != 0 {
		t = t[:len(t)-1]
	}
	if len(t) > len(buf) {
		return nil, false
	}
	buf = buf[:len(t)]
	for i, c := range t {
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		buf[i] = c
	}
	return buf, true
}

func hasMore(msg string, j int) bool {
	for ; j < len(msg); j++ {
		if class[msg[j]]&cSpace == 0 {
			return true
		}
	}
	return false
}

func skipANSI(s string, i int) int {
	i++ // ESC
	if i < len(s) && s[i] == '[' {
		i++
		limit := i + 64
		for i < len(s) && i < limit && (s[i] < 0x40 || s[i] > 0x7e) {
			i++
		}
		if i < len(s) {
			i++ // final byte
		}
		return i
	}
	if i < len(s) {
		i++
	}
	return i
}

// extendQuoted extends the token s[i:j] when it holds key=" or key=' whose
// quote closes after white space: a short quoted value (up to two words,
// within 128 bytes) is one variable. A longer one is a sentence, whose
// words are tokens of their own.
func extendQuoted(s string, i, j int) int {
	for k := i; k+1 < j; k++ {
		if s[k] == '=' && (s[k+1] == '"' || s[k+1] == '\'') {
			q := s[k+1]
			for x := k + 2; x < j; x++ {
				if s[x] == q {
					return j // closed inside the token
				}
			}
			spaces := 0
			for x := j; x < len(s) && x < j+128; x++ {
				switch {
				case s[x] == q:
					e := x + 1
					for e < len(s) && class[s[e]]&cSpace == 0 {
						e++
					}
					return e
				case class[s[x]]&cSpace != 0 && (x == j || class[s[x-1]]&cSpace == 0):
					spaces++
					if spaces > 1 {
						return j
					}
				}
			}
			return j
		}
	}
	return j
}

func (m *masker) emit(tok string, k tokenKind) {
	if len(m.buf) > 0 {
		m.buf = append(m.buf, ' ')
	}
	start := len(m.buf)
	m.buf = append(m.buf, tok...)
	m.toks = append(m.toks, span{int32(start), int32(len(m.buf))})
	m.kinds = append(m.kinds, k)
}

// token masks one raw token, whose bytes' classes are or (any) and and
// (all), and appends it.
func (m *masker) token(t string, or, and uint16) {
	if len(m.buf) > 0 {
		m.buf = append(m.buf, ' ')
	}
	start := len(m.buf)
	k := m.maskToken(t, or, and)
	m.toks = append(m.toks, span{int32(start), int32(len(m.buf))})
	m.kinds = append(m.kinds, k)
}

func (m *masker) maskToken(t string, or, and uint16) tokenKind {
	if len(t) > m.maxTokenLen {
		m.buf = append(m.buf, wildcard...)
		return kindWild
	}
	// Fast path: a plain word.
	if and&cLetter != 0 {
		if valueWord(t) {
			m.buf = append(m.buf, wildcard...)
			return kindWild
		}
		m.buf = append(m.buf, t...)
		return kindWord
	}
	// Fast path: a number, an IPv4 address, a version (digits and dots,
	// starting and ending with a digit) is one value, as the rules below
	// would find.
	if and&cNum != 0 && class[t[0]]&cDigit != 0 && class[t[len(t)-1]]&cDigit != 0 {
		m.buf = append(m.buf, wildcard...)
		return kindWild
	}
	// Split off leading openers and trailing closers.
	a, b := 0, len(t)
	for a < b && class[t[a]]&cOpen != 0 {
		a++
	}
	for b > a && class[t[b-1]]&cClose != 0 {
		b--
	}
	// Keep the closing quote of key="value" inside the core.
	if b < len(t) && (t[b] == '"' || t[b] == '\'') && strings.Count(t[a:b], t[b:b+1])%2 == 1 {
		b++
	}
	lead, core, trail := t[:a], t[a:b], t[b:]
	if core == "" {
		m.buf = append(m.buf, t...)
		return kindOther
	}
	if or&cColon != 0 && or&cDigit != 0 && ipv6ish(t) {
		m.buf = append(m.buf, wildcard...)
		return kindWild
	}
	if or&cWhole != 0 && wholeVariable(core) {
		m.buf = append(m.buf, lead...)
		m.buf = append(m.buf, wildcard...)
		m.buf = append(m.buf, trail...)
		if lead == "" && trail == "" {
			return kindWild
		}
		return kindOther
	}
	m.buf = append(m.buf, lead...)
	coreStart := len(m.buf)
	letters, masked := m.maskPieces(core)
	if masked && !letters {
		m.buf = append(m.buf[:coreStart], wildcard...)
	}
	m.buf = append(m.buf, trail...)
	if lead == "" && trail == "" && masked && !letters {
		return kindWild
	}
	if !masked && isWordish(core) {
		return kindWord
	}
	return kindOther
}

// isWordish reports whether t is a word with inner or trailing punctuation
// ("don't", "start-up", "done.", "Service:").
func isWordish(t string) bool {
	letters := 0
	for i := 0; i < len(t); i++ {
		c := t[i]
		switch {
		case class[c]&cLetter != 0:
			letters++
		case class[c]&cDigit != 0, c == '-' || c == '_' || c == '\'' || c == '.' || c == ':' || c == ',' || c == ';' || c == '!' || c == '?':
		default:
			return false
		}
	}
	return letters > 0
}

// maskPieces appends core with its variable pieces masked. It reports
// whether any constant letters remain and whether anything was masked.
func (m *masker) maskPieces(core string) (letters, masked bool) {
	i, n := 0, len(core)
	for i < n {
		c := core[i]
		if class[c]&cDelim != 0 {
			m.buf = append(m.buf, c)
			i++
			if c == '=' && i < n {
				// key=value: the value is variable up to , ; & or its closing quote.
				j := i
				if q := core[j]; q == '"' || q == '\'' {
					j++
					for j < n && core[j] != q {
						j++
					}
					if j == n {
						continue // an unclosed quote opens a sentence, not a value
					}
					j++
				} else {
					for j < n && core[j] != ',' && core[j] != ';' && core[j] != '&' {
						j++
					}
					if plainWord(core[i:j]) {
						// A word value (tty=ssh, mode=auto) may well be
						// constant: it stays, and becomes <*> in a template
						// only where lines differ there.
						continue
					}
				}
				if j > i {
					m.buf = append(m.buf, wildcard...)
					masked = true
					i = j
				}
			}
			continue
		}
		j := i
		digits, lets, dots := 0, 0, 0
		for j < n && class[core[j]]&cDelim == 0 {
			switch cl := class[core[j]]; {
			case cl&cDigit != 0:
				digits++
			case cl&cLetter != 0:
				lets++
			case cl&cDot != 0:
				dots++
			}
			j++
		}
		piece := core[i:j]
		if digits > 0 && lets > 0 && (dots > 0 && m.numberedName(piece) || digits == 1 && m.numberedInstance(piece)) {
			letters, masked = true, true
		} else if variablePiece(piece, digits, dots) {
			m.buf = append(m.buf, wildcard...)
			masked = true
		} else {
			m.buf = append(m.buf, piece...)
			if lets > 0 {
				letters = true
			}
		}
		i = j
	}
	return letters, masked
}

// valueWord reports whether p is a literal value: true, false, null, nil
// (any case). They fill a slot ("ret:false") like a number does.
func valueWord(p string) bool {
	if len(p) < 3 || len(p) > 5 {
		return false
	}
	if c := p[0] | 0x20; c != 't' && c != 'f' && c != 'n' {
		return false
	}
	var low [5]byte
	for i := 0; i < len(p); i++ {
		low[i] = p[i] | 0x20
	}
	switch string(low[:len(p)]) {
	case "true", "false", "null", "nil":
		return true
	}
	return false
}

// dotted reports whether p is a dotted name of three or more parts: a
// host name, a Java package or class, a property key
// (com.example.app.Main, android.intent.action.MAIN, db-3.prod.example).
func dotted(p string) bool {
	dots := 0
	prev := byte('.')
	for i := 0; i < len(p); i++ {
		c := p[i]
		if c == '.' {
			if prev == '.' {
				return false
			}
			dots++
		} else if class[c]&(cLetter|cDigit) == 0 && c != '_' && c != '-' && c != '$' {
			return false
		}
		prev = c
	}
	return dots >= 2 && prev != '.'
}

// variablePiece: a piece that starts with a digit (or sign+digit, or
// "0x"), that holds two or more digits, or a hex identifier; without
// digits, a literal value or a dotted name. digits and dots count the
// piece's digits and dots (read by the caller already).
func variablePiece(p string, digits, dots int) bool {
	if digits == 0 {
		return valueWord(p) || dots >= 2 && dotted(p)
	}
	if digits >= 2 || hexID(p) {
		return true
	}
	c := p[0]
	if c == '-' || c == '+' || c == '.' {
		if len(p) > 1 {
			c = p[1]
		}
	}
	return class[c]&cDigit != 0
}

// ipv6ish reports whether s is an IPv6 address (or a MAC address),
// maybe bracketed and with a port: hex digits, at least two colons, a
// digit, and nothing else but . [ ] %.
func ipv6ish(s string) bool {
	colons, digits := 0, 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ':':
			colons++
		case class[c]&cDigit != 0:
			digits++
		case class[c]&cHex != 0, c == '.', c == '[', c == ']', c == '%':
		default:
			return false
		}
	}
	return colons >= 2 && digits > 0
}

// wholeVariable reports whether core is a path, a URL, an e-mail address
// or a host name with a port.
func wholeVariable(s string) bool {
	if hostPort(s) {
		return true
	}
	switch {
	case len(s) > 1 && s[0] == '/' && s[1] != '/':
		return true
	case len(s) > 2 && (s[0] == '.' || s[0] == '~') && (s[1] == '/' || (s[1] == '.' && s[2] == '/')):
		return true
	case len(s) > 3 && class[s[0]]&cLetter != 0 && s[1] == ':' && s[2] == '\\':
		return true
	}
	// URL: scheme://
	for i := 0; i+2 < len(s) && i < 16; i++ {
		c := s[i]
		if c == ':' {
			if i > 0 && s[i+1] == '/' && s[i+2] == '/' {
				return true
			}
			break
		}
		if class[c]&(cLetter|cDigit) == 0 && c != '+' && c != '-' && c != '.' {
			break
		}
	}
	// e-mail: local@domain.tld with letters on both sides.
	at := -1
	for i := 0; i < len(s); i++ {
		if s[i] == '@' {
			if at >= 0 {
				return false
			}
			at = i
		}
	}
	if at > 0 && at < len(s)-3 {
		for i := 0; i < at; i++ {
			if c := s[i]; class[c]&(cLetter|cDigit) == 0 && !strings.ContainsRune("._%+-", rune(c)) {
				return false // from=<bob@x.org: a key and a bracket, not an address
			}
		}
		dot := false
		for i := at + 1; i < len(s); i++ {
			c := s[i]
			if c == '.' && i > at+1 && i < len(s)-1 {
				dot = true
				continue
			}
			if class[c]&(cLetter|cDigit) == 0 && c != '-' {
				return false
			}
		}
		return dot && class[s[0]]&(cLetter|cDigit) != 0
	}
	return false
}

// hostPort reports whether s is name:port with a dot in a lower-case
// name and a port of up to five digits (gw.lan:8080, db-1.internal:5432): a host name of
// two parts, which dotted does not take alone, is a value when a port
// follows it.
func hostPort(s string) bool {
	c := strings.LastIndexByte(s, ':')
	if c <= 0 || c == len(s)-1 || c > 253 || len(s)-c > 6 {
		return false
	}
	for i := c + 1; i < len(s); i++ {
		if class[s[i]]&cDigit == 0 {
			return false
		}
	}
	dot := false
	for i := 0; i < c; i++ {
		switch ch := s[i]; {
		case ch == '.':
			if i == 0 || s[i-1] == '.' {
				return false
			}
			dot = true
		case ch >= 'A' && ch <= 'Z':
			return false // obj.fieldName:3 is a field, not a host
		case class[ch]&(cLetter|cDigit) != 0, ch == '-', ch == '_':
		default:
			return false
		}
	}
	return dot && s[c-1] != '.'
}

// hexID reports whether p is a hexadecimal identifier of six or more
// digits (a queue id, a short hash, a pointer): only hex digits, at least
// one of them a decimal digit.
func hexID(p string) bool {
	if len(p) < 6 {
		return false
	}
	for i := 0; i < len(p); i++ {
		if class[p[i]]&cHex == 0 {
			return false
		}
	}
	return true
}

// plainWord reports whether v is letters only (and _ or -), starting with
// a letter: no digit, no dot, not a literal value such as true or null.
func plainWord(v string) bool {
	if v == "" || class[v[0]]&cLetter == 0 || valueWord(v) {
		return false
	}
	for i := 0; i < len(v); i++ {
		if class[v[i]]&cLetter == 0 && v[i] != '_' && v[i] != '-' {
			return false
		}
	}
	return true
}

// numberedName appends p with its numeric dot-separated parts masked when
// p is a name with a number after a dot (core.6161 -> core.<*>,
// session.42.log -> session.<*>.log): a word, then dots, some parts all
// digits. It reports false, appending nothing, for anything else.
func (m *masker) numberedName(p string) bool {
	if class[p[0]]&cLetter == 0 || strings.IndexByte(p, '.') < 0 {
		return false
	}
	numeric := 0
	for rest := p; ; {
		part, next, more := strings.Cut(rest, ".")
		if part == "" {
			return false
		}
		if class[part[0]]&cDigit != 0 {
			for k := 0; k < len(part); k++ {
				if class[part[k]]&cDigit == 0 {
					return false
				}
			}
			numeric++
		} else if !plainWord(part) {
			return false
		}
		if !more {
			break
		}
		rest = next
	}
	if numeric == 0 {
		return false
	}
	for k := 0; k < len(p); {
		e := k
		for e < len(p) && p[e] != '.' {
			e++
		}
		if class[p[k]]&cDigit != 0 {
			m.buf = append(m.buf, wildcard...)
		} else {
			m.buf = append(m.buf, p[k:e]...)
		}
		if e < len(p) {
			m.buf = append(m.buf, '.')
		}
		k = e + 1
	}
	return true
}

// numberedInstance appends p with its trailing number masked when p is a
// name, a - or _, then a digit (worker-3, HikariPool-1, broadcast_0 ->
// worker-<*>, ...): one of several numbered instances (longer numbers
// make the whole piece a variable already). A number glued to
// letters (eth0, ssh2, x86) is part of a name and stays. It reports
// false, appending nothing, for anything else.
func (m *masker) numberedInstance(p string) bool {
	e := len(p)
	for e > 0 && class[p[e-1]]&cDigit != 0 {
		e--
	}
	if e == len(p) || e < 2 || (p[e-1] != '-' && p[e-1] != '_') || class[p[0]]&cLetter == 0 {
		return false
	}
	for i := 0; i < e-1; i++ {
		if class[p[i]]&cDigit != 0 {
			return false
		}
	}
	m.buf = append(m.buf, p[:e]...)
	m.buf = append(m.buf, wildcard...)
	return true
}
