package advisor

import (
	"math"
	"testing"
	"time"
)

func TestFormatNumbers(t *testing.T) {
	tests := []struct {
		name, got, want string
	}{
		{"int small", fmtInt(7), "7"},
		{"int thousands", fmtInt(1204), "1,204"},
		{"int millions", fmtInt(-1234567), "-1,234,567"},
		{"int min", fmtInt(math.MinInt64), "-9,223,372,036,854,775,808"},
		{"num large", fmtNum(1234.4), "1,234"},
		{"num whole", fmtNum(82), "82"},
		{"num tenth", fmtNum(15.25), "15.2"},
		{"num small", fmtNum(0.2), "0.2"},
		{"num tiny", fmtNum(0.042), "0.042"},
		{"num nan", fmtNum(math.NaN()), "0"},
		{"pct", fmtPct(0.31), "31%"},
		{"pct one decimal", fmtPct(0.042), "4.2%"},
		{"pct whole", fmtPct(0.02), "2%"},
		{"pct small", fmtPct(0.0042), "0.42%"},
		{"value ratio", fmtValue(0.2, "ratio"), "20%"},
		{"value ms", fmtValue(1200, "ms"), "1,200 ms"},
		{"value pct", fmtValue(97, "%"), "97%"},
		{"value rate", fmtValue(0.2, "lines/min"), "0.2 lines/min"},
		{"ratio big", fmtRatio(40.4), "×40"},
		{"ratio", fmtRatio(7.08), "×7.1"},
		{"ratio whole", fmtRatio(2), "×2"},
		{"dur min", fmtDur(15 * time.Minute), "15 min"},
		{"dur hours", fmtDur(24 * time.Hour), "24 h"},
		{"dur mixed", fmtDur(90 * time.Minute), "1 h 30 min"},
		{"dur days", fmtDur(168 * time.Hour), "7 days"},
		{"dur secs", fmtDur(30 * time.Second), "30 s"},
		{"time same day", fmtTime(at.Add(-time.Hour), at), "13:30 UTC"},
		{"time other day", fmtTime(at.Add(-48*time.Hour), at), "2025-03-02 14:30 UTC"},
		{"time zero", fmtTime(time.Time{}, at), ""},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s = %q, want %q", tt.name, tt.got, tt.want)
		}
	}
}

func TestClean(t *testing.T) {
	tests := []struct {
		in   string
		max  int
		want string
	}{
		{"plain", 10, "plain"},
		{"a\nb\tc\x00d", 10, "a b c d"},
		{"  lots   of   space  ", 20, "lots of space"},
		{"abcdefghij", 5, "abcde…"},
		{"\xff\xfeok", 10, "\uFFFDok"},
		{"héllo wörld", 7, "héllo w…"},
	}
	for _, tt := range tests {
		if got := clean(tt.in, tt.max); got != tt.want {
			t.Errorf("clean(%q, %d) = %q, want %q", tt.in, tt.max, got, tt.want)
		}
	}
	if got := cleanSample("abc\xffdef\n", 100); got != "abc\uFFFDdef" {
		t.Errorf("cleanSample = %q", got)
	}
	if got := cleanSample("ééé", 3); got != "é…" {
		t.Errorf("cleanSample cut = %q, want a whole rune", got)
	}
}

func TestTemplateRender(t *testing.T) {
	params := map[string]string{"db": "orders", "activity": "5 errors in 15 min", "ip": "", "route": "/api"}
	tests := []struct {
		tmpl   string
		want   string
		wantOK bool
	}{
		{"Check the {db} pool: {activity}", "Check the orders pool: 5 errors in 15 min", true},
		{"Check the [{db} ]database", "Check the orders database", true},
		{"Block [{ip} ]now", "Block now", true},
		{"Block {ip|the clients}", "Block the clients", true},
		{"Fix {ip,route|it}", "Fix /api", true},
		{"Fix {ip}", "Fix", false},
		{"Fix {ip} , then {db} .", "Fix, then orders.", false},
		{"Optional [skip {ip} entirely ]and go", "Optional and go", true},
	}
	for _, tt := range tests {
		tm, err := parseTemplate(tt.tmpl)
		if err != nil {
			t.Fatalf("parseTemplate(%q) = %v", tt.tmpl, err)
		}
		got, ok := tm.render(params)
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("render(%q) = %q, %v; want %q, %v", tt.tmpl, got, ok, tt.want, tt.wantOK)
		}
	}
	for _, bad := range []string{"{a", "a}", "[a", "a]", "[[a]]", "{}", "{a,|b}", "{a{b}}"} {
		if _, err := parseTemplate(bad); err == nil {
			t.Errorf("parseTemplate(%q) = nil error, want one", bad)
		}
	}
}

func TestTidy(t *testing.T) {
	tests := map[string]string{
		"  a  b ":         "a b",
		"a , b .":         "a, b.",
		"x ( y )":         "x ( y)",
		"line\nbreak\tok": "line break ok",
	}
	for in, want := range tests {
		if got := tidy(in); got != want {
			t.Errorf("tidy(%q) = %q, want %q", in, got, want)
		}
	}
}

// One format per unit: a multiple is ×N, a share a percentage, whatever
// the number is called; old reports without units are read by name.
func TestFormatNumber(t *testing.T) {
	tests := []struct {
		key   string
		units map[string]string
		v     float64
		want  string
	}{
		{"surge_ratio", nil, 19.46, "×19"},
		{"surge_ratio", nil, 2.345, "×2.3"},
		{"error_share", nil, 0.34, "34%"},
		{"p_high", nil, 0.052, "5.2%"},
		{"error_rate_value", nil, 0.008, "0.8%"},
		{"latency_baseline", nil, 111, "111 ms"},
		{"cpu_value", nil, 90.3, "90.3%"},
		{"memory_value", map[string]string{"memory_value": "MB"}, 800, "800 MB"},
		{"memory_value", map[string]string{"memory_value": "%"}, 91, "91%"},
		{"errors", nil, 12345, "12,345"},
		{"window_minutes", nil, 15, "15 min"},
		{"history_hours", nil, 48, "48 h"},
		{"explains_symptoms", nil, 3, "3"},
	}
	for _, tt := range tests {
		if got := FormatNumber(tt.v, NumberUnit(tt.key, tt.units)); got != tt.want {
			t.Errorf("FormatNumber(%v, NumberUnit(%q)) = %q, want %q", tt.v, tt.key, got, tt.want)
		}
	}
}
