package parse

import (
	"strings"
	"testing"

	"github.com/cloudsage/cloudsage"
)

func TestMultiline(t *testing.T) {
	f := func(name, in string, wantEvents int, wantMsg string, wantLevel cloudsage.Level, wantLines int) {
		t.Helper()
		t.Run(name, func(t *testing.T) {
			t.Helper()
			evs := Text(in)
			if len(evs) != wantEvents {
				for _, e := range evs {
					t.Logf("event %q", e.Raw)
				}
				t.Fatalf("%d events, want %d", len(evs), wantEvents)
			}
			ev := evs[0]
			if ev.Message != wantMsg {
				t.Errorf("Message = %q, want %q", ev.Message, wantMsg)
			}
			if ev.Level != wantLevel {
				t.Errorf("Level = %v, want %v", ev.Level, wantLevel)
			}
			if got := strings.Count(ev.Raw, "\n") + 1; got != wantLines {
				t.Errorf("Raw has %d lines, want %d", got, wantLines)
			}
		})
	}
	f("java", `2024-01-15 10:00:00.000 [main] ERROR c.a.Svc - request failed
java.lang.IllegalStateException: boom
	at com.acme.Svc.run(Svc.java:10)
	at java.base/java.lang.Thread.run(Thread.java:833)
Caused by: java.io.IOException: closed
	at com.acme.Io.read(Io.java:5)
	... 12 more
2024-01-15 10:00:01.000 [main] INFO c.a.Svc - next`, 2, "request failed", cloudsage.LevelError, 7)
	f("java exception first", `Exception in thread "main" java.lang.NullPointerException
	at Main.main(Main.java:3)`, 1, `Exception in thread "main" java.lang.NullPointerException`, cloudsage.LevelError, 2)
	f("python", `2024-01-15 10:00:00,000 - app - ERROR - unhandled
Traceback (most recent call last):
  File "/srv/a.py", line 3, in <module>
    main()
  File "/srv/a.py", line 2, in main
    raise ValueError("bad")
ValueError: bad
2024-01-15 10:00:01,000 - app - INFO - next`, 2, "unhandled | ValueError: bad", cloudsage.LevelError, 7)
	f("python bare", `Traceback (most recent call last):
  File "x.py", line 1, in <module>
KeyError: 'user_id'`, 1, "KeyError: 'user_id'", cloudsage.LevelError, 3)
	f("python chained", `Traceback (most recent call last):
  File "x.py", line 1, in <module>
KeyError: 'a'

During handling of the above exception, another exception occurred:

Traceback (most recent call last):
  File "x.py", line 3, in <module>
RuntimeError: wrapped`, 1, "RuntimeError: wrapped", cloudsage.LevelError, 7)
	f("go panic", `panic: runtime error: index out of range [5] with length 3

goroutine 1 [running]:
main.main()
	/tmp/x.go:8 +0x1d
exit status 2`, 1, "panic: runtime error: index out of range [5] with length 3", cloudsage.LevelFatal, 5)
	f("goroutine dump", `fatal error: all goroutines are asleep - deadlock!

goroutine 1 [chan receive]:
main.main()
	/tmp/x.go:5 +0x2d
created by main.start in goroutine 1
	/tmp/x.go:9 +0x3e`, 1, "fatal error: all goroutines are asleep - deadlock!", cloudsage.LevelFatal, 6)
	f("node", `{"level":50,"msg":"TypeError: x is undefined"}
    at handler (/srv/app.js:10:5)
    at process.processTicksAndRejections (node:internal/process/task_queues:95:5)`, 1, "TypeError: x is undefined", cloudsage.LevelError, 3)
	f("node plain", `TypeError: Cannot read properties of undefined (reading 'id')
    at get (/srv/a.js:1:1)`, 1, "TypeError: Cannot read properties of undefined (reading 'id')", cloudsage.LevelError, 2)
	f("indented line after an ordinary event stays apart", `2024-01-15T10:00:00Z INFO config:
  key: value`, 2, "config:", cloudsage.LevelInfo, 1)
	f("exception line after info stays apart", `2024-01-15T10:00:00Z INFO retrying
RuntimeError: transient`, 2, "retrying", cloudsage.LevelInfo, 1)
}

func TestMultilineCaps(t *testing.T) {
	var b strings.Builder
	b.WriteString("2024-01-15T10:00:00Z ERROR boom\n")
	for i := 0; i < 5000; i++ {
		b.WriteString("\tat com.acme.Deep.call(Deep.java:1)\n")
	}
	evs := Text(b.String())
	if len(evs) != 1 {
		t.Fatalf("%d events, want 1", len(evs))
	}
	if n := strings.Count(evs[0].Raw, "\n") + 1; n > MaxTraceLines {
		t.Errorf("Raw has %d lines, want at most %d", n, MaxTraceLines)
	}
	if evs[0].Fields["dropped_lines"] == "" {
		t.Errorf("Fields = %v, want dropped_lines", evs[0].Fields)
	}
}
