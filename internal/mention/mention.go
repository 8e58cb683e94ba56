// Package mention finds the members a comment names with @: "@bob" (the
// part of a member's address before the @, when only one member has it)
// or "@bob@example.com" (the whole address). Pure: no I/O.
package mention

import "strings"

// MaxHandles is how many distinct handles Handles returns at most, so a
// comment cannot notify a whole instance.
const MaxHandles = 20

func localChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("._%+-", c) >= 0
}

func domainChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-'
}

// Handles returns the distinct handles mentioned in body, lowercased, in
// order of first appearance: the text after an @ that starts the body or
// follows a character that cannot be part of an address (so an address
// written in a sentence, "mail bob@example.com", mentions nobody).
func Handles(body string) []string {
	var out []string
	seen := map[string]bool{}
	for i := 0; i < len(body) && len(out) < MaxHandles; i++ {
		if body[i] != '@' || i > 0 && localChar(body[i-1]) {
			continue
		}
		j := i + 1
		for j < len(body) && localChar(body[j]) {
			j++
		}
		end := j
		if j+1 < len(body) && body[j] == '@' && domainChar(body[j+1]) {
			k := j + 1
			for k < len(body) && domainChar(body[k]) {
				k++
			}
			if dom := strings.TrimRight(body[j+1:k], ".-"); strings.Contains(dom, ".") {
				end = j + 1 + len(dom)
			}
		}
		h := strings.ToLower(strings.TrimRight(body[i+1:end], ".-"))
		i = end - 1
		if h == "" || seen[h] {
			continue
		}
		seen[h] = true
		out = append(out, h)
	}
	return out
}

// Match returns the index in emails of the member handle names: the one
// whose whole address it is, or else the only one whose address starts
// with handle + "@". An ambiguous or unknown handle matches nobody.
func Match(handle string, emails []string) (int, bool) {
	handle = strings.ToLower(handle)
	found := -1
	for i, e := range emails {
		e = strings.ToLower(e)
		if e == handle {
			return i, true
		}
		if !strings.Contains(handle, "@") && strings.HasPrefix(e, handle+"@") {
			if found >= 0 {
				return -1, false
			}
			found = i
		}
	}
	return found, found >= 0
}
