package parse

import (
	"testing"

	"github.com/cloudsage/cloudsage"
)

func TestLevelValue(t *testing.T) {
	tests := []struct {
		in   string
		want cloudsage.Level
		ok   bool
	}{
		{"INFO", cloudsage.LevelInfo, true}, {"info", cloudsage.LevelInfo, true}, {"Information", cloudsage.LevelInfo, true},
		{"WARNING", cloudsage.LevelWarn, true}, {"warn", cloudsage.LevelWarn, true},
		{"ERR", cloudsage.LevelError, true}, {"SEVERE", cloudsage.LevelError, true}, {"error", cloudsage.LevelError, true},
		{"CRIT", cloudsage.LevelFatal, true}, {"FATAL", cloudsage.LevelFatal, true}, {"PANIC", cloudsage.LevelFatal, true},
		{"emerg", cloudsage.LevelFatal, true}, {"notice", cloudsage.LevelInfo, true},
		{"TRACE", cloudsage.LevelTrace, true}, {"debug", cloudsage.LevelDebug, true}, {"VERBOSE", cloudsage.LevelTrace, true},
		{"E", cloudsage.LevelError, true}, {"W", cloudsage.LevelWarn, true}, {"I", cloudsage.LevelInfo, true}, {"D", cloudsage.LevelDebug, true},
		{"10", cloudsage.LevelTrace, true}, {"20", cloudsage.LevelDebug, true}, {"30", cloudsage.LevelInfo, true},
		{"40", cloudsage.LevelWarn, true}, {"50", cloudsage.LevelError, true}, {"60", cloudsage.LevelFatal, true},
		{"3", cloudsage.LevelError, true}, {"4", cloudsage.LevelWarn, true}, {"6", cloudsage.LevelInfo, true}, {"7", cloudsage.LevelDebug, true},
		{"banana", cloudsage.LevelUnknown, false}, {"", cloudsage.LevelUnknown, false}, {"99", cloudsage.LevelUnknown, false},
	}
	for _, tt := range tests {
		got, ok := levelValue(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("levelValue(%q) = %v, %v, want %v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestHeaderLevel(t *testing.T) {
	tests := []struct {
		in   string
		want cloudsage.Level
		ok   bool
	}{
		{"ERROR", cloudsage.LevelError, true}, {"Warning", cloudsage.LevelWarn, true}, {"error:", cloudsage.LevelError, true},
		{"production.ERROR:", cloudsage.LevelError, true}, {"W", cloudsage.LevelWarn, true},
		{"error", cloudsage.LevelUnknown, false}, // a lowercase word may start the message
		{"A", cloudsage.LevelUnknown, false}, {"148", cloudsage.LevelUnknown, false},
	}
	for _, tt := range tests {
		got, ok := headerLevel(tt.in)
		if ok != tt.ok || ok && got != tt.want {
			t.Errorf("headerLevel(%q) = %v, %v, want %v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestKeywordLevel(t *testing.T) {
	tests := []struct {
		in   string
		want cloudsage.Level
	}{
		{"connection refused by peer", cloudsage.LevelWarn},
		{"Exception while handling request", cloudsage.LevelError},
		{"kernel panic - not syncing", cloudsage.LevelFatal},
		{"authentication failure; then error", cloudsage.LevelError},
		{"everything is fine", cloudsage.LevelUnknown},
		{"errorless terror", cloudsage.LevelUnknown},
		{"", cloudsage.LevelUnknown},
	}
	for _, tt := range tests {
		if got := keywordLevel(tt.in); got != tt.want {
			t.Errorf("keywordLevel(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestSyslogSeverity(t *testing.T) {
	want := []cloudsage.Level{cloudsage.LevelFatal, cloudsage.LevelFatal, cloudsage.LevelFatal, cloudsage.LevelError,
		cloudsage.LevelWarn, cloudsage.LevelInfo, cloudsage.LevelInfo, cloudsage.LevelDebug}
	for sev, w := range want {
		if got := syslogSeverity(sev); got != w {
			t.Errorf("syslogSeverity(%d) = %v, want %v", sev, got, w)
		}
	}
}
