package parse

import (
	"testing"
	"time"

	"github.com/cloudsage/cloudsage"
)

func TestSyslog(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want want
	}{
		{"rfc5424", `<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application"] An application event`,
			want{format: FormatSyslog5424, time: utc(2003, 10, 11, 22, 14, 15, 3e6), level: cloudsage.LevelInfo, host: "mymachine.example.com", service: "evntslog",
				message: "An application event",
				fields:  map[string]string{"msgid": "ID47", "exampleSDID@32473.iut": "3", "exampleSDID@32473.eventSource": "Application"}}},
		{"rfc5424 nil fields", `<11>1 2024-01-15T10:00:00Z - - - - - disk failing`,
			want{format: FormatSyslog5424, time: utc(2024, 1, 15, 10, 0, 0, 0), level: cloudsage.LevelError, message: "disk failing"}},
		{"rfc3164", `<34>Oct 11 22:14:15 mymachine su[230]: 'su root' failed for lonvick on /dev/pts/8`,
			want{format: FormatSyslog3164, time: utc(1970, 10, 11, 22, 14, 15, 0), level: cloudsage.LevelFatal, host: "mymachine", service: "su",
				message: "'su root' failed for lonvick on /dev/pts/8"}},
		{"rfc3164 iso time", `<13>2024-01-15T10:00:00.123+00:00 web-1 nginx: started`,
			want{format: FormatSyslog3164, time: utc(2024, 1, 15, 10, 0, 0, 123e6), level: cloudsage.LevelInfo, host: "web-1", service: "nginx", message: "started"}},
		{"file without pri", `Jun 14 15:16:01 combo sshd(pam_unix)[19939]: authentication failure; rhost=218.188.2.4 `,
			want{format: FormatSyslog3164, time: utc(1970, 6, 14, 15, 16, 1, 0), level: cloudsage.LevelWarn, host: "combo", service: "sshd(pam_unix)",
				message: "authentication failure; rhost=218.188.2.4"}},
		{"kernel oom", `Mar  3 10:00:00 box kernel: Out of memory: Killed process 123 (java)`,
			want{format: FormatSyslog3164, time: utc(1970, 3, 3, 10, 0, 0, 0), level: cloudsage.LevelError, host: "box", service: "kernel",
				message: "Out of memory: Killed process 123 (java)", signals: cloudsage.Signals{OOM: true}}},
		{"bad pri is not syslog", `<999>hello`, want{format: FormatPlain, guessed: true, message: "<999>hello"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			check(t, tt.in, one(t, tt.in), tt.want)
		})
	}
}

func TestSyslogYearFromDefault(t *testing.T) {
	p := New()
	p.SetDefaultTime(time.Date(2025, 1, 5, 0, 0, 0, 0, time.UTC))
	evs := p.Flush(p.Push(nil, "Dec 31 23:59:59 host app: late"))
	if got, want := evs[0].Time, utc(2024, 12, 31, 23, 59, 59, 0); !got.Equal(want) {
		t.Errorf("Time = %v, want %v (last year, never months in the future)", got, want)
	}
}
