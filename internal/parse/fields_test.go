package parse

import (
	"strconv"
	"strings"
	"testing"
)

func TestLookupKey(t *testing.T) {
	tests := []struct {
		key  string
		want keyKind
	}{
		{"time", kTime}, {"@timestamp", kTime}, {"TS", kTime}, {"Level", kLevel}, {"log.level", kLevel},
		{"severity", kLevel}, {"msg", kMsg}, {"Message", kMsg}, {"service.name", kService}, {"hostname", kHost},
		{"user_id", kOther}, {strings.Repeat("x", 100), kOther},
	}
	for _, tt := range tests {
		if got := lookupKey(tt.key).kind; got != tt.want {
			t.Errorf("lookupKey(%q) = %v, want %v", tt.key, got, tt.want)
		}
	}
}

func TestFieldsCapped(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{"msg":"many"`)
	for i := 0; i < 1000; i++ {
		b.WriteString(`,"k` + strconv.Itoa(i) + `":1`)
	}
	b.WriteString("}")
	ev := one(t, b.String())
	if ev.Format != FormatJSON || len(ev.Fields) > maxFields {
		t.Errorf("Format %q with %d fields, want json with at most %d", ev.Format, len(ev.Fields), maxFields)
	}
}

func TestUnparsableTimeKeptAsField(t *testing.T) {
	ev := one(t, `{"time":"soon","msg":"x"}`)
	if ev.Fields["time"] != "soon" || !ev.TimeGuessed {
		t.Errorf("Fields %v, TimeGuessed %v: want the time kept as a field and the time guessed", ev.Fields, ev.TimeGuessed)
	}
}
