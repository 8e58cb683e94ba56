// Package mail sends email over SMTP (github.com/wneessen/go-mail): STARTTLS
// or implicit TLS, optional authentication, plain-text and HTML bodies. It
// knows nothing of what the mail says; notify and account mails build the
// Message.
package mail

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	netmail "net/mail"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// TLS modes.
const (
	StartTLS = "starttls" // plain connection upgraded with STARTTLS (required), usually port 587
	TLS      = "tls"      // implicit TLS from the first byte, usually port 465
	NoTLS    = "none"     // no encryption: only for a relay on the same host or a test server
)

// Config is the SMTP server mail goes through.
type Config struct {
	Host     string
	Port     int // 0: 587 for starttls, 465 for tls, 25 for none
	Username string
	Password string // never logged: callers keep it in a config.Secret until here
	From     string // the sender address, e.g. "CloudSage <alerts@example.com>"
	TLS      string // StartTLS (default), TLS or NoTLS
	Timeout  time.Duration
	// TLSConfig overrides the TLS settings (tests trust their own CA with
	// it); nil means the system roots and ServerName = Host.
	TLSConfig *tls.Config
}

// Enabled reports whether a server is configured.
func (c Config) Enabled() bool { return c.Host != "" }

// Validate returns every problem with c, joined.
func (c Config) Validate() error {
	if !c.Enabled() {
		return nil
	}
	var errs []error
	switch c.TLS {
	case "", StartTLS, TLS, NoTLS:
	default:
		errs = append(errs, fmt.Errorf("smtp-tls %q: want starttls, tls or none", c.TLS))
	}
	if c.Port < 0 || c.Port > 65535 {
		errs = append(errs, fmt.Errorf("smtp-port %d: want 1 to 65535", c.Port))
	}
	if c.From == "" {
		errs = append(errs, errors.New("smtp-from must be set when smtp-host is (the sender address)"))
	} else if _, err := netmail.ParseAddress(c.From); err != nil {
		errs = append(errs, fmt.Errorf("smtp-from %q is not an email address", c.From))
	}
	return errors.Join(errs...)
}

// Message is one email.
type Message struct {
	To      []string
	Subject string
	Text    string // the plain-text body (always sent)
	HTML    string // an HTML alternative (optional)
}

// Sender sends mail through one SMTP server.
type Sender struct{ cfg Config }

// New returns a Sender for cfg (which should have passed Validate).
func New(cfg Config) *Sender {
	if cfg.TLS == "" {
		cfg.TLS = StartTLS
	}
	if cfg.Port == 0 {
		cfg.Port = map[string]int{StartTLS: 587, TLS: 465, NoTLS: 25}[cfg.TLS]
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 20 * time.Second
	}
	return &Sender{cfg: cfg}
}

// ParseAddresses reads a comma-separated list of recipients.
func ParseAddresses(s string) ([]string, error) {
	list, err := netmail.ParseAddressList(s)
	if err != nil || len(list) == 0 {
		return nil, fmt.Errorf("%q is not a comma-separated list of email addresses", s)
	}
	out := make([]string, len(list))
	for i, a := range list {
		out[i] = a.Address
	}
	return out, nil
}

// Error is a failed send; Temporary says whether trying again later may
// work (an SMTP 4xx answer, a network error) or not (a 5xx answer such as
// an unknown recipient).
type Error struct {
	Temporary bool
	Err       error
}

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// Send delivers m; a failure is an *Error.
func (s *Sender) Send(ctx context.Context, m Message) error {
	if !s.cfg.Enabled() {
		return &Error{Err: errors.New("no SMTP server configured (CLOUDSAGE_SMTP_HOST)")}
	}
	msg := gomail.NewMsg()
	if err := msg.From(s.cfg.From); err != nil {
		return &Error{Err: fmt.Errorf("sender address: %w", err)}
	}
	if err := msg.To(m.To...); err != nil {
		return &Error{Err: fmt.Errorf("recipient: %w", err)}
	}
	msg.Subject(m.Subject)
	msg.SetDate()
	msg.SetMessageID()
	msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	if m.HTML != "" {
		msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	}
	opts := []gomail.Option{gomail.WithPort(s.cfg.Port), gomail.WithTimeout(s.cfg.Timeout)}
	tc := s.cfg.TLSConfig
	if tc == nil {
		tc = &tls.Config{ServerName: s.cfg.Host, MinVersion: tls.VersionTLS12}
	}
	switch s.cfg.TLS {
	case TLS:
		opts = append(opts, gomail.WithSSL(), gomail.WithTLSConfig(tc))
	case NoTLS:
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	default:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory), gomail.WithTLSConfig(tc))
	}
	if s.cfg.Username != "" {
		auth := gomail.SMTPAuthPlain
		if s.cfg.TLS == NoTLS {
			auth = gomail.SMTPAuthPlainNoEnc // the operator chose no TLS
		}
		opts = append(opts, gomail.WithSMTPAuth(auth), gomail.WithUsername(s.cfg.Username), gomail.WithPassword(s.cfg.Password))
	}
	c, err := gomail.NewClient(s.cfg.Host, opts...)
	if err != nil {
		return &Error{Err: fmt.Errorf("smtp client: %w", err)}
	}
	if err := c.DialAndSendWithContext(ctx, msg); err != nil {
		return &Error{Temporary: temporary(err), Err: fmt.Errorf("smtp %s:%d: %w", s.cfg.Host, s.cfg.Port, err)}
	}
	return nil
}

// temporary: an SMTP 5xx reply is permanent; a 4xx reply, a refused or
// dropped connection and a timeout are worth retrying.
func temporary(err error) bool {
	var se *gomail.SendError
	if errors.As(err, &se) {
		if code := se.ErrorCode(); code >= 500 && code < 600 {
			return false
		}
		if code := se.ErrorCode(); code >= 400 && code < 500 {
			return true
		}
		if se.IsTemp() {
			return true
		}
		// Authentication and TLS set-up failures are configuration problems,
		// but the operator may fix them: keep retrying with backoff.
		return !strings.Contains(strings.ToLower(se.Error()), "invalid")
	}
	return true
}
