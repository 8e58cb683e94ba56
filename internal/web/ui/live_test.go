package ui

import (
	"bufio"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/cloudsage/cloudsage"
)

func TestBrokerDelivers(t *testing.T) {
	b := NewBroker()
	a, stopA := b.Subscribe(1)
	other, stopO := b.Subscribe(2)
	defer stopO()
	b.Publish(Event{Type: EventScore, Project: 1, Score: 72})
	select {
	case e := <-a:
		if e.Score != 72 {
			t.Errorf("got %+v", e)
		}
	case <-time.After(time.Second):
		t.Fatal("no event")
	}
	select {
	case e := <-other:
		t.Errorf("project 2 got project 1's event %+v", e)
	default:
	}
	stopA()
	stopA() // twice is fine
	if n := b.Subscribers(1); n != 0 {
		t.Errorf("subscribers after stop = %d", n)
	}
	b.Publish(Event{Type: EventScore, Project: 1}) // nobody listens: no panic
}

func TestBrokerSlowSubscriberDoesNotBlock(t *testing.T) {
	b := NewBroker()
	_, stop := b.Subscribe(1)
	defer stop()
	done := make(chan struct{})
	go func() {
		for range 1000 {
			b.Publish(Event{Type: EventBatch, Project: 1})
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Publish blocked on a subscriber that never reads")
	}
}

func TestBrokerClose(t *testing.T) {
	b := NewBroker()
	ch, stop := b.Subscribe(1)
	b.Close()
	if _, ok := <-ch; ok {
		t.Error("a subscription survived Close")
	}
	stop() // after Close: no double close
	late, _ := b.Subscribe(1)
	if _, ok := <-late; ok {
		t.Error("Subscribe after Close returned an open channel")
	}
	b.Publish(Event{Project: 1})
}

func TestStream(t *testing.T) {
	b := NewBroker()
	srv := httptest.NewServer(Stream(b, 5, 50*time.Millisecond))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Errorf("Content-Type = %q", ct)
	}
	if err := waitSubscribers(ctx, b, 5, 1); err != nil {
		t.Fatal(err)
	}
	b.Publish(Event{Type: EventBatch, Project: 5, Lines: 1200, Score: 81, Label: "high", At: testNow})
	b.Publish(Event{Type: EventScore, Project: 5, Score: 81, Label: "high"})
	b.Publish(Event{Type: EventAction, Project: 5, Action: "a<1>", Status: "done"})
	want := []string{
		"event: batch", "data: New logs: 1,200 lines ingested at 18:00:00; risk 81 (High risk).",
		"event: note", "data: New logs: 1,200 lines ingested at 18:00:00; risk 81 (High risk).",
		"event: score", "data: Risk score is now 81 (High risk).",
		"event: action", "data: An action was marked done.",
		"event: note", "data: An action was marked done.",
	}
	sc := bufio.NewScanner(resp.Body)
	var got []string
	keepAlive := false
	for sc.Scan() && len(got) < len(want) {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, ": keep-alive"):
			keepAlive = true
		case strings.HasPrefix(line, "event:"), strings.HasPrefix(line, "data:"):
			got = append(got, line)
		}
	}
	for i := range want {
		if i >= len(got) || got[i] != want[i] {
			t.Fatalf("stream line %d = %q, want %q (all: %q)", i, got, want[i], got)
		}
	}
	for !keepAlive && sc.Scan() {
		keepAlive = strings.HasPrefix(sc.Text(), ": keep-alive")
	}
	if !keepAlive {
		t.Error("no keep-alive comment")
	}
	b.Close() // the stream ends
	for sc.Scan() {
	}
}

func TestEventNoteEscaped(t *testing.T) {
	e := Event{Type: EventBatch, Lines: 1, Label: "<b>"}
	if !strings.Contains(e.Note(), "No data") {
		t.Errorf("Note() = %q: an unknown label is shown as No data", e.Note())
	}
}

// waitSubscribers waits until project has at least n subscribers on b or ctx
// ends, so a test publishes only once a page listens.
func waitSubscribers(ctx context.Context, b *Broker, project cloudsage.ProjectID, n int) error {
	for b.Subscribers(project) < n {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
	return nil
}
