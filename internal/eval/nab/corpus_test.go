package nab

import (
	"bytes"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestLoadCorpus(t *testing.T) {
	fsys := fstest.MapFS{
		"data/catA/one.csv": {Data: []byte("timestamp,value\n2014-04-01 00:00:00,1.5\n2014-04-01 00:05:00,2\n2014-04-01 00:10:00,-3e2\n")},
		"data/catB/two.csv": {Data: []byte("timestamp,value\r\n2015-01-01 10:00:00,7\r\n")},
		"labels/combined_windows.json": {Data: []byte(`{
			"catA/one.csv": [["2014-04-01 00:05:00.000000", "2014-04-01 00:10:00.000000"]],
			"catZ/absent.csv": [["2014-04-01 00:05:00.000000", "2014-04-01 00:10:00.000000"]]
		}`)},
	}
	c, err := LoadCorpus(fsys)
	if err != nil {
		t.Fatal(err)
	}
	at := func(s string) time.Time {
		t.Helper()
		v, err := ParseTime(s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	want := &Corpus{
		Profiles: Profiles(),
		Files: []File{
			{
				Name:    "catA/one.csv",
				Times:   []time.Time{at("2014-04-01 00:00:00"), at("2014-04-01 00:05:00"), at("2014-04-01 00:10:00")},
				Values:  []float64{1.5, 2, -300},
				Windows: []Window{{at("2014-04-01 00:05:00"), at("2014-04-01 00:10:00")}},
			},
			{Name: "catB/two.csv", Times: []time.Time{at("2015-01-01 10:00:00")}, Values: []float64{7}},
		},
	}
	if diff := cmp.Diff(want, c); diff != "" {
		t.Errorf("LoadCorpus() mismatch (-want +got):\n%s", diff)
	}
	if c.Rows() != 4 || c.Windows() != 1 {
		t.Errorf("Rows, Windows = %d, %d, want 4, 1", c.Rows(), c.Windows())
	}
}

func TestLoadCorpusProfiles(t *testing.T) {
	fsys := fstest.MapFS{
		"data/c/f.csv":                 {Data: []byte("timestamp,value\n2014-04-01 00:00:00,1\n")},
		"labels/combined_windows.json": {Data: []byte(`{}`)},
		"config/profiles.json": {Data: []byte(`{"reward_low_FN_rate": {"CostMatrix": {"tpWeight": 1.0, "fnWeight": 2.0, "fpWeight": 0.11}},
			"standard": {"CostMatrix": {"tpWeight": 1.0, "fnWeight": 1.0, "fpWeight": 0.11}},
			"custom": {"CostMatrix": {"tpWeight": 2.0, "fnWeight": 3.0, "fpWeight": 0.5}}}`)},
	}
	c, err := LoadCorpus(fsys)
	if err != nil {
		t.Fatal(err)
	}
	want := []Profile{Standard, RewardLowFN, {Name: "custom", TP: 2, FP: 0.5, FN: 3}}
	if diff := cmp.Diff(want, c.Profiles); diff != "" {
		t.Errorf("profiles mismatch (-want +got):\n%s", diff)
	}
}

func TestLoadCorpusErrors(t *testing.T) {
	windows := &fstest.MapFile{Data: []byte(`{}`)}
	tests := []struct {
		name string
		fsys fstest.MapFS
	}{
		{"no data", fstest.MapFS{"labels/combined_windows.json": windows}},
		{"no labels", fstest.MapFS{"data/c/f.csv": {Data: []byte("timestamp,value\n")}}},
		{"bad value", fstest.MapFS{"data/c/f.csv": {Data: []byte("timestamp,value\n2014-04-01 00:00:00,x\n")}, "labels/combined_windows.json": windows}},
		{"bad time", fstest.MapFS{"data/c/f.csv": {Data: []byte("timestamp,value\n01/04/2014,1\n")}, "labels/combined_windows.json": windows}},
		{"no value column", fstest.MapFS{"data/c/f.csv": {Data: []byte("timestamp,v\n2014-04-01 00:00:00,1\n")}, "labels/combined_windows.json": windows}},
		{"bad window", fstest.MapFS{"data/c/f.csv": {Data: []byte("timestamp,value\n")}, "labels/combined_windows.json": {Data: []byte(`{"c/f.csv": [["2014-04-01 00:00:00"]]}`)}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := LoadCorpus(tt.fsys); err == nil {
				t.Errorf("LoadCorpus() = nil error, want one")
			}
		})
	}
}

func TestReadScores(t *testing.T) {
	in := "timestamp,value,anomaly_score,label\n2014-04-01 00:00:00,3,0.25,0\n2014-04-01 00:05:00,4,1,1\n"
	times, scores, err := ReadScores(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(times) != 2 || !times[1].Equal(time.Date(2014, 4, 1, 0, 5, 0, 0, time.UTC)) {
		t.Errorf("ReadScores times = %v", times)
	}
	if diff := cmp.Diff([]float64{0.25, 1}, scores); diff != "" {
		t.Errorf("ReadScores scores mismatch (-want +got):\n%s", diff)
	}
}

func FuzzReadScores(f *testing.F) {
	f.Add([]byte("timestamp,value,anomaly_score\n2014-04-01 00:00:00,3,0.25\n"))
	f.Add([]byte("timestamp,anomaly_score\n2014-04-01 00:00:00.000000,NaN\n"))
	f.Add([]byte("\"timestamp\nx\",anomaly_score\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		times, scores, err := ReadScores(bytes.NewReader(b))
		if err == nil && len(times) != len(scores) {
			t.Errorf("ReadScores: %d times, %d scores", len(times), len(scores))
		}
	})
}

func BenchmarkReadScores(b *testing.B) {
	var buf bytes.Buffer
	buf.WriteString("timestamp,value,anomaly_score\n")
	t := time.Date(2014, 4, 1, 0, 0, 0, 0, time.UTC)
	for i := range 5000 {
		buf.WriteString(t.Add(time.Duration(i)*5*time.Minute).Format("2006-01-02 15:04:05") + ",42.5,0.125\n")
	}
	b.SetBytes(int64(buf.Len()))
	for b.Loop() {
		if _, _, err := ReadScores(bytes.NewReader(buf.Bytes())); err != nil {
			b.Fatal(err)
		}
	}
}
