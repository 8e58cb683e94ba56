package parse

import (
	"strings"

	"github.com/cloudsage/cloudsage"
)

// Multi-line records: a stack trace is joined to the line that starts it.
// Push holds the latest event back; each new line is first checked against
// it here. Recognised: Java (and other JVM) traces ("\tat ...", "Caused by:",
// "... 12 more", "Suppressed:"), Python tracebacks (indented frames and the
// final "XError: msg" line), Go panics and goroutine dumps, Node stacks
// ("    at fn (file:line:col)").

type traceKind uint8

const (
	traceNone traceKind = iota
	traceJava
	tracePython
	tracePythonDone // after the final exception line: chains may follow
	traceGo
)

// startTrace notes whether the new pending event itself opens a trace.
func (p *Parser) startTrace(s string) {
	p.first = p.pend.Message
	t := trimBlankLeft(s)
	switch {
	// (a first-byte test before each long prefix: most lines start none)
	case t[0] == 'T' && strings.HasPrefix(t, "Traceback (most recent call last)"):
		p.trace = tracePython
	case strings.HasPrefix(p.pend.Message, "panic: ") || strings.HasPrefix(p.pend.Message, "fatal error: ") ||
		strings.HasPrefix(t, "goroutine ") && strings.HasSuffix(t, "]:"):
		p.trace = traceGo
		if !strings.HasPrefix(t, "goroutine ") && p.pend.Level < cloudsage.LevelFatal {
			p.pend.Level = cloudsage.LevelFatal
		}
	case isExceptionLine(t):
		p.trace = traceJava
	}
	if (p.trace == traceJava || p.trace == tracePython) && p.pend.Level < cloudsage.LevelError {
		p.pend.Level = cloudsage.LevelError
	}
}

// continues reports whether line s belongs to the pending event.
func (p *Parser) continues(s string) bool {
	c := s[0]
	if c == ' ' || c == '\t' {
		t := trimBlankLeft(s)
		switch {
		case strings.HasPrefix(t, "at ") && (p.trace != tracePython):
			p.setTrace(traceJava)
			return true
		case strings.HasPrefix(t, "... ") && strings.HasSuffix(t, " more"),
			strings.HasPrefix(t, "Caused by: "), strings.HasPrefix(t, "Suppressed: "):
			p.setTrace(traceJava)
			return true
		case strings.HasPrefix(t, "File \"") && strings.Contains(t, "\", line "):
			p.setTrace(tracePython)
			return true
		}
		return p.trace != traceNone
	}
	switch p.trace {
	case tracePython, tracePythonDone:
		switch {
		case strings.HasPrefix(s, "Traceback (most recent call last)"):
			p.trace = tracePython
			return true
		case strings.HasPrefix(s, "During handling of the above exception") ||
			strings.HasPrefix(s, "The above exception was the direct cause"):
			p.trace = tracePythonDone
			return true
		case p.trace == tracePython && isPythonFinal(s):
			p.trace = tracePythonDone
			p.pythonFinal(s)
			return true
		}
		return false
	case traceGo:
		switch {
		case strings.HasPrefix(s, "goroutine ") && strings.HasSuffix(s, ":"),
			strings.HasPrefix(s, "created by "),
			strings.HasPrefix(s, "[signal "),
			strings.HasPrefix(s, "exit status "),
			strings.HasPrefix(s, "panic: ") && strings.Contains(s, "[recovered]"),
			isGoFrame(s):
			return true
		}
		return false
	}
	switch {
	// (a first-byte test before each prefix: most lines start none)
	case c == 'C' && strings.HasPrefix(s, "Caused by: "):
		p.setTrace(traceJava)
		return true
	case c == 'T' && strings.HasPrefix(s, "Traceback (most recent call last)"):
		p.setTrace(tracePython)
		return true
	case c == 'g' && strings.HasPrefix(s, "goroutine ") && strings.HasSuffix(s, "]:") &&
		(strings.HasPrefix(p.pend.Message, "panic: ") || strings.HasPrefix(p.pend.Message, "fatal error: ")):
		p.trace = traceGo
		return true
	case (p.pend.Level >= cloudsage.LevelWarn || p.trace == traceJava ||
		strings.HasSuffix(p.pend.Message, ":")) && isExceptionLine(s):
		// "ERROR Failed" followed by "java.lang.IllegalStateException: boom"
		p.setTrace(traceJava)
		return true
	}
	return false
}

func (p *Parser) setTrace(k traceKind) {
	if p.trace == traceNone {
		p.trace = k
		if p.pend.Level < cloudsage.LevelError && k != traceNone {
			p.pend.Level = cloudsage.LevelError
		}
	} else if k == tracePython {
		p.trace = k
	}
}

// addLine joins a continuation line to the pending event, within limits.
func (p *Parser) addLine(s, raw string) {
	if len(p.lines)+1 >= MaxTraceLines || p.bytes+len(p.pend.Raw)+len(raw) > MaxRaw {
		p.dropped++
		return
	}
	p.lines = append(p.lines, raw)
	p.bytes += len(raw) + 1
	if !p.pend.Signals.OOM {
		oomSignal(&p.pend.Signals, s)
		if p.pend.Signals.OOM && p.pend.Level < cloudsage.LevelError {
			p.pend.Level = cloudsage.LevelError
		}
	}
}

// pythonFinal records the final exception line of a traceback in the
// message: the first line, " | ", the exception ("ValueError: bad").
func (p *Parser) pythonFinal(s string) {
	s = trimBlankRight(s)
	if strings.HasPrefix(p.first, "Traceback (most recent call last)") || p.first == "" {
		p.pend.Message = truncUTF8(s, MaxMessage)
	} else {
		p.pend.Message = truncUTF8(p.first+" | "+s, MaxMessage)
	}
	if p.pend.Level < cloudsage.LevelError {
		p.pend.Level = cloudsage.LevelError
	}
}

// isPythonFinal reports whether s is a traceback's last line:
// "ValueError: bad", "requests.exceptions.ConnectionError: ...", "KeyboardInterrupt".
func isPythonFinal(s string) bool {
	i := 0
	for i < len(s) && (isAlnum(s[i]) || s[i] == '_' || s[i] == '.') {
		i++
	}
	if i == 0 || !isLetter(s[0]) && s[0] != '_' {
		return false
	}
	return i == len(s) || s[i] == ':'
}

// isExceptionLine reports whether s starts like a JVM/Node/Python exception:
// a (dotted) class name ending in Exception, Error or Throwable, then ':' or
// the end of the line.
func isExceptionLine(s string) bool {
	if s != "" && s[0] == 'E' && strings.HasPrefix(s, "Exception in thread ") {
		return true
	}
	i := 0
	for i < len(s) && i < 200 && exceptionNameByte[s[i]] {
		i++
	}
	if i < 5 || i < len(s) && s[i] != ':' {
		return false
	}
	name := s[:i]
	return strings.HasSuffix(name, "Exception") || strings.HasSuffix(name, "Error") ||
		strings.HasSuffix(name, "Throwable")
}

// exceptionNameByte marks the bytes of a qualified class name: letters,
// digits, '_', '.', '$' (a table: every line that starts no trace runs
// through this test).
var exceptionNameByte = func() (t [256]bool) {
	for c := 0; c < 256; c++ {
		t[c] = isAlnum(byte(c)) || c == '_' || c == '.' || c == '$'
	}
	return t
}()

// isGoFrame reports whether s is a function line of a goroutine dump:
// "main.main()", "net/http.(*conn).serve(0xc000126000, {0x6a0f68, 0xc0000a4000})".
func isGoFrame(s string) bool {
	k := strings.IndexByte(s, '(')
	if k <= 0 || s[len(s)-1] != ')' && !strings.HasSuffix(s, "...)") {
		return false
	}
	name := s[:k]
	if strings.IndexByte(name, ' ') >= 0 || strings.IndexByte(name, '.') < 0 {
		// "(*conn)" style receivers put a '(' before the last dot
		if !strings.HasSuffix(name, ".") {
			return false
		}
	}
	return true
}
