package loghub

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/cloudsage/cloudsage/internal/patterns"
	"github.com/cloudsage/cloudsage/internal/testenv"
)

// gaFloor is the floor for the mean GA on the 12 shared
// Loghub-2k systems with the corrected labels (0.987 when written), and
// systemFloor the floor for each system.
const (
	gaFloor     = 0.97
	systemFloor = 0.85
)

func TestLoghubAccuracy(t *testing.T) {
	dir := testenv.Datasets(t, "loghub")
	rep, err := EvaluateDir(dir, patterns.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range rep.Order {
		r := rep.Datasets[name]
		t.Logf("%-10s GA %.3f PA %.3f truth %d patterns %d", name, r.GA, r.PA, r.Truth, r.Predicted)
		if r.GA < systemFloor {
			t.Errorf("%s: GA %.3f < %.2f", name, r.GA, systemFloor)
		}
	}
	t.Logf("mean GA %.4f PA %.4f", rep.MeanGA, rep.MeanPA)
	if rep.MeanGA < gaFloor {
		t.Errorf("mean GA = %.4f, want >= %.2f", rep.MeanGA, gaFloor)
	}
}

func TestFormatRegexp(t *testing.T) {
	tests := []struct {
		format, line, content string
		fields                map[string]string
	}{
		{
			format:  "<Date> <Time> <Level> <Component>: <Content>",
			line:    "17/06/09 20:10:40 INFO spark.SecurityManager: Changing view acls to: yarn,curi",
			content: "Changing view acls to: yarn,curi",
			fields:  map[string]string{"Level": "INFO", "Component": "spark.SecurityManager"},
		},
		{
			format:  `<Month> <Date> <Time> <Level> <Component>(\[<PID>\])?: <Content>`,
			line:    "Jun 14 15:16:01 combo sshd(pam_unix)[19939]: check pass; user unknown",
			content: "check pass; user unknown",
			fields:  map[string]string{"Component": "sshd(pam_unix)", "PID": "19939"},
		},
		{
			format:  `<Month> <Date> <Time> <Level> <Component>(\[<PID>\])?: <Content>`,
			line:    "Jun  9 06:06:20 combo syslogd 1.4.1: restart.",
			content: "restart.",
			fields:  map[string]string{"Component": "syslogd 1.4.1", "PID": ""},
		},
		{
			format:  "<Date> <Time>, <Level>                  <Component>    <Content>",
			line:    "2016-09-28 04:30:30, Info                  CBS    Loaded Servicing Stack v6.1.7601.23505",
			content: "Loaded Servicing Stack v6.1.7601.23505",
			fields:  map[string]string{"Level": "Info", "Component": "CBS"},
		},
		{
			format:  `\[<Time>\] \[<Level>\] <Content>`,
			line:    "[Sun Dec 04 04:47:44 2005] [notice] workerEnv.init() ok /etc/httpd/conf/workers2.properties",
			content: "workerEnv.init() ok /etc/httpd/conf/workers2.properties",
			fields:  map[string]string{"Time": "Sun Dec 04 04:47:44 2005", "Level": "notice"},
		},
	}
	for _, tt := range tests {
		re, err := FormatRegexp(tt.format)
		if err != nil {
			t.Fatalf("FormatRegexp(%q): %v", tt.format, err)
		}
		m := re.FindStringSubmatch(tt.line)
		if m == nil {
			t.Errorf("FormatRegexp(%q) does not match %q", tt.format, tt.line)
			continue
		}
		if got := m[re.SubexpIndex("Content")]; got != tt.content {
			t.Errorf("FormatRegexp(%q) Content of %q = %q, want %q", tt.format, tt.line, got, tt.content)
		}
		for k, v := range tt.fields {
			if got := m[re.SubexpIndex(k)]; got != v {
				t.Errorf("FormatRegexp(%q) %s of %q = %q, want %q", tt.format, k, tt.line, got, v)
			}
		}
	}
	for _, bad := range []string{"<Date> <Time>", "<Content> (", ""} {
		if _, err := FormatRegexp(bad); err == nil {
			t.Errorf("FormatRegexp(%q): no error", bad)
		}
	}
}

func FuzzFormatRegexp(f *testing.F) {
	f.Add("<Date> <Time> <Level> <Component>: <Content>", "a b c d: e")
	f.Add(`\[<Time>\] \[<Level>\] <Content>`, "[x] [y] z")
	f.Fuzz(func(t *testing.T, format, line string) {
		re, err := FormatRegexp(format)
		if err != nil {
			return
		}
		re.FindStringSubmatch(line) // must not panic
	})
}

func TestGroupingAccuracy(t *testing.T) {
	tests := []struct {
		name        string
		pred, truth []string
		want        float64
	}{
		{"perfect", []string{"a", "a", "b"}, []string{"x", "x", "y"}, 1},
		{"ids need not match names", []string{"1", "2", "2"}, []string{"y", "x", "x"}, 1},
		{"a merged group is wrong for all its lines", []string{"a", "a", "a", "b"}, []string{"x", "x", "y", "z"}, 0.25},
		{"a split group is wrong for all its lines", []string{"a", "b", "c"}, []string{"x", "x", "y"}, 1.0 / 3},
		{"empty", nil, nil, 0},
		{"length mismatch", []string{"a"}, nil, 0},
	}
	for _, tt := range tests {
		if got := GroupingAccuracy(tt.pred, tt.truth); got != tt.want {
			t.Errorf("%s: GroupingAccuracy(%v, %v) = %v, want %v", tt.name, tt.pred, tt.truth, got, tt.want)
		}
	}
}

func TestParsingAccuracy(t *testing.T) {
	pred := []string{"a <*> b", "x  <*> <*>", "<*>:<*> c", "d", "(<*>) e"}
	truth := []string{"a <*> b", "x <*>", "<*> c", "e", "<*> e"}
	if got, want := ParsingAccuracy(pred, truth), 0.6; got != want {
		t.Errorf("ParsingAccuracy = %v, want %v", got, want)
	}
	for in, want := range map[string]string{
		" a  <*> <*>\tb ": "a <*> b",
		"<*><*>":          "<*>",
		"<*>:<*>":         "<*>",
		"(<*>, <*>)":      "(<*>)",
		"<*>x<*>":         "<*>x<*>",
		"":                "",
	} {
		if got := NormaliseTemplate(in); got != want {
			t.Errorf("NormaliseTemplate(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("formats.json", `{"_note": "x", "Demo": {"log_format": "<Level> <Content>", "log_file": "Demo/Demo_2k.log", "regex": ["\\d+"]}}`)
	write("Demo/Demo_2k.log", "INFO worker 1 started\r\nWARN worker 2 started\r\nINFO disk \"full, really\"\r\n")
	write("Demo/Demo_2k.log_structured_corrected.csv", "LineId,Level,Content,EventId,EventTemplate\n"+
		"1,INFO,worker 1 started,E1,worker <*> started\n"+
		"2,WARN,worker 2 started,E1,worker <*> started\n"+
		"3,INFO,\"disk \"\"full, really\"\"\",E2,\"disk \"\"full, really\"\"\"\n")
	rep, err := EvaluateDir(dir, patterns.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	r, ok := rep.Datasets["Demo"]
	if !ok || r.Lines != 3 || r.Truth != 2 {
		t.Fatalf("EvaluateDir = %+v, want Demo with 3 lines and 2 templates", rep)
	}
	if r.GA != 1 || rep.MeanGA != 1 {
		t.Errorf("GA = %v (mean %v), want 1", r.GA, rep.MeanGA)
	}
	// A ground truth with a different number of rows is an error.
	write("Demo/Demo_2k.log_structured_corrected.csv", "LineId,EventTemplate\n1,x\n")
	if _, err := EvaluateDir(dir, patterns.DefaultConfig()); err == nil {
		t.Error("EvaluateDir with 3 lines and 1 label: no error")
	}
	if _, err := EvaluateDir(t.TempDir(), patterns.DefaultConfig()); err == nil {
		t.Error("EvaluateDir on an empty folder: no error")
	}
}

func TestLogPath(t *testing.T) {
	if got, want := (Format{}).LogPath("d", "HDFS"), filepath.Join("d", "HDFS", "HDFS_2k.log"); got != want {
		t.Errorf("default LogPath = %q, want %q", got, want)
	}
	if got, want := (Format{LogFile: "x/y.log"}).LogPath("d", "HDFS"), filepath.Join("d", "x", "y.log"); got != want {
		t.Errorf("LogFile LogPath = %q, want %q", got, want)
	}
}
