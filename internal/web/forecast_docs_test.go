package web

import (
	"testing"
	"time"
)

func TestForecastDocsKeyedByReport(t *testing.T) {
	var fd forecastDocs
	t0 := time.Unix(1700000000, 0)
	body1 := []byte(`{"events": 10, "risk": {"score": 0.2}, "actions": [{"id": "a1"}, {"id": "a2"}]}`)
	body2 := []byte(`{"events": 12, "risk": {"score": 0.3}, "actions": null}`)
	d, err := fd.get(newDocKey(1, t0, t0, 24), body1)
	if err != nil {
		t.Fatal(err)
	}
	if string(d.fields["events"]) != "10" || len(d.actions) != 2 || d.ids[1] != "a2" || d.fields["actions"] != nil {
		t.Fatalf("decoded %+v", d)
	}
	// The same report is not decoded again; a new batch's report is.
	if again, _ := fd.get(newDocKey(1, t0, t0, 24), body2); again != d {
		t.Error("the same report was decoded again")
	}
	d2, err := fd.get(newDocKey(1, t0.Add(time.Second), t0, 24), body2)
	if err != nil || string(d2.fields["events"]) != "12" || len(d2.actions) != 0 {
		t.Errorf("the next batch's report: %+v %v", d2, err)
	}
	if d3, _ := fd.get(newDocKey(1, t0, t0, 72), body2); d3 == d {
		t.Error("another horizon shares the 24 h report's entry")
	}
	if _, err := fd.get(newDocKey(2, t0, t0, 24), []byte(`{"actions": 3}`)); err == nil {
		t.Error("a report whose actions are not a list decoded")
	}
	for i := range maxForecastDocs + 10 {
		fd.get(newDocKey(3, t0.Add(time.Duration(i)), t0, 24), body2)
	}
	if n := len(fd.m); n > maxForecastDocs {
		t.Errorf("%d entries, bound %d", n, maxForecastDocs)
	}
}
