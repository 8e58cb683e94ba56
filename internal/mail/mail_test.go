package mail_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/cloudsage/cloudsage/internal/mail"
	"github.com/cloudsage/cloudsage/internal/testenv"
)

var msg = mail.Message{To: []string{"ops@example.com", "dev@example.com"}, Subject: "[CloudSage] shop: risk is now HIGH",
	Text: "Score 80/100, HIGH\nOpen the project: http://cs.test/projects/1\n", HTML: "<p><strong>Score 80/100</strong></p>"}

// TestStartTLSWithAuth: STARTTLS is required by the server and used, with
// a user name and password, and both bodies arrive.
func TestStartTLSWithAuth(t *testing.T) {
	mp := testenv.StartMailpit(t, true, "--smtp-require-starttls")
	s := mail.New(mail.Config{Host: mp.Host, Port: mp.Port, Username: "cloudsage", Password: "pw", From: "CloudSage <alerts@example.com>",
		TLS: mail.StartTLS, TLSConfig: mp.TLSConfig()})
	if err := s.Send(context.Background(), msg); err != nil {
		t.Fatal(err)
	}
	m := mp.Messages(t, 1)[0]
	if m.Subject != msg.Subject || len(m.To) != 2 || m.To[0].Address != "ops@example.com" {
		t.Errorf("received %+v", m)
	}
	text, html := mp.Body(t, m.ID)
	if !strings.Contains(text, "Score 80/100, HIGH") || !strings.Contains(html, "<strong>Score 80/100</strong>") {
		t.Errorf("bodies: text %q html %q", text, html)
	}
}

// TestImplicitTLS: TLS from the first byte (port 465 style).
func TestImplicitTLS(t *testing.T) {
	mp := testenv.StartMailpit(t, true, "--smtp-require-tls")
	s := mail.New(mail.Config{Host: mp.Host, Port: mp.Port, From: "alerts@example.com", TLS: mail.TLS, TLSConfig: mp.TLSConfig()})
	if err := s.Send(context.Background(), msg); err != nil {
		t.Fatal(err)
	}
	mp.Messages(t, 1)
}

// TestNoDowngrade: a server that offers no STARTTLS is refused when
// STARTTLS is asked for, rather than sending in clear.
func TestNoDowngrade(t *testing.T) {
	mp := testenv.StartMailpit(t, false)
	s := mail.New(mail.Config{Host: mp.Host, Port: mp.Port, From: "alerts@example.com", TLS: mail.StartTLS, Timeout: 5 * time.Second})
	if err := s.Send(context.Background(), msg); err == nil {
		t.Fatal("sent without TLS")
	}
	// With TLS off on purpose (a local relay), it goes through.
	s = mail.New(mail.Config{Host: mp.Host, Port: mp.Port, From: "alerts@example.com", TLS: mail.NoTLS})
	if err := s.Send(context.Background(), msg); err != nil {
		t.Fatal(err)
	}
	mp.Messages(t, 1)
}

// TestRejectedRecipientIsPermanent: a 5xx answer is not worth retrying.
func TestRejectedRecipientIsPermanent(t *testing.T) {
	mp := testenv.StartMailpit(t, false, "--smtp-allowed-recipients", "^ok@")
	s := mail.New(mail.Config{Host: mp.Host, Port: mp.Port, From: "alerts@example.com", TLS: mail.NoTLS})
	err := s.Send(context.Background(), mail.Message{To: []string{"nobody@example.com"}, Subject: "x", Text: "x"})
	var me *mail.Error
	if !errors.As(err, &me) || me.Temporary {
		t.Fatalf("rejected recipient: %v (%+v)", err, me)
	}
}

func TestConfig(t *testing.T) {
	if err := (mail.Config{}).Validate(); err != nil {
		t.Errorf("empty config (mail off): %v", err)
	}
	bad := []mail.Config{
		{Host: "smtp.example.com"},
		{Host: "smtp.example.com", From: "not an address"},
		{Host: "smtp.example.com", From: "a@example.com", TLS: "ssl"},
		{Host: "smtp.example.com", From: "a@example.com", Port: 70000},
	}
	for _, c := range bad {
		if err := c.Validate(); err == nil {
			t.Errorf("Validate(%+v) passed", c)
		}
	}
	if as, err := mail.ParseAddresses("a@example.com, Bob <b@example.com>"); err != nil || len(as) != 2 || as[1] != "b@example.com" {
		t.Errorf("ParseAddresses = %v, %v", as, err)
	}
}
