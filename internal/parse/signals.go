package parse

import (
	"strings"

	"github.com/cloudsage/cloudsage"
)

// Signals are read from structured fields by their conventional names
// (status, duration_ms, latency, took, rss, heap_used, cpu_pct, ...) and
// from free text ("status=500", "took 340ms", "mem: 512MB/1GB", "Out of
// memory"). Units: durations in ns/µs/us/ms/s/m/h ("5.2s", "1m30s"), sizes
// in B/KB/MB/GB (and KiB/MiB/GiB), percentages with '%'.

// sigKind is what a normalised field name measures.
type sigKind uint8

const (
	sigNone sigKind = iota
	sigStatus
	sigLatency
	sigMem
	sigMemPct
	sigMemUsed
	sigMemTotal
	sigCPU
)

// unit of a plain number, from the field name.
type unit uint8

const (
	uDefault unit = iota
	uNS
	uUS
	uMS
	uS
	uBytes
	uKB
	uMB
	uGB
	uPct
)

// sigBases maps a normalised name (lower case, no '_' '-' '.', unit suffix
// removed) to what it measures.
var sigBases = map[string]sigKind{
	"status": sigStatus, "statuscode": sigStatus, "httpstatus": sigStatus, "responsestatus": sigStatus,
	"httpstatuscode": sigStatus, "responsecode": sigStatus,

	"duration": sigLatency, "latency": sigLatency, "took": sigLatency, "elapsed": sigLatency,
	"elapsedtime": sigLatency, "responsetime": sigLatency, "requesttime": sigLatency, "rt": sigLatency,
	"upstreamresponsetime": sigLatency, "processingtime": sigLatency, "executiontime": sigLatency,
	"resptime": sigLatency, "reqtime": sigLatency, "timetaken": sigLatency, "durationtime": sigLatency,
	"time":      sigLatency, // only with an explicit unit, see fieldSignal
	"service":   sigLatency, // Heroku router "service=42ms", only with a unit
	"totaltime": sigLatency, "runtime": sigLatency, "lat": sigLatency, "dur": sigLatency,

	"mem": sigMem, "memory": sigMem, "rss": sigMem, "heap": sigMem, "heapused": sigMemUsed,
	"memused": sigMemUsed, "memoryused": sigMemUsed, "memusage": sigMem, "memoryusage": sigMem,
	"heapalloc": sigMem, "heapinuse": sigMem, "residentmemory": sigMem, "memrss": sigMem,
	"memtotal": sigMemTotal, "memorytotal": sigMemTotal, "memlimit": sigMemTotal,
	"memorylimit": sigMemTotal, "heaptotal": sigMemTotal, "heapmax": sigMemTotal,
	"heaplimit": sigMemTotal, "totalmemory": sigMemTotal, "usedmemory": sigMemUsed,
	"memutil": sigMemPct, "memutilization": sigMemPct, "memoryutilization": sigMemPct,

	"cpu": sigCPU, "cpuusage": sigCPU, "cpuutil": sigCPU, "cpuutilization": sigCPU,
	"cpuload": sigCPU, "load": sigCPU, "processcpu": sigCPU, "cpupercent": sigCPU,
}

// memParts collects used and total memory reported in separate fields.
type memParts struct {
	usedMB, totalMB float64
	hasUsed         bool
	hasTotal        bool
}

func (m *memParts) apply(sig *cloudsage.Signals) {
	if m.hasUsed && m.hasTotal && m.totalMB > 0 && !sig.HasMemPct {
		sig.MemoryPct, sig.HasMemPct = clampPct(m.usedMB/m.totalMB*100), true
	}
	if m.hasUsed && !sig.HasMemMB {
		sig.MemoryMB, sig.HasMemMB = m.usedMB, true
	}
}

// sigName is what a normalised field name says: the kind of signal, the
// unit its suffix names, and how to read a plain number.
type sigName struct {
	kind     sigKind
	unit     unit
	suffixed bool // the unit came from the name ("duration_ms")
	flags    uint8
}

const (
	fSecondsIfFraction = 1 << iota // nginx-style names: seconds when the value has a fraction
	fUnitOnly                      // "time", "service": a latency only with a unit or a fraction
	fLoad                          // "load": a CPU percent only with '%'
	fStatusWord                    // may be read from "key: value" in text
)

// sigNames holds every base name with every unit suffix, so classifying a
// field is one map lookup.
var sigNames = func() map[string]sigName {
	m := make(map[string]sigName, len(sigBases)*(len(unitSuffixes)+1))
	for base, k := range sigBases {
		var fl uint8
		switch {
		case base == "time" || base == "service":
			fl |= fUnitOnly
		case base == "rt" || strings.Contains(base, "request") || strings.Contains(base, "upstream") || strings.Contains(base, "response"):
			fl |= fSecondsIfFraction
		}
		if base == "load" || base == "cpuload" {
			fl |= fLoad
		}
		if k == sigStatus {
			fl |= fStatusWord
		}
		m[base] = sigName{kind: k, flags: fl}
		for _, sfx := range unitSuffixes {
			if _, ok := m[base+sfx.s]; !ok {
				m[base+sfx.s] = sigName{kind: k, unit: sfx.u, suffixed: true, flags: fl &^ fUnitOnly}
			}
		}
	}
	return m
}()

// classify normalises a field name — the last dotted segment, lower case,
// without '_' and '-' — and looks it up ("duration_ms" -> latency in ms,
// "cpu_pct" -> CPU percent).
func classify(key string) sigName {
	full := key
	if k := strings.LastIndexByte(key, '.'); k >= 0 {
		key = key[k+1:]
	}
	if len(key) > 32 || key == "" {
		return sigName{}
	}
	switch key[0] | 0x20 {
	case 's', 'd', 'l', 't', 'e', 'r', 'p', 'u', 'm', 'h', 'c':
	default:
		return sigName{}
	}
	var buf [32]byte
	n := 0
	for i := 0; i < len(key); i++ {
		c := key[i]
		if c == '_' || c == '-' {
			continue
		}
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		buf[n] = c
		n++
	}
	sn := sigNames[string(buf[:n])]
	if sn.kind == sigLatency && !sn.suffixed && len(full) == 14 && strings.EqualFold(full, "event.duration") {
		sn.unit = uNS // ECS
	}
	return sn
}

var unitSuffixes = []struct {
	s string
	u unit
}{
	{"millis", uMS}, {"ms", uMS}, {"msec", uMS}, {"micros", uUS}, {"us", uUS}, {"usec", uUS},
	{"nanos", uNS}, {"ns", uNS}, {"seconds", uS}, {"secs", uS}, {"sec", uS}, {"s", uS},
	{"bytes", uBytes}, {"kb", uKB}, {"mb", uMB}, {"gb", uGB},
	{"pct", uPct}, {"percent", uPct}, {"perc", uPct}, {"percentage", uPct},
}

// fieldSignal reads a signal from one structured field.
func fieldSignal(sig *cloudsage.Signals, key, val string, mem *memParts) {
	namedSignal(sig, classify(key), val, mem)
}

// namedSignal is fieldSignal with the key already classified.
func namedSignal(sig *cloudsage.Signals, sn sigName, val string, mem *memParts) {
	if val == "" || len(val) > 64 || sn.kind == sigNone {
		return
	}
	applySignal(sig, sn, val, mem)
}

func applySignal(sig *cloudsage.Signals, sn sigName, val string, mem *memParts) {
	num, rest, ok := leadingNumber(val)
	if !ok {
		return
	}
	u := sn.unit
	switch sn.kind {
	case sigStatus:
		if rest == "" && num >= 100 && num <= 599 && num == float64(int(num)) && sig.Status == 0 {
			sig.Status = int(num)
		}
	case sigLatency:
		if sig.HasLatency {
			return
		}
		if rest != "" {
			if ms, ok := parseDurationMS(val); ok {
				setLatency(sig, ms)
			}
			return
		}
		if sn.flags&fUnitOnly != 0 {
			// "time" and "service" are latencies only with a unit or a fraction
			if strings.IndexByte(val, '.') < 0 {
				return
			}
			u = uS
		}
		switch u {
		case uNS:
			setLatency(sig, num/1e6)
		case uUS:
			setLatency(sig, num/1e3)
		case uS:
			setLatency(sig, num*1e3)
		case uMS:
			setLatency(sig, num)
		default:
			// nginx-style names hold seconds with a fraction; the rest ms
			if strings.IndexByte(val, '.') >= 0 && num < 100 && sn.flags&fSecondsIfFraction != 0 {
				setLatency(sig, num*1e3)
			} else {
				setLatency(sig, num)
			}
		}
	case sigMem, sigMemUsed, sigMemTotal, sigMemPct:
		memSignal(sig, sn.kind, u, num, rest, val, mem)
	case sigCPU:
		if sig.HasCPU {
			return
		}
		switch {
		case rest == "%" || u == uPct:
			sig.CPUPct, sig.HasCPU = clampPct(num), true
		case rest == "" && strings.IndexByte(val, '.') >= 0 && num <= 1 && sn.flags&fLoad == 0:
			sig.CPUPct, sig.HasCPU = num*100, true
		case rest == "" && sn.flags&fLoad == 0 && num <= 100:
			sig.CPUPct, sig.HasCPU = num, true
		}
	}
}

func memSignal(sig *cloudsage.Signals, kind sigKind, u unit, num float64, rest, val string, mem *memParts) {
	if rest == "%" || u == uPct || kind == sigMemPct {
		if !sig.HasMemPct && num <= 100 {
			sig.MemoryPct, sig.HasMemPct = clampPct(num), true
		}
		return
	}
	// used/total: "512MB/1GB", "512/1024MB"
	if k := strings.IndexByte(val, '/'); k > 0 {
		used, uu, ok1 := sizeMB(val[:k], u)
		total, tu, ok2 := sizeMB(val[k+1:], u)
		if ok1 && ok2 && total > 0 {
			if !uu && tu { // "512/1024MB": the unit applies to both
				used, _, _ = sizeMB(val[:k]+trimNumber(val[k+1:]), u)
			}
			if !sig.HasMemPct {
				sig.MemoryPct, sig.HasMemPct = clampPct(used/total*100), true
			}
			if !sig.HasMemMB {
				sig.MemoryMB, sig.HasMemMB = used, true
			}
		}
		return
	}
	mb, _, ok := sizeMB(val, u)
	if !ok {
		return
	}
	switch kind {
	case sigMemTotal:
		mem.totalMB, mem.hasTotal = mb, true
	case sigMemUsed:
		mem.usedMB, mem.hasUsed = mb, true
	default:
		if !sig.HasMemMB {
			sig.MemoryMB, sig.HasMemMB = mb, true
		}
	}
}

// trimNumber returns s without its leading number (its unit).
func trimNumber(s string) string {
	_, rest, _ := leadingNumber(s)
	return rest
}

// sizeMB reads a size ("512MB", "1.5GiB", "2048" in the unit the field name
// gives, bytes when huge) in MB. The bool says the value had its own unit.
func sizeMB(s string, u unit) (float64, bool, bool) {
	num, rest, ok := leadingNumber(trimBlank(s))
	if !ok {
		return 0, false, false
	}
	rest = trimBlankLeft(rest)
	switch strings.ToLower(rest) {
	case "":
		switch u {
		case uBytes:
			return num / (1 << 20), false, true
		case uKB:
			return num / 1024, false, true
		case uGB:
			return num * 1024, false, true
		case uMB:
			return num, false, true
		}
		if num > 1<<24 { // more than 16M: bytes
			return num / (1 << 20), false, true
		}
		return num, false, true
	case "b", "bytes":
		return num / (1 << 20), true, true
	case "k", "kb", "kib":
		return num / 1024, true, true
	case "m", "mb", "mib":
		return num, true, true
	case "g", "gb", "gib":
		return num * 1024, true, true
	case "t", "tb", "tib":
		return num * 1024 * 1024, true, true
	}
	return 0, false, false
}

func clampPct(v float64) float64 {
	if v < 0 {
		return 0
	}
	if v > 100 {
		return 100
	}
	return v
}

func setLatency(sig *cloudsage.Signals, ms float64) {
	if ms < 0 || ms != ms || ms > 1e10 {
		return
	}
	sig.LatencyMS, sig.HasLatency = ms, true
}

// leadingNumber reads a decimal number at the start of s and returns it with
// the rest of s.
func leadingNumber(s string) (float64, string, bool) {
	i := 0
	if i < len(s) && (s[i] == '-' || s[i] == '+') {
		i++
	}
	start := i
	var v float64
	for i < len(s) && isDigit(s[i]) {
		v = v*10 + float64(s[i]-'0')
		i++
	}
	if i < len(s) && s[i] == '.' {
		i++
		scale := 0.1
		for i < len(s) && isDigit(s[i]) {
			v += float64(s[i]-'0') * scale
			scale /= 10
			i++
		}
	}
	if i == start || i == start+1 && s[start] == '.' {
		return 0, s, false
	}
	if s[0] == '-' {
		v = -v
	}
	return v, s[i:], true
}

func parseFloat(s string) float64 {
	v, _, _ := leadingNumber(s)
	return v
}

// isNumber reports whether w is a plain decimal number.
func isNumber(w string) bool {
	_, rest, ok := leadingNumber(w)
	return ok && rest == ""
}

// parseDurationMS reads a duration with units ("340ms", "5.2s", "1m30s",
// "250µs", "1.5 s") in milliseconds.
func parseDurationMS(s string) (float64, bool) {
	total := 0.0
	any := false
	for s != "" {
		num, rest, ok := leadingNumber(s)
		if !ok {
			return 0, false
		}
		rest = trimBlankLeft(rest)
		j := 0
		for j < len(rest) && (isLetter(rest[j]) || rest[j] >= 0x80) {
			j++
		}
		var f float64
		switch rest[:j] {
		case "ns":
			f = 1e-6
		case "us", "µs", "μs":
			f = 1e-3
		case "ms", "msec", "millis":
			f = 1
		case "s", "sec", "secs", "seconds":
			f = 1e3
		case "m", "min", "mins", "minutes":
			f = 60e3
		case "h", "hr", "hours":
			f = 3600e3
		default:
			return 0, false
		}
		total += num * f
		any = true
		s = rest[j:]
	}
	return total, any
}

// messageSignals reads signals from free text: key=value and "key: value"
// pairs with signal names, "took 340ms"-style durations, and HTTP status
// after a request line ("HTTP/1.1" 500) or "Completed 500". Values already
// set by structured fields win.
func messageSignals(sig *cloudsage.Signals, msg string, mem *memParts) {
	n := min(len(msg), 2048)
	for i := 0; i < n; i++ {
		c := msg[i]
		if !msgInteresting[c] {
			continue
		}
		switch {
		case c == '=' || c == ':' && i+1 < n && msg[i+1] == ' ':
			k := i
			for k > 0 && (isAlnum(msg[k-1]) || msg[k-1] == '_' || msg[k-1] == '.' || msg[k-1] == '-') {
				k--
			}
			if k == i || i-k > 32 {
				continue
			}
			v := i + 1
			for v < n && msg[v] == ' ' {
				v++
			}
			if v >= n || v-i > 2 {
				continue
			}
			if msg[v] == '"' {
				v++
			}
			if v >= n || !isDigit(msg[v]) && msg[v] != '.' {
				continue
			}
			e := v
			for e < n && msg[e] != ' ' && msg[e] != ',' && msg[e] != ';' && msg[e] != '"' && msg[e] != ')' && msg[e] != ']' {
				e++
			}
			sn := classify(msg[k:i])
			if sn.kind == sigNone || c == ':' && sn.kind == sigStatus && sn.flags&fStatusWord == 0 {
				i = e - 1
				continue
			}
			val := msg[v:e]
			// "512 MB" with a space before the unit
			if e+1 < n && msg[e] == ' ' && (sn.kind == sigMem || sn.kind == sigMemUsed || sn.kind == sigMemTotal) {
				u2 := e + 1
				for u2 < n && isLetter(msg[u2]) {
					u2++
				}
				if _, ok, _ := sizeMB("1"+msg[e+1:u2], uDefault); ok {
					val = msg[v:e] + msg[e+1:u2]
				}
			}
			applySignal(sig, sn, val, mem)
			i = e - 1
		case isDigit(c) && (i == 0 || msg[i-1] == ' ') && !sig.HasLatency:
			// "took 340ms", "finished in 5.2s", "timed out after 3s"
			e := i
			for e < n && (isAlnum(msg[e]) || msg[e] == '.' || msg[e] >= 0x80) {
				e++
			}
			if e-i < 2 || !isLetter(msg[e-1]) && msg[e-1] < 0x80 {
				i = e
				continue
			}
			w, ws := prevWord(msg, i)
			ok := false
			switch w {
			case "took", "Took", "elapsed", "duration", "latency", "taking", "time":
				ok = true
			case "in", "after":
				// "finished in 5s", "Completed 200 OK in 45ms", "timed out
				// after 30s"; not "retrying in 5s"
				pw, _ := prevWord(msg, ws)
				ok = strings.HasSuffix(pw, "ed") || pw == "OK" || pw == "out" || pw == "done" || strings.HasPrefix(msg, "Completed ")
			}
			if ok {
				if ms, ok := parseDurationMS(msg[i:e]); ok {
					setLatency(sig, ms)
				}
			}
			i = e
		case isDigit(c):
			// the rest of a run of digits can match neither case above (a
			// digit after a digit starts no number): skip it in one go
			for i+1 < n && isDigit(msg[i+1]) {
				i++
			}
		}
	}
	if sig.Status == 0 {
		httpStatus(sig, msg[:n])
	}
}

// msgInteresting marks the bytes messageSignals stops at.
var msgInteresting = func() (t [256]bool) {
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	t['='], t[':'] = true, true
	return t
}()

// prevWord returns the word before the token that starts at msg[i], and
// where that word starts.
func prevWord(msg string, i int) (string, int) {
	e := i - 1
	for e >= 0 && msg[e] == ' ' {
		e--
	}
	s := e + 1
	for s > 0 && isLetter(msg[s-1]) {
		s--
	}
	if s >= e+1 {
		return "", i
	}
	return msg[s : e+1], s
}

// httpStatus finds a status after a quoted request line ("GET / HTTP/1.1"
// 500) or after "Completed " (Rails).
func httpStatus(sig *cloudsage.Signals, msg string) {
	i := httpVersion(msg)
	if i >= 0 {
		j := i + 6
		for j < len(msg) && j < i+10 && msg[j] != '"' {
			j++
		}
		if j+5 <= len(msg) && msg[j] == '"' && msg[j+1] == ' ' {
			if v, ok := digitsAt(msg, j+2, 3); ok && v >= 100 && v <= 599 && (j+5 == len(msg) || !isDigit(msg[j+5])) {
				sig.Status = v
			}
		}
		return
	}
	if strings.HasPrefix(msg, "Completed ") {
		if v, ok := digitsAt(msg, 10, 3); ok && v >= 100 && v <= 599 {
			sig.Status = v
		}
	}
}

// httpVersion returns the index of the first "HTTP/1" in msg, else of the
// first "HTTP/2", else -1, looking for "HTTP/" once.
func httpVersion(msg string) int {
	two := -1
	for i := 0; ; {
		k := strings.Index(msg[i:], "HTTP/")
		if k < 0 || i+k+5 >= len(msg) {
			return two
		}
		i += k
		switch msg[i+5] {
		case '1':
			return i
		case '2':
			if two < 0 {
				two = i
			}
		}
		i += 5
	}
}

// oomSignal flags out-of-memory errors and kills.
func oomSignal(sig *cloudsage.Signals, msg string) {
	if sig.OOM {
		return
	}
	m := msg[:min(len(msg), 2048)]
	mem, oom := oomHints(m)
	if mem {
		if strings.Contains(m, "Out of memory") || strings.Contains(m, "out of memory") ||
			strings.Contains(m, "OutOfMemory") || strings.Contains(m, "Cannot allocate memory") ||
			strings.Contains(m, "MemoryError") || strings.Contains(m, "OUT OF MEMORY") {
			sig.OOM = true
		}
		return
	}
	if oom {
		if strings.Contains(m, "OOMKilled") || strings.Contains(m, "oom-kill") || strings.Contains(m, "oom_kill") ||
			strings.Contains(m, "OOM killer") || strings.Contains(m, "oom-killer") || strings.Contains(m, "OOM-killer") {
			sig.OOM = true
		}
	}
}

// oomHints reports whether m holds "emory" or "EMORY" (mem) and whether it
// holds "OOM" or "oom" (oom), the words oomSignal looks further for. Every
// one of them has an 'm' or 'M', rarer than their first letters, so it finds
// those and looks around them, eight bytes at a time: one pass for both
// cases instead of a library scan per letter found.
func oomHints(m string) (mem, oom bool) {
	const lo, hi = 0x0101010101010101, 0x8080808080808080
	i := 0
	for ; i+8 <= len(m); i += 8 {
		b := m[i : i+8]
		w := uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
			uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
		x := (w | 0x20*lo) ^ 'm'*lo // a zero byte where the byte is 'm' or 'M'
		if (x-lo)&^x&hi == 0 {
			continue
		}
		for k := i; k < i+8; k++ {
			if m[k]|0x20 == 'm' {
				mem, oom = oomAt(m, k, mem, oom)
			}
		}
	}
	for ; i < len(m); i++ {
		if m[i]|0x20 == 'm' {
			mem, oom = oomAt(m, i, mem, oom)
		}
	}
	return mem, oom
}

// oomAt adds to mem and oom what the 'm' or 'M' at m[i] is the second
// letter of ("emory", "EMORY") or ends ("oom", "OOM"), byte by byte: it
// runs at every 'm' of every message.
func oomAt(m string, i int, mem, oom bool) (bool, bool) {
	e, o, r, y := byte('e'), byte('o'), byte('r'), byte('y')
	if m[i] == 'M' {
		e, o, r, y = 'E', 'O', 'R', 'Y'
	}
	if i >= 1 && i+3 < len(m) && m[i-1] == e && m[i+1] == o && m[i+2] == r && m[i+3] == y {
		mem = true
	}
	if i >= 2 && m[i-2] == o && m[i-1] == o {
		oom = true
	}
	return mem, oom
}
