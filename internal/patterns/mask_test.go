package patterns

import (
	"strings"
	"testing"
)

func masked(in string) string {
	m := masker{maxTokens: 64, maxTokenLen: 128}
	m.mask(in)
	return string(m.buf)
}

func TestMask(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain words only", "plain words only"},
		{"took 250ms and 3.5s", "took <*> and <*>"},
		{"size 10MB -1 +7 0x1f", "size <*> <*> <*> <*>"},
		{"from 10.0.0.1:8080 to [10.0.0.2]", "from <*> to [<*>]"},
		{"ip6 fe80::1ff:fe23:4567:890a and [2001:db8::1]:443", "ip6 <*> and <*>"},
		{"mac 00:1a:2b:3c:4d:5e", "mac <*>"},
		{"id 550e8400-e29b-41d4-a716-446655440000 done", "id <*> done"},
		{"blk_-6952295868487656571 and blk_38865049064139660", "<*> and <*>"},
		{"open /var/log/syslog and ./rel/path and C:\\Windows\\x.dll", "open <*> and <*> and <*>"},
		{"see https://example.com/a?b=1, mail bob@example.com", "see <*>, mail <*>"},
		{"uid=0 euid=0 tty=NODEVssh ruser= rhost=1.2.3.4", "uid=<*> euid=<*> tty=NODEVssh ruser= rhost=<*>"},
		{`tag="View Lock", name=x`, `tag=<*>, name=x`},
		{"mode=auto id=a1b2 host=db.example.com:5432 ok=true", "mode=auto id=<*> host=<*> ok=<*>"},
		{"generating core.6161 and session.42.log", "generating core.<*> and session.<*>.log"},
		{"via gw.lan:8080 queue 3FA9C2E1 and BEEF12", "via <*> queue <*> and <*>"},
		{"HikariPool-1 worker_3 eth0 ssh2", "HikariPool-<*> worker_<*> eth0 ssh2"},
		{"state.clipTop:180, from=<bob@mail.example.org>", "state.clipTop:<*>, from=<*>>"},
		{`msg="a long sentence with words" done`, `msg="a long sentence with words" done`},
		{"at Thu Jul 7 16:33:52 2005 ok", "at <*> <*> <*> <*> <*> ok"},
		{"may I help", "may I help"},
		{"ret:false isOverlap:true value null", "ret:<*> isOverlap:<*> value <*>"},
		{"class com.example.app.Main started", "class <*> started"},
		{"ssh2 eth0 jk2_init() node-246", "ssh2 eth0 jk2_init() <*>"},
		{"2016/9/27:20:30:31.455 and 00000001@2016/9/27:20:30:31.455", "<*> and <*>"},
		{"\x1b[1;31mERROR\x1b[0m\tx\x00y", "ERROR x y"},
		{"", ""},
		{strings.Repeat("z", 200), "<*>"},
	}
	for _, tt := range tests {
		if got := masked(tt.in); got != tt.want {
			t.Errorf("mask(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestMaskKinds(t *testing.T) {
	m := masker{maxTokens: 64, maxTokenLen: 128}
	m.mask("VM Started (Lifecycle) 12 KB [preauth] x=<*> foo_bar9")
	want := []tokenKind{kindWord, kindWord, kindWord, kindWild, kindOther, kindWord, kindOther, kindWord}
	if len(m.kinds) != len(want) {
		t.Fatalf("kinds = %v, want %v", m.kinds, want)
	}
	for i := range want {
		if m.kinds[i] != want[i] {
			t.Errorf("kind of token %d (%s) = %d, want %d", i, m.buf[m.toks[i].start:m.toks[i].end], m.kinds[i], want[i])
		}
	}
}

func TestMaskMaxTokens(t *testing.T) {
	m := masker{maxTokens: 4, maxTokenLen: 128}
	m.mask("a b c d e f g")
	if got, want := string(m.buf), "a b c <*>"; got != want {
		t.Errorf("mask with 4 tokens = %q, want %q", got, want)
	}
	m.mask("a b c d")
	if got, want := string(m.buf), "a b c d"; got != want {
		t.Errorf("mask with 4 tokens = %q, want %q", got, want)
	}
}
