package engine

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/cloudsage/cloudsage"
	"github.com/cloudsage/cloudsage/internal/parse"
)

// HTTP request events know their own shape: a method, a route and a status.
// Mining their text would mask the route and the status (both look like
// variables), putting every request of every route and status into one
// "GET <*> <*>" pattern, so that a 5xx burst on one route could not be seen
// and any count taken from that pattern would be wrong. The engine files
// them instead under an exact key,
//
//	METHOD /normalised/route STATUS
//
// where STATUS is the exact code for 4xx and 5xx (each one is its own
// problem) and the class (1xx, 2xx, 3xx) otherwise, and the route has its
// query string dropped and its identifier-like segments (numbers, UUIDs, hex,
// long random tokens) replaced by <*>. Distinct routes are capped; later
// ones share the route otherRoute, so a scanner walking random paths cannot
// blow up the pattern table.

const (
	maxRoutes    = 300 // distinct normalised routes per project
	maxRouteLen  = 120
	maxKeyWords  = 4 // a structured event whose message has more words says something of its own: mine it
	otherRoute   = "(other routes)"
	routeIDToken = "<*>"
)

var (
	methodFields = []string{"method", "http.method", "http.request.method", "request_method", "req.method", "http_method", "request.method", "httpMethod"}
	routeFields  = []string{"route", "http.route", "path", "url.path", "http.target", "request_path", "req.path", "request.path", "uri", "request_uri", "req.url", "url", "http.url", "request.url"}
	httpMethods  = map[string]bool{"GET": true, "HEAD": true, "POST": true, "PUT": true, "DELETE": true, "PATCH": true, "OPTIONS": true, "CONNECT": true, "TRACE": true, "PROPFIND": true}
)

// routeKeys builds the keys and remembers the routes admitted.
type routeKeys struct {
	routes map[string]*routeEntry // admitted routes
	other  routeEntry             // the routes past maxRoutes
	buf    []byte                 // scratch for normalising a route
}

// routeEntry is one route and the keys built for it, so that a repeat
// finds its key with one lookup of the route and allocates nothing.
type routeEntry struct {
	route string
	keys  []builtKey
	// self: a raw route equal to route normalised to route itself, so a
	// raw route found as a key here needs no normalising (see key)
	self bool
}

// builtKey is a key built for a route: method and status (a class for
// 1xx-3xx) are what tell it from the route's other keys.
type builtKey struct {
	method string // the start of key, so that it pins no line
	status int
	key    string
}

// maxKeysPerRoute bounds the keys kept per route (methods times statuses);
// past it they are built afresh.
const maxKeysPerRoute = 64

func newRouteKeys() *routeKeys {
	return &routeKeys{routes: make(map[string]*routeEntry), other: routeEntry{route: otherRoute}}
}

// key returns the exact pattern key of an HTTP request event, or false
// when ev is not one: an access-log line, or a structured (JSON, logfmt)
// event with method, route and status fields whose message is short (a
// longer message says something of its own and is mined).
func (k *routeKeys) key(ev *cloudsage.Event) (string, bool) {
	st := ev.Signals.Status
	if st < 100 || st > 599 || len(ev.Fields) == 0 {
		return "", false
	}
	if ev.Format != parse.FormatAccess && wordCount(ev.Message, maxKeyWords+1) > maxKeyWords {
		return "", false
	}
	method := firstField(ev.Fields, methodFields)
	if !httpMethods[method] {
		method = strings.ToUpper(method)
	}
	if !httpMethods[method] {
		return "", false
	}
	raw := firstField(ev.Fields, routeFields)
	if raw == "" {
		return "", false
	}
	// Most raw routes are their own normalised form: one lookup of the raw
	// route finds them, without normalising it again.
	r, ok := k.routes[raw]
	if !ok || !r.self {
		k.buf = appendRoute(k.buf[:0], raw)
		if len(k.buf) == 0 {
			return "", false
		}
		r, ok = k.routes[string(k.buf)]
		if !ok {
			if len(k.routes) >= maxRoutes {
				r = &k.other
			} else {
				r = &routeEntry{route: string(k.buf)}
				k.routes[r.route] = r
			}
		}
		if r != &k.other && r.route == raw {
			r.self = true
		}
	}
	status := st
	if st >= 200 && st < 400 {
		status = st / 100 * 100 // one key per class
	}
	for _, b := range r.keys {
		if b.status == status && b.method == method {
			return b.key, true
		}
	}
	key := method + " " + r.route + " " + statusKey(st)
	if len(r.keys) >= maxKeysPerRoute {
		r.keys = r.keys[:0]
	}
	r.keys = append(r.keys, builtKey{method: key[:len(method)], status: status, key: key})
	return key, true
}

// remember admits the route of a key restored from a snapshot.
func (k *routeKeys) remember(key string) {
	if _, route, _, ok := splitKey(key); ok && route != otherRoute && len(k.routes) < maxRoutes {
		k.routes[route] = &routeEntry{route: route}
	}
}

// splitKey reads a key back: method, route, status ("502", "2xx").
func splitKey(key string) (method, route, status string, ok bool) {
	a := strings.IndexByte(key, ' ')
	b := strings.LastIndexByte(key, ' ')
	if a <= 0 || b <= a || !httpMethods[key[:a]] || len(key)-b-1 != 3 {
		return "", "", "", false
	}
	return key[:a], key[a+1 : b], key[b+1:], true
}

func statusKey(st int) string {
	if st >= 400 {
		return strconv.Itoa(st)
	}
	return strconv.Itoa(st/100) + "xx"
}

func firstField(f map[string]string, names []string) string {
	for _, n := range names {
		if v := f[n]; v != "" {
			return v
		}
	}
	return ""
}

// wordCount counts the space-separated words of s, stopping at stop.
func wordCount(s string, stop int) int {
	n, in := 0, false
	for i := 0; i < len(s) && n < stop; i++ {
		sp := s[i] == ' ' || s[i] == '\t'
		if !sp && !in {
			n++
		}
		in = !sp
	}
	return n
}

// normaliseRoute drops the scheme, host, query and fragment of a request
// target and replaces identifier-like segments by <*>. It returns "" for a
// target that is not a path.
func normaliseRoute(r string) string { return string(appendRoute(nil, r)) }

// appendRoute appends the normalised route r to dst (see normaliseRoute);
// it appends nothing when r is no route.
func appendRoute(dst []byte, r string) []byte {
	if i := strings.Index(r, "://"); i > 0 && i < 10 {
		r = r[i+3:]
		j := strings.IndexByte(r, '/')
		if j < 0 {
			return append(dst, '/')
		}
		r = r[j:]
	}
	if i := strings.IndexAny(r, "?#"); i >= 0 {
		r = r[:i]
	}
	if r == "" || r[0] != '/' {
		return dst
	}
	if len(r) <= maxRouteLen && utf8.ValidString(r) {
		clean := true
		for seg := range strings.SplitSeq(r[1:], "/") {
			if idLike(seg) {
				clean = false
				break
			}
		}
		if clean {
			return append(dst, r...)
		}
	}
	start := len(dst)
	for seg := range strings.SplitSeq(r[1:], "/") {
		if idLike(seg) {
			seg = routeIDToken
		}
		if !utf8.ValidString(seg) {
			seg = strings.ToValidUTF8(seg, "\uFFFD")
		}
		// A segment that would take the route past maxRouteLen ends it, so a
		// route stays bounded however long one segment is.
		if len(dst)-start+1+len(seg) > maxRouteLen {
			dst = append(dst, '/')
			dst = append(dst, routeIDToken...)
			break
		}
		dst = append(dst, '/')
		dst = append(dst, seg...)
	}
	return dst
}

// idLike reports whether a path segment names one thing rather than a
// route: a number, a UUID, a hex string of 8 or more, a long token mixing
// letters and digits, or anything with characters routes do not use.
func idLike(s string) bool {
	if s == "" {
		return false
	}
	var digits, letters, hex, upper, lower, other int
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			digits++
			hex++
		case c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F':
			letters++
			hex++
			if c <= 'F' {
				upper++
			} else {
				lower++
			}
		case c >= 'a' && c <= 'z':
			letters++
			lower++
		case c >= 'A' && c <= 'Z':
			letters++
			upper++
		case c == '-' || c == '_' || c == '.' || c == '~' || c == ':' || c == '@':
		default:
			other++
		}
	}
	n := len(s)
	switch {
	case digits == n:
		return true
	case other > 0 && n > 3:
		return true // percent-encoded or odd bytes: a value, not a route word
	case digits > 0 && hex+strings.Count(s, "-") == n && n >= 8:
		return true // hex ids, UUIDs
	case digits > 0 && n >= 12 && letters > 0:
		return true // long random tokens: slugs with ids, base62 keys
	case n >= 20 && upper > 0 && lower > 0:
		return true // base64-ish tokens without digits
	}
	return false
}
