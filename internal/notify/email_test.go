package notify_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cloudsage/cloudsage/internal/mail"
	"github.com/cloudsage/cloudsage/internal/notify"
	"github.com/cloudsage/cloudsage/internal/store"
	"github.com/cloudsage/cloudsage/internal/testenv"
)

// TestEmailThroughSMTP: an email channel's test message and a real
// notification reach a real SMTP server (mailpit, STARTTLS with a password)
// with both bodies, the score, the factors and the link.
func TestEmailThroughSMTP(t *testing.T) {
	mp := testenv.StartMailpit(t, true, "--smtp-require-starttls")
	r := newRig(t, openSQLite(t, filepath.Join(t.TempDir(), "cs.db")), "UTC")
	mailer := mail.New(mail.Config{Host: mp.Host, Port: mp.Port, Username: "cloudsage", Password: "pw", From: "CloudSage <alerts@example.com>",
		TLSConfig: mp.TLSConfig()})
	r.n = notify.New(r.st, notify.NewSender(nil, mailer, r.clk.Now), r.opts)
	r.svc.SetNotifier(r.n)
	c := store.Channel{Type: notify.Email, Name: "oncall", Target: "oncall@example.com, Lead <lead@example.com>"}
	if err := notify.CheckChannel(&c, r.n.MailEnabled(), nil); err != nil {
		t.Fatal(err)
	}
	c = r.channel(c)
	rec, err := r.n.SendTest(context.Background(), r.pr, c)
	if err != nil || rec.Status != store.NotifySent {
		t.Fatalf("test email: %v %+v", err, rec)
	}
	r.report("high", 88)
	if n := r.deliver(); n != 1 {
		t.Fatalf("delivered %d messages, want 1", n)
	}
	in := mp.Messages(t, 2)
	if len(in) != 2 {
		t.Fatalf("mailpit holds %d messages, want 2", len(in))
	}
	m := in[0] // newest first: the notification
	if !strings.Contains(m.Subject, "[CloudSage] shop: 2 notifications") || len(m.To) != 2 {
		t.Errorf("notification mail: %+v", m)
	}
	if !strings.Contains(in[1].Subject, "test message") {
		t.Errorf("test mail subject %q", in[1].Subject)
	}
	var body struct{ Text, HTML string }
	body.Text, body.HTML = mp.Body(t, m.ID)
	for _, want := range []string{"risk is now HIGH", "Score 88/100", "error_rate", "http://cs.test/projects/"} {
		if !strings.Contains(body.Text, want) || !strings.Contains(body.HTML, want) {
			t.Errorf("mail bodies lack %q:\n%s\n%s", want, body.Text, body.HTML)
		}
	}
}
