// Package pdftest reads PDF documents in tests: it checks the file's
// structure (header, cross-reference table, trailer) and extracts the text
// the pages show, inflating compressed content streams. It reads what
// go-pdf/fpdf writes, not every PDF.
package pdftest

import (
	"bytes"
	"compress/zlib"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
)

var (
	startxref = regexp.MustCompile(`startxref\s+(\d+)\s+%%EOF\s*$`)
	objHead   = regexp.MustCompile(`(?m)^(\d+) 0 obj`)
	xrefEntry = regexp.MustCompile(`^(\d{10}) (\d{5}) ([nf])`)
	stream    = regexp.MustCompile(`(?s)<<(.*?)>>\s*stream\r?\n`)
)

// Check verifies b's structure: the %PDF- header, the %%EOF trailer, a
// startxref offset that points at the xref table, and xref entries that
// point at the objects they name.
func Check(b []byte) error {
	if !bytes.HasPrefix(b, []byte("%PDF-1.")) {
		return fmt.Errorf("no %%PDF-1.x header: %q", head(b))
	}
	m := startxref.FindSubmatch(b)
	if m == nil {
		return fmt.Errorf("no startxref ... %%%%EOF at the end")
	}
	off, _ := strconv.Atoi(string(m[1]))
	if off <= 0 || off >= len(b) || !bytes.HasPrefix(b[off:], []byte("xref")) {
		return fmt.Errorf("startxref %d does not point at the xref table", off)
	}
	lines := strings.Split(string(b[off:]), "\n")
	if len(lines) < 3 {
		return fmt.Errorf("xref table is cut")
	}
	var first, count int
	if _, err := fmt.Sscanf(lines[1], "%d %d", &first, &count); err != nil || count < 2 {
		return fmt.Errorf("xref subsection header %q", lines[1])
	}
	for i := 1; i < count; i++ {
		e := xrefEntry.FindStringSubmatch(lines[2+i])
		if e == nil {
			return fmt.Errorf("xref entry %d: %q", i, lines[2+i])
		}
		if e[3] != "n" {
			continue
		}
		at, _ := strconv.Atoi(e[1])
		want := fmt.Sprintf("%d 0 obj", first+i)
		if at >= len(b) || !bytes.HasPrefix(b[at:], []byte(want)) {
			return fmt.Errorf("xref entry for object %d points at %q", first+i, head(b[min(at, len(b)):]))
		}
	}
	if n := len(objHead.FindAll(b, -1)); n != count-1 {
		return fmt.Errorf("%d objects, xref lists %d", n, count-1)
	}
	if !bytes.Contains(b, []byte("/Type /Catalog")) || !bytes.Contains(b, []byte("/Type /Pages")) {
		return fmt.Errorf("no catalog or page tree")
	}
	return nil
}

// Text returns the strings the content streams show (Tj operators), one a
// line, after Check.
func Text(b []byte) (string, error) {
	if err := Check(b); err != nil {
		return "", err
	}
	var out strings.Builder
	for _, loc := range stream.FindAllSubmatchIndex(b, -1) {
		dict := string(b[loc[2]:loc[3]])
		end := bytes.Index(b[loc[1]:], []byte("endstream"))
		if end < 0 {
			return "", fmt.Errorf("stream without endstream")
		}
		data := b[loc[1] : loc[1]+end]
		if strings.Contains(dict, "/FlateDecode") {
			zr, err := zlib.NewReader(bytes.NewReader(data))
			if err != nil {
				return "", fmt.Errorf("inflate stream: %w", err)
			}
			if data, err = io.ReadAll(zr); err != nil {
				return "", fmt.Errorf("inflate stream: %w", err)
			}
		}
		shown(data, &out)
	}
	return out.String(), nil
}

// shown appends the literal strings of content that a Tj shows.
func shown(content []byte, out *strings.Builder) {
	for i := 0; i < len(content); i++ {
		if content[i] != '(' {
			continue
		}
		var s []byte
		depth := 1
		j := i + 1
		for ; j < len(content) && depth > 0; j++ {
			c := content[j]
			switch {
			case c == '\\' && j+1 < len(content):
				j++
				s = append(s, content[j])
				continue
			case c == '(':
				depth++
			case c == ')':
				depth--
				if depth == 0 {
					continue
				}
			}
			s = append(s, c)
		}
		if rest := bytes.TrimLeft(content[j:], " "); bytes.HasPrefix(rest, []byte("Tj")) {
			out.Write(s)
			out.WriteByte('\n')
		}
		i = j - 1
	}
}

func head(b []byte) []byte { return b[:min(len(b), 20)] }
