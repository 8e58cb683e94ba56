package notify

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/cloudsage/cloudsage"
	"github.com/cloudsage/cloudsage/internal/mail"
	"github.com/cloudsage/cloudsage/internal/store"
)

// SignatureHeader carries a generic webhook's signature:
// "t=<unix seconds>,v1=<hex HMAC-SHA256 of "<unix seconds>.<body>" keyed
// with the channel's secret>".
const SignatureHeader = "X-CloudSage-Signature"

// Sign returns the SignatureHeader value for body sent at t.
func Sign(secret string, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(ts))
	mac.Write([]byte{'.'})
	mac.Write(body)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac.Sum(nil))
}

// Verify checks a SignatureHeader value against body with secret, refusing
// signatures older (or newer) than tolerance at now: what a receiver does.
func Verify(secret, header string, body []byte, now time.Time, tolerance time.Duration) error {
	var ts, sig string
	for _, part := range strings.Split(header, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			sig = v
		}
	}
	n, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || sig == "" {
		return errors.New("malformed signature header")
	}
	if d := now.Sub(time.Unix(n, 0)); d > tolerance || d < -tolerance {
		return fmt.Errorf("signature time %s is outside the %s tolerance", time.Unix(n, 0).UTC().Format(time.RFC3339), tolerance)
	}
	want := Sign(secret, time.Unix(n, 0), body)
	if !hmac.Equal([]byte(want), []byte("t="+ts+",v1="+sig)) {
		return errors.New("signature does not match")
	}
	return nil
}

// Guard refuses webhook targets on loopback, private, link-local and other
// internal addresses when DenyPrivate is set (CLOUDSAGE_WEBHOOK_DENY_PRIVATE):
// at channel creation, and again at every connection, on the address
// actually dialled, so a name that resolves elsewhere later (DNS
// rebinding) is still refused. A nil Guard allows everything.
type Guard struct {
	DenyPrivate bool
	Resolver    *net.Resolver // nil: net.DefaultResolver
}

var cgnat = netip.MustParsePrefix("100.64.0.0/10")

// Internal reports whether ip is an address a shared server must not call:
// loopback, private (RFC 1918, fc00::/7), link-local, CGNAT, unspecified or
// multicast.
func Internal(ip netip.Addr) bool {
	ip = ip.Unmap()
	return ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsInterfaceLocalMulticast() || ip.IsMulticast() || ip.IsUnspecified() || cgnat.Contains(ip)
}

func (g *Guard) on() bool { return g != nil && g.DenyPrivate }

var errPrivate = errors.New("refused: the target resolves to a loopback, private or link-local address, and this server is set to deny those (CLOUDSAGE_WEBHOOK_DENY_PRIVATE)")

// CheckURL resolves u's host and refuses it if any address is internal.
func (g *Guard) CheckURL(u *url.URL) error {
	if !g.on() {
		return nil
	}
	host := u.Hostname()
	if ip, err := netip.ParseAddr(host); err == nil {
		if Internal(ip) {
			return errPrivate
		}
		return nil
	}
	r := g.Resolver
	if r == nil {
		r = net.DefaultResolver
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ips, err := r.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return fmt.Errorf("cannot resolve %q: %w", host, err)
	}
	for _, ip := range ips {
		if Internal(ip) {
			return errPrivate
		}
	}
	return nil
}

// control is the dialer's Control hook: it sees the resolved address each
// connection is about to use.
func (g *Guard) control(network, address string, _ syscall.RawConn) error {
	if !g.on() {
		return nil
	}
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("dial %s: %w", address, err)
	}
	if Internal(ap.Addr()) {
		return errPrivate
	}
	return nil
}

// SendError is a failed delivery: Permanent ones (a 4xx answer other than
// 429, a refused target) are not retried; RetryAfter, when set, is when
// the receiver asked to be called again (429 Retry-After).
type SendError struct {
	Permanent  bool
	RetryAfter time.Duration
	Err        error
}

func (e *SendError) Error() string { return e.Err.Error() }
func (e *SendError) Unwrap() error { return e.Err }

// Sender delivers messages to channels.
type Sender struct {
	http *http.Client
	mail *mail.Sender // nil: email is not configured
	now  func() time.Time
}

// NewSender returns a Sender whose HTTP connections go through guard;
// mailer may be nil.
func NewSender(guard *Guard, mailer *mail.Sender, now func() time.Time) *Sender {
	d := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second, Control: guard.control}
	tr := &http.Transport{
		Proxy:                 nil, // a proxy would be dialled instead of the target, past the guard
		DialContext:           d.DialContext,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: 15 * time.Second,
		MaxIdleConns:          20,
		IdleConnTimeout:       90 * time.Second,
	}
	return &Sender{
		http: &http.Client{Transport: tr, Timeout: 20 * time.Second,
			// Redirects are not followed: a receiver that moved says so with an error.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }},
		mail: mailer,
		now:  now,
	}
}

// MailEnabled reports whether email channels can be used.
func (s *Sender) MailEnabled() bool { return s.mail != nil }

// Send delivers m to channel c.
func (s *Sender) Send(ctx context.Context, c store.Channel, m Message) error {
	var body []byte
	var err error
	switch c.Type {
	case Email:
		if s.mail == nil {
			return &SendError{Err: errors.New("no SMTP server configured (CLOUDSAGE_SMTP_HOST)")}
		}
		to, err := mail.ParseAddresses(c.Target)
		if err != nil {
			return &SendError{Permanent: true, Err: err}
		}
		msg, err := m.Mail(to)
		if err != nil {
			return &SendError{Permanent: true, Err: err}
		}
		if err := s.mail.Send(ctx, msg); err != nil {
			var me *mail.Error
			return &SendError{Permanent: errors.As(err, &me) && !me.Temporary, Err: err}
		}
		return nil
	case Slack:
		body, err = m.Slack()
	case Discord:
		body, err = m.Discord()
	case Webhook:
		body, err = m.Webhook()
	default:
		return &SendError{Permanent: true, Err: fmt.Errorf("unknown channel type %q", c.Type)}
	}
	if err != nil {
		return &SendError{Permanent: true, Err: err}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.Target, bytes.NewReader(body))
	if err != nil {
		return &SendError{Permanent: true, Err: fmt.Errorf("bad target URL: %w", err)}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "CloudSage/"+cloudsage.Version)
	if c.Type == Webhook {
		req.Header.Set("X-CloudSage-Delivery", m.ID)
		if c.Secret != "" {
			req.Header.Set(SignatureHeader, Sign(c.Secret, s.now(), body))
		}
	}
	res, err := s.http.Do(req)
	if err != nil {
		return &SendError{Permanent: errors.Is(err, errPrivate), Err: redactURL(err, c.Target)}
	}
	defer res.Body.Close()
	snippet, _ := io.ReadAll(io.LimitReader(res.Body, 300))
	io.Copy(io.Discard, io.LimitReader(res.Body, 1<<20))
	if res.StatusCode/100 == 2 {
		return nil
	}
	msg := fmt.Errorf("the receiver answered %s: %s", res.Status, strings.TrimSpace(string(snippet)))
	switch {
	case res.StatusCode == http.StatusTooManyRequests:
		return &SendError{RetryAfter: retryAfter(res.Header.Get("Retry-After"), s.now()), Err: msg}
	case res.StatusCode >= 500:
		return &SendError{Err: msg}
	default: // 3xx (not followed) and 4xx: the request itself is wrong
		return &SendError{Permanent: true, Err: msg}
	}
}

// retryAfter reads a Retry-After header: seconds or an HTTP date.
func retryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if n, err := strconv.Atoi(v); err == nil && n >= 0 {
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// redactURL replaces the target URL in err's text (Slack and Discord URLs
// hold their key in the path) with its scheme and host.
func redactURL(err error, target string) error {
	u, perr := url.Parse(target)
	if perr != nil {
		return errors.New("request failed")
	}
	msg := strings.ReplaceAll(err.Error(), target, u.Scheme+"://"+u.Host+"/…")
	msg = strings.ReplaceAll(msg, strconv.Quote(target), strconv.Quote(u.Scheme+"://"+u.Host+"/…"))
	return errors.New(msg)
}
