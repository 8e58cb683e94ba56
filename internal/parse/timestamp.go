package parse

import (
	"time"
)

// Timestamp parsing is hand-written: each shape is recognised by its first
// bytes and read digit by digit, so no regexp and no allocation is on the
// hot path. Times without a zone are taken as UTC; times with an offset are
// converted to UTC.

// parseTime reads a timestamp at the start of s and returns it with the
// number of bytes it used. ref supplies the year (and date) for shapes that
// lack it (syslog "Jan _2 15:04:05", Android "01-02 15:04:05.000", a bare
// "15:04:05"); see inferYear.
func parseTime(s string, ref refTime) (time.Time, int, bool) {
	if len(s) < 8 {
		return time.Time{}, 0, false
	}
	switch c := s[0]; {
	case c >= '0' && c <= '9':
		return parseNumericTime(s, ref)
	case c >= 'A' && c <= 'Z':
		return parseNamedTime(s, ref)
	case c == '[':
		t, n, ok := parseTime(s[1:], ref)
		if ok && 1+n < len(s) && s[1+n] == ']' {
			return t, n + 2, true
		}
	}
	return time.Time{}, 0, false
}

// parseTimeValue parses a whole string (a JSON or logfmt value) as a time:
// any shape parseTime knows, or epoch seconds/ms/µs/ns.
func parseTimeValue(s string, ref refTime) (time.Time, bool) {
	if s == "" {
		return time.Time{}, false
	}
	if s[0] >= '0' && s[0] <= '9' || s[0] == '-' {
		if t, ok := epochString(s, false); ok {
			return t, true
		}
	}
	t, n, ok := parseTime(s, ref)
	if !ok {
		return time.Time{}, false
	}
	if n == len(s) {
		return t, true
	}
	// a trailing zone name (" CEST") is tolerated, though not applied
	if s[n] != ' ' {
		return time.Time{}, false
	}
	rest := trimBlankLeft(s[n:])
	return t, rest != "" && len(rest) <= 5 && noLower(rest) && isWord(rest)
}

func digitsAt(s string, i, n int) (int, bool) {
	if i < 0 || i+n > len(s) {
		return 0, false
	}
	v := 0
	for k := i; k < i+n; k++ {
		c := s[k]
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int(c-'0')
	}
	return v, true
}

func countDigits(s string, i int) int {
	j := i
	for j < len(s) && s[j] >= '0' && s[j] <= '9' {
		j++
	}
	return j - i
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isAlnum(c byte) bool { return isDigit(c) || isLetter(c) }

// clock reads "hh:mm:ss" (sep may be '.' for BGL) with an optional fraction
// and returns hour, minute, second, nanoseconds and the bytes used.
func clock(s string, i int, sep byte) (h, m, sec, ns, n int, ok bool) {
	start := i
	h, ok1 := digitsAt(s, i, 2)
	if !ok1 || i+2 >= len(s) || s[i+2] != sep {
		if sep == ':' && !ok1 && i+1 < len(s) && isDigit(s[i]) && s[i+1] == ':' {
			// single-digit hour "9:04:05"
			h = int(s[i] - '0')
			i--
		} else {
			return
		}
	}
	m, ok2 := digitsAt(s, i+3, 2)
	if !ok2 || h > 24 || m > 59 {
		return 0, 0, 0, 0, 0, false
	}
	j := i + 5
	if j < len(s) && s[j] == sep {
		sec, ok2 = digitsAt(s, j+1, 2)
		if !ok2 || sec > 60 {
			return 0, 0, 0, 0, 0, false
		}
		if sec == 60 {
			sec = 59
		}
		j += 3
	}
	// fraction: . or , followed by digits
	if j+1 < len(s) && (s[j] == '.' || s[j] == ',' || (s[j] == ':' && sep == ':' && countDigits(s, j+1) == 3)) && isDigit(s[j+1]) {
		k := j + 1
		scale := 100000000
		for k < len(s) && isDigit(s[k]) {
			if scale > 0 {
				ns += int(s[k]-'0') * scale
				scale /= 10
			}
			k++
			if k-j > 12 {
				break
			}
		}
		j = k
	}
	if h == 24 {
		h = 0
	}
	return h, m, sec, ns, j - start, true
}

// zone reads an optional zone at s[i:]: Z, ±hh:mm, ±hhmm, ±hh, or " UTC"/" GMT".
// It returns the offset in seconds east of UTC and the bytes used.
func zone(s string, i int) (off, n int) {
	if i >= len(s) {
		return 0, 0
	}
	switch s[i] {
	case 'Z':
		if i+1 == len(s) || !isAlnum(s[i+1]) {
			return 0, 1
		}
	case '+', '-':
		hh, ok := digitsAt(s, i+1, 2)
		if !ok || hh > 14 {
			return 0, 0
		}
		j := i + 3
		mm := 0
		if j < len(s) && s[j] == ':' {
			if v, ok := digitsAt(s, j+1, 2); ok {
				mm, j = v, j+3
			}
		} else if v, ok := digitsAt(s, j, 2); ok {
			mm, j = v, j+2
		}
		if j < len(s) && isDigit(s[j]) {
			return 0, 0
		}
		off = hh*3600 + mm*60
		if s[i] == '-' {
			off = -off
		}
		return off, j - i
	case ' ':
		if i+4 <= len(s) && (s[i+1:i+4] == "UTC" || s[i+1:i+4] == "GMT") && (i+4 == len(s) || !isAlnum(s[i+4])) {
			return 0, 4
		}
		if i+2 < len(s) && (s[i+1] == '+' || s[i+1] == '-') && countDigits(s, i+2) == 4 {
			off, n := zone(s, i+1)
			if n > 0 {
				return off, n + 1
			}
		}
	}
	return 0, 0
}

func mkTime(y, mo, d, h, m, sec, ns, off int) (time.Time, bool) {
	if y < 1970 || y > 2999 || mo < 1 || mo > 12 || d < 1 || d > 31 {
		return time.Time{}, false
	}
	// What time.Date(y, mo, d, h, m, sec, ns, time.UTC) gives, less its
	// normalisation and zone look-up: the civil date is valid here, and
	// the clock fields add up linearly as Date would normalise them.
	days := daysFromCivil(y, mo, d)
	unix := days*86400 + int64(h)*3600 + int64(m)*60 + int64(sec) - int64(off)
	return time.Unix(unix, int64(ns)).UTC(), true
}

// daysFromCivil returns the days from 1970-01-01 to y-mo-d (proleptic
// Gregorian, y >= 0; a day past the month's end runs into the next month,
// as time.Date normalises it).
func daysFromCivil(y, mo, d int) int64 {
	if mo <= 2 {
		y--
	}
	era := y / 400
	yoe := y - era*400
	mp := (mo + 9) % 12 // March is 0
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return int64(era)*146097 + int64(doe) - 719468
}

func year2(yy int) int {
	if yy < 70 {
		return 2000 + yy
	}
	return 1900 + yy
}

func parseNumericTime(s string, ref refTime) (time.Time, int, bool) {
	nd := countDigits(s, 0)
	switch {
	case nd == 4 && len(s) >= 10 && (s[4] == '-' || s[4] == '/' || s[4] == '.'):
		return isoLike(s, ref)
	case nd == 2 && len(s) > 8 && s[2] == '/':
		if isLetter(s[3]) {
			return apacheTime(s)
		}
		if countDigits(s, 3) == 2 && s[5] == '/' {
			if countDigits(s, 6) == 4 { // 01/02/2006 15:04:05 (US)
				mo, _ := digitsAt(s, 0, 2)
				d, _ := digitsAt(s, 3, 2)
				y, _ := digitsAt(s, 6, 4)
				return dateClock(s, 10, y, mo, d)
			}
			if countDigits(s, 6) == 2 { // 17/06/09 20:10:40 (Spark, yy/mm/dd)
				yy, _ := digitsAt(s, 0, 2)
				mo, _ := digitsAt(s, 3, 2)
				d, _ := digitsAt(s, 6, 2)
				return dateClock(s, 8, year2(yy), mo, d)
			}
		}
	case nd == 2 && len(s) > 8 && s[2] == '-':
		if isLetter(s[3]) { // 02-Jan-2006 15:04:05.000 (Tomcat)
			mo := monthIndex(s, 3)
			if mo == 0 || len(s) < 11 || s[6] != '-' || countDigits(s, 7) != 4 {
				return time.Time{}, 0, false
			}
			d, _ := digitsAt(s, 0, 2)
			y, _ := digitsAt(s, 7, 4)
			return dateClock(s, 11, y, mo, d)
		}
		if countDigits(s, 3) == 2 && len(s) > 6 && s[5] == ' ' { // 03-17 16:13:38.811 (Android)
			mo, _ := digitsAt(s, 0, 2)
			d, _ := digitsAt(s, 3, 2)
			h, m, sec, ns, n, ok := clock(s, 6, ':')
			if !ok {
				return time.Time{}, 0, false
			}
			y := inferYear(mo, d, h, ref)
			t, ok := mkTime(y, mo, d, h, m, sec, ns, 0)
			return t, 6 + n, ok
		}
	case nd == 2 && s[2] == ':': // 15:04:05.000: a time of day, date from ref
		h, m, sec, ns, n, ok := clock(s, 0, ':')
		if !ok || n < 8 || ref.t.IsZero() {
			return time.Time{}, 0, false
		}
		r := ref.t.UTC()
		t := time.Date(r.Year(), r.Month(), r.Day(), h, m, sec, ns, time.UTC)
		return t, n, true
	case nd == 6 && len(s) >= 13 && s[6] == ' ' && countDigits(s, 7) == 6 && (len(s) == 13 || !isAlnum(s[13])):
		// 081109 203615 (HDFS: yymmdd hhmmss)
		yy, _ := digitsAt(s, 0, 2)
		mo, _ := digitsAt(s, 2, 2)
		d, _ := digitsAt(s, 4, 2)
		h, _ := digitsAt(s, 7, 2)
		m, _ := digitsAt(s, 9, 2)
		sec, _ := digitsAt(s, 11, 2)
		if h > 23 || m > 59 || sec > 60 {
			return time.Time{}, 0, false
		}
		t, ok := mkTime(year2(yy), mo, d, h, m, min(sec, 59), 0, 0)
		return t, 13, ok
	case nd == 8 && len(s) > 9 && (s[8] == 'T' || s[8] == ' ') && countDigits(s, 9) >= 4:
		// 20060102T150405 or 20060102 15:04:05
		y, _ := digitsAt(s, 0, 4)
		mo, _ := digitsAt(s, 4, 2)
		d, _ := digitsAt(s, 6, 2)
		if countDigits(s, 9) == 6 {
			h, _ := digitsAt(s, 9, 2)
			m, _ := digitsAt(s, 11, 2)
			sec, _ := digitsAt(s, 13, 2)
			if h > 23 || m > 59 || sec > 59 {
				return time.Time{}, 0, false
			}
			off, zn := zone(s, 15)
			t, ok := mkTime(y, mo, d, h, m, sec, 0, off)
			return t, 15 + zn, ok
		}
	case nd >= 10 && nd <= 19:
		return epochPrefix(s, nd)
	}
	return time.Time{}, 0, false
}

// epochPrefix reads epoch seconds/ms/µs/ns (by magnitude) at the start of
// s. Only years 2000..2100 count, so an id or a counter is not a time.
func epochPrefix(s string, nd int) (time.Time, int, bool) {
	end := nd
	if nd == 10 && end+1 < len(s) && s[end] == '.' && isDigit(s[end+1]) {
		end++
		end += countDigits(s, end)
	}
	if end < len(s) && (isLetter(s[end]) || s[end] == '_' || s[end] == '-' || s[end] == ':' || s[end] == '.') {
		return time.Time{}, 0, false
	}
	t, ok := epochString(s[:end], true)
	return t, end, ok
}

// epochString parses an integer or decimal epoch value, choosing the unit by
// magnitude. With strict, only years 2000..2100 are accepted.
func epochString(s string, strict bool) (time.Time, bool) {
	neg := false
	if s != "" && s[0] == '-' {
		neg = true
		s = s[1:]
	}
	nd := countDigits(s, 0)
	if nd == 0 || nd > 19 {
		return time.Time{}, false
	}
	var ip int64
	for i := 0; i < nd; i++ {
		ip = ip*10 + int64(s[i]-'0')
	}
	var frac float64
	if nd < len(s) {
		if s[nd] != '.' {
			return time.Time{}, false
		}
		scale := 0.1
		for i := nd + 1; i < len(s); i++ {
			if !isDigit(s[i]) {
				return time.Time{}, false
			}
			frac += float64(s[i]-'0') * scale
			scale /= 10
		}
	}
	if neg {
		if strict || ip > 1e11 {
			return time.Time{}, false
		}
		ip, frac = -ip, -frac
	}
	return epochTime(ip, frac, strict)
}

// epochTime turns an epoch number into a time, choosing s/ms/µs/ns by magnitude.
func epochTime(ip int64, frac float64, strict bool) (time.Time, bool) {
	var t time.Time
	a := ip
	if a < 0 {
		a = -a
	}
	switch {
	case a < 1e11:
		t = time.Unix(ip, int64(frac*1e9))
	case a < 1e14:
		t = time.UnixMilli(ip).Add(time.Duration(frac * 1e6))
	case a < 1e17:
		t = time.UnixMicro(ip).Add(time.Duration(frac * 1e3))
	default:
		t = time.Unix(0, ip)
	}
	t = t.UTC()
	if strict && (t.Year() < 2000 || t.Year() > 2100) {
		return time.Time{}, false
	}
	return t, true
}

// isoLike reads 2006-01-02[T ]15:04:05[.frac][zone], 2006/01/02 15:04:05,
// 2006.01.02 15:04:05, and BGL's 2006-01-02-15.04.05.000000.
func isoLike(s string, ref refTime) (time.Time, int, bool) {
	sep := s[4]
	y, _ := digitsAt(s, 0, 4)
	mo, ok1 := digitsAt(s, 5, 2)
	d, ok2 := digitsAt(s, 8, 2)
	if !ok1 || !ok2 || s[7] != sep {
		return time.Time{}, 0, false
	}
	if len(s) < 12 {
		return time.Time{}, 0, false
	}
	switch s[10] {
	case 'T', ' ', '_':
		return dateClock(s, 10, y, mo, d)
	case '-':
		if sep == '-' { // BGL: 2005-06-03-15.42.50.675872
			h, m, sec, ns, n, ok := clock(s, 11, '.')
			if !ok {
				return time.Time{}, 0, false
			}
			t, ok := mkTime(y, mo, d, h, m, sec, ns, 0)
			return t, 11 + n, ok
		}
	}
	return time.Time{}, 0, false
}

// dateClock reads the clock after a date that ended at s[i] (a separator:
// 'T', ' ', ':' or '_'), then an optional zone.
func dateClock(s string, i, y, mo, d int) (time.Time, int, bool) {
	if i >= len(s) || (s[i] != 'T' && s[i] != ' ' && s[i] != ':' && s[i] != '_') {
		return time.Time{}, 0, false
	}
	h, m, sec, ns, n, ok := clock(s, i+1, ':')
	if !ok {
		return time.Time{}, 0, false
	}
	j := i + 1 + n
	off, zn := zone(s, j)
	t, ok := mkTime(y, mo, d, h, m, sec, ns, off)
	return t, j + zn, ok
}

var months = [12]string{"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"}

// monthIndex returns 1..12 for an English month abbreviation at s[i:], 0 otherwise.
func monthIndex(s string, i int) int {
	if i+3 > len(s) {
		return 0
	}
	a, b, c := s[i]|0x20, s[i+1]|0x20, s[i+2]|0x20
	for k, m := range months {
		if m[0] == a && m[1] == b && m[2] == c {
			return k + 1
		}
	}
	return 0
}

func isWeekday(s string, i int) bool {
	if i+3 > len(s) {
		return false
	}
	switch s[i : i+3] {
	case "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun":
		return true
	}
	return false
}

// parseNamedTime reads times that start with a month or weekday name:
// syslog "Jan _2 15:04:05" (year inferred), "Jan _2 15:04:05 2006",
// ANSI C / Apache error "Sun Dec 04 04:47:44 2005", and RFC 1123
// "Mon, 02 Jan 2006 15:04:05 MST".
func parseNamedTime(s string, ref refTime) (time.Time, int, bool) {
	i := 0
	if isWeekday(s, 0) {
		switch {
		case len(s) > 5 && s[3] == ',' && s[4] == ' ': // RFC 1123
			d, ok := digitsAt(s, 5, 2)
			mo := monthIndex(s, 8)
			y, ok2 := digitsAt(s, 12, 4)
			if !ok || !ok2 || mo == 0 || s[7] != ' ' || s[11] != ' ' {
				return time.Time{}, 0, false
			}
			return dateClock(s, 16, y, mo, d)
		case len(s) > 4 && s[3] == ' ':
			i = 4
		default:
			return time.Time{}, 0, false
		}
	}
	mo := monthIndex(s, i)
	if mo == 0 || i+3 >= len(s) {
		return time.Time{}, 0, false
	}
	j := i + 3
	if j < len(s) && isLetter(s[j]) { // full month name "January"
		for j < len(s) && isLetter(s[j]) {
			j++
		}
	}
	if j >= len(s) || s[j] != ' ' {
		return time.Time{}, 0, false
	}
	j++
	if j < len(s) && s[j] == ' ' {
		j++
	}
	nd := countDigits(s, j)
	if nd < 1 || nd > 2 {
		return time.Time{}, 0, false
	}
	d, _ := digitsAt(s, j, nd)
	j += nd
	if j < len(s) && s[j] == ',' { // "Jan 2, 2006 ..."
		j++
	}
	if j >= len(s) || s[j] != ' ' {
		return time.Time{}, 0, false
	}
	// "Jan 2 2006 15:04:05" or "Jan 2, 2006 ..."
	y := 0
	if countDigits(s, j+1) == 4 && j+5 < len(s) && s[j+5] == ' ' {
		y, _ = digitsAt(s, j+1, 4)
		j += 5
	}
	h, m, sec, ns, n, ok := clock(s, j+1, ':')
	if !ok || n < 8 {
		return time.Time{}, 0, false
	}
	j += 1 + n
	if y == 0 && j+5 <= len(s) && s[j] == ' ' && countDigits(s, j+1) == 4 && (j+5 == len(s) || !isAlnum(s[j+5])) {
		y, _ = digitsAt(s, j+1, 4)
		j += 5
	}
	off, zn := zone(s, j)
	j += zn
	if y == 0 && j+5 <= len(s) && s[j] == ' ' && countDigits(s, j+1) == 4 && (j+5 == len(s) || !isAlnum(s[j+5])) {
		y, _ = digitsAt(s, j+1, 4)
		j += 5
	}
	if y == 0 {
		y = inferYear(mo, d, h, ref)
	}
	t, ok := mkTime(y, mo, d, h, m, sec, ns, off)
	return t, j, ok
}

// apacheTime reads 02/Jan/2006:15:04:05 -0700.
func apacheTime(s string) (time.Time, int, bool) {
	d, ok := digitsAt(s, 0, 2)
	mo := monthIndex(s, 3)
	if !ok || mo == 0 || len(s) < 20 || s[6] != '/' {
		return time.Time{}, 0, false
	}
	y, ok := digitsAt(s, 7, 4)
	if !ok {
		return time.Time{}, 0, false
	}
	return dateClock(s, 11, y, mo, d)
}

// refTime is what dates without a year (or without a date) are read
// against: the previous line's time (logged) or the default time.
type refTime struct {
	t      time.Time
	logged bool // t came from an earlier line, not from SetDefaultTime
}

// inferYear picks the year for a date written without one: the year of the
// reference, moved back a year when that would put the date more than two
// months after it (never in the future by months), and forward when the log
// itself has crossed New Year (Dec 31 followed by Jan 1). Without any
// reference it is noYear.
func inferYear(mo, d, h int, ref refTime) int {
	if ref.t.IsZero() {
		return noYear
	}
	r := ref.t.UTC()
	y := r.Year()
	t := time.Date(y, time.Month(mo), d, h, 0, 0, 0, time.UTC)
	switch {
	case t.Sub(r) > 62*24*time.Hour:
		y--
	case ref.logged && r.Sub(t) > 300*24*time.Hour:
		y++
	}
	return y
}

// noYear is the year given to dates written without one when the parser has
// no reference time (no SetDefaultTime, no earlier dated line).
const noYear = 1970
