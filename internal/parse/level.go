package parse

import "github.com/cloudsage/cloudsage"

// levelWord returns the level a word names, in any case ("WARN", "Warning",
// "err"), or false. Single letters are not words; see levelLetter. A switch
// on the lowered word is a few comparisons, and allocates nothing.
func levelWord(w string) (cloudsage.Level, bool) {
	if len(w) < 3 || len(w) > 13 {
		return cloudsage.LevelUnknown, false
	}
	var buf [13]byte
	switch string(lowerASCII(buf[:], w)) {
	case "trace", "trc", "finest", "finer", "verbose", "vrb":
		return cloudsage.LevelTrace, true
	case "debug", "dbg", "debg", "fine", "config":
		return cloudsage.LevelDebug, true
	case "info", "inf", "information", "informational", "notice", "note", "log", "statement":
		return cloudsage.LevelInfo, true
	case "warn", "warning", "wrn", "wrng":
		return cloudsage.LevelWarn, true
	case "error", "err", "eror", "erro", "severe", "dpanic", "failure":
		return cloudsage.LevelError, true
	case "crit", "critical", "fatal", "ftl", "panic", "alert", "emerg", "emergency":
		return cloudsage.LevelFatal, true
	}
	return cloudsage.LevelUnknown, false
}

// levelValue reads the value of a level field: a word, a single letter, or
// a number (pino/bunyan 10..60, syslog 0..7).
func levelValue(v string) (cloudsage.Level, bool) {
	if l, ok := levelWord(v); ok {
		return l, true
	}
	if len(v) == 1 && v[0] >= 'A' && v[0] <= 'Z' {
		return levelLetter(v[0])
	}
	return numericLevelString(v)
}

// levelLetter maps the one-letter levels of Android logcat, glog and Rails
// (V D I W E F) to levels.
func levelLetter(c byte) (cloudsage.Level, bool) {
	switch c {
	case 'V', 'T':
		return cloudsage.LevelTrace, true
	case 'D':
		return cloudsage.LevelDebug, true
	case 'I':
		return cloudsage.LevelInfo, true
	case 'W':
		return cloudsage.LevelWarn, true
	case 'E':
		return cloudsage.LevelError, true
	case 'F':
		return cloudsage.LevelFatal, true
	}
	return cloudsage.LevelUnknown, false
}

// numericLevel maps a number to a level: pino/bunyan levels 10..60 and syslog
// severities 0..7.
func numericLevel(n int) (cloudsage.Level, bool) {
	switch {
	case n < 0:
		return cloudsage.LevelUnknown, false
	case n <= 7:
		return syslogSeverity(n), true
	case n >= 10 && n <= 19:
		return cloudsage.LevelTrace, true
	case n >= 20 && n <= 29:
		return cloudsage.LevelDebug, true
	case n >= 30 && n <= 39:
		return cloudsage.LevelInfo, true
	case n >= 40 && n <= 49:
		return cloudsage.LevelWarn, true
	case n >= 50 && n <= 59:
		return cloudsage.LevelError, true
	case n >= 60 && n <= 69:
		return cloudsage.LevelFatal, true
	}
	return cloudsage.LevelUnknown, false
}

func numericLevelString(s string) (cloudsage.Level, bool) {
	if len(s) == 0 || len(s) > 2 {
		return cloudsage.LevelUnknown, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return cloudsage.LevelUnknown, false
		}
		n = n*10 + int(s[i]-'0')
	}
	return numericLevel(n)
}

// syslogSeverity maps an RFC 5424 severity (0 emergency .. 7 debug).
func syslogSeverity(sev int) cloudsage.Level {
	switch sev {
	case 0, 1, 2:
		return cloudsage.LevelFatal
	case 3:
		return cloudsage.LevelError
	case 4:
		return cloudsage.LevelWarn
	case 5, 6:
		return cloudsage.LevelInfo
	default:
		return cloudsage.LevelDebug
	}
}

// keywordOf returns the level a keyword says, for the words that, in a
// line with no explicit level, say how bad it is (w lowercase), or false.
func keywordOf(w string) (cloudsage.Level, bool) {
	switch w {
	case "error", "errors", "exception", "traceback", "severe", "critical":
		return cloudsage.LevelError, true
	case "fatal", "panic":
		return cloudsage.LevelFatal, true
	case "warning", "warn", "failed", "failure", "timeout", "refused", "denied", "unable":
		return cloudsage.LevelWarn, true
	}
	return cloudsage.LevelUnknown, false
}

// keywordLevel infers a level from the words of a message that carries no
// explicit one: the most severe keyword wins; none gives LevelUnknown.
func keywordLevel(msg string) cloudsage.Level {
	best := cloudsage.LevelUnknown
	n := len(msg)
	if n > 1024 {
		n = 1024
	}
	for i := 0; i < n; {
		c := msg[i] | 0x20
		if c < 'a' || c > 'z' {
			i++
			continue
		}
		j := i + 1
		for j < n && isLetter(msg[j]) {
			j++
		}
		if (c == 'e' || c == 'f' || c == 'p' || c == 'w' || c == 't' || c == 'r' || c == 'd' || c == 'u' || c == 's' || c == 'c') && j-i >= 4 && j-i <= 9 {
			var buf [9]byte
			if l, ok := keywordOf(string(lowerASCII(buf[:], msg[i:j]))); ok && l > best {
				best = l
			}
		}
		i = j
	}
	return best
}

func isLetter(c byte) bool { return (c|0x20) >= 'a' && (c|0x20) <= 'z' }

// lowerASCII writes s into buf with ASCII letters lowercased and returns
// that part of buf, for map lookups that do not allocate. s must fit in buf.
func lowerASCII(buf []byte, s string) []byte {
	buf = buf[:len(s)]
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		buf[i] = c
	}
	return buf
}
