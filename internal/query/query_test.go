package query

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/cloudsage/cloudsage"
)

func TestParse(t *testing.T) {
	f := func(in string, want ...Term) {
		t.Helper()
		got, err := Parse(in)
		if err != nil {
			t.Fatalf("Parse(%q) = error %v", in, err)
		}
		if diff := cmp.Diff(want, got.Terms, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("Parse(%q) differs (-want +got):\n%s", in, diff)
		}
	}
	f("")
	f("   ")
	f("timeout", Term{Value: "timeout"})
	f("durability-marker-7", Term{Value: "durability-marker-7"})
	f(`host:api-3 level:error "too many clients"`,
		Term{Field: "host", Value: "api-3"}, Term{Field: "level", Value: "error"}, Term{Value: "too many clients", Phrase: true})
	f("-healthcheck -host:web-1", Term{Value: "healthcheck", Not: true}, Term{Field: "host", Value: "web-1", Not: true})
	f(`-"GET /health"`, Term{Value: "GET /health", Phrase: true, Not: true})
	f(`user.id:"a b"`, Term{Field: "user.id", Value: "a b", Phrase: true})
	f(`Level:ERROR`, Term{Field: "level", Value: "error"})
	f(`http_status:500`, Term{Field: "http_status", Value: "500"})
	f(`a\"b`, Term{Value: `a\"b`})
	f(`"say \"hi\" \\ now"`, Term{Value: `say "hi" \ now`, Phrase: true})
	f(`url:http://x/y`, Term{Field: "url", Value: "http://x/y"})
	f(`"http://x/y"`, Term{Value: "http://x/y", Phrase: true})
	f("host: api", Term{Value: "host:"}, Term{Value: "api"}) // no value after the colon: a word
	f(":x", Term{Value: ":x"})
	f("9a:b", Term{Value: "9a:b"}) // a field name starts with a letter
	f("- * ---")                   // punctuation only: no words
	f("a\tb\nc", Term{Value: "a"}, Term{Value: "b"}, Term{Value: "c"})
}

func TestParseDropsPunctuation(t *testing.T) {
	q, err := Parse(`* "*" -"!"`)
	if err != nil || len(q.Terms) != 0 || q.Dropped != 3 {
		t.Errorf(`Parse(* "*" -"!") = %+v, %v; want no terms, 3 dropped`, q, err)
	}
}

func TestParseErrors(t *testing.T) {
	for _, in := range []string{`"unclosed`, `host:"api`, `level:loud`, `"a"b`, string(make([]byte, 0)) + "x y z a b c d e f g h i j k l m n o p q r s t u v w x y z 1 2 3 4 5 6 7"} {
		if q, err := Parse(in); cloudsage.KindOf(err) != cloudsage.Invalid {
			t.Errorf("Parse(%q) = %+v, %v; want an Invalid error", in, q, err)
		}
	}
}

func TestString(t *testing.T) {
	for _, in := range []string{`host:api-3 level:error "too many clients" -ping`, `user:"a \"b\""`, `"-x" "a:b"`} {
		q, err := Parse(in)
		if err != nil {
			t.Fatal(err)
		}
		if got := q.String(); got != in {
			t.Errorf("Parse(%q).String() = %q", in, got)
		}
	}
}

func TestText(t *testing.T) {
	q, _ := Parse(`host:a "too many" -no word`)
	if got, want := q.Text(), []string{"too many", "word"}; !cmp.Equal(got, want) {
		t.Errorf("Text() = %q, want %q", got, want)
	}
}

// FuzzParse: Parse never panics, and what it parses reads back the same
// from its String.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		`host:api-3 level:error "too many clients"`, `-word -"a phrase" -f:v`, `"unclosed`, `a\"b "c\\"`,
		`user.id:"x y" status:500`, `::: -- "" f:"" -:x`, "é:ü \"\xff\"", `level:warn level:fatal`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q, err := Parse(s)
		if err != nil {
			if cloudsage.KindOf(err) != cloudsage.Invalid {
				t.Fatalf("Parse(%q) = error of kind %q: %v", s, cloudsage.KindOf(err), err)
			}
			return
		}
		if len(q.Terms) > MaxTerms {
			t.Fatalf("Parse(%q) = %d terms", s, len(q.Terms))
		}
		again, err := Parse(q.String())
		if err != nil {
			t.Fatalf("Parse(%q).String() = %q, which does not parse: %v", s, q.String(), err)
		}
		strip := cmp.Transformer("", func(t Term) Term { t.Phrase = false; return t })
		if diff := cmp.Diff(q.Terms, again.Terms, strip, cmpopts.EquateEmpty()); diff != "" {
			t.Fatalf("Parse(%q) and Parse(its String %q) differ:\n%s", s, q.String(), diff)
		}
	})
}
