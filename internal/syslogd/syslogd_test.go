package syslogd

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"math/big"
	"net"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cloudsage/cloudsage"
	"github.com/cloudsage/cloudsage/internal/shipper"
	"github.com/cloudsage/cloudsage/internal/testenv"
)

// sink records what the listeners deliver, by token.
type sink struct {
	mu      sync.Mutex
	got     map[string][]shipper.Record
	refuse  int // refuse this many deliveries as rate-limited first
	batches int
}

func (s *sink) deliver(_ context.Context, tok string, res shipper.Result) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.refuse > 0 {
		s.refuse--
		return cloudsage.Errorf(cloudsage.RateLimited, "slow down")
	}
	s.batches++
	if s.got == nil {
		s.got = map[string][]shipper.Record{}
	}
	s.got[tok] = append(s.got[tok], res.Records...)
	return nil
}

// wait returns the messages delivered for tok once there are n of them.
func (s *sink) wait(t *testing.T, tok string, n int) []string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		s.mu.Lock()
		var msgs []string
		for _, r := range s.got[tok] {
			msgs = append(msgs, r.Message)
		}
		s.mu.Unlock()
		if len(msgs) >= n || time.Now().After(deadline) {
			slices.Sort(msgs)
			return msgs
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func serve(t *testing.T, cfg Config, s *sink) *Server {
	t.Helper()
	cfg.TCP, cfg.UDP = "127.0.0.1:0", "127.0.0.1:0"
	if cfg.FlushEvery == 0 {
		cfg.FlushEvery = 20 * time.Millisecond
	}
	srv, err := Listen(cfg, s.deliver, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { srv.Serve(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return srv
}

func send(t *testing.T, network, addr string, data string) {
	t.Helper()
	c, err := net.Dial(network, addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write([]byte(data)); err != nil {
		t.Fatal(err)
	}
}

func TestListeners(t *testing.T) {
	s := &sink{refuse: 2}
	srv := serve(t, Config{}, s)
	tcp, udp := srv.TCPAddr().String(), srv.UDPAddr().String()
	send(t, "tcp", tcp, "<11>1 2026-03-04T05:06:07Z h app - - - newline framed\n<14>Mar  4 05:06:07 h app: rfc3164 over tcp\n")
	m := "<11>1 2026-03-04T05:06:07Z h app - - [cloudsage token=\"tok1\"] octet\ncounted"
	send(t, "tcp", tcp, fmt.Sprintf("%d %s", len(m), m))
	send(t, "udp", udp, "<12>Mar  4 05:06:07 h app[1]: over udp\n")
	got := s.wait(t, "", 3)
	if want := []string{"newline framed", "over udp", "rfc3164 over tcp"}; !slices.Equal(got, want) {
		t.Errorf("default project got %q, want %q", got, want)
	}
	if got := s.wait(t, "tok1", 1); !slices.Equal(got, []string{"octet\ncounted"}) {
		t.Errorf("token project got %q", got)
	}
}

// Messages are stored in batches of FlushLines records or FlushBytes
// bytes, whichever comes first, not one transaction a message; the rest
// waits for FlushEvery (here an hour: never during the test).
func TestBatching(t *testing.T) {
	for _, c := range []struct {
		name         string
		lines, bytes int
	}{{"by count", 5, 1 << 20}, {"by size", 1000, 5 * 30}} {
		t.Run(c.name, func(t *testing.T) {
			s := &sink{}
			srv := serve(t, Config{FlushEvery: time.Hour, FlushLines: c.lines, FlushBytes: c.bytes}, s)
			var frames strings.Builder
			for i := range 12 {
				m := fmt.Sprintf("<14>1 - h app - - - message %03d", i) // 30 bytes
				fmt.Fprintf(&frames, "%d %s", len(m), m)
			}
			send(t, "tcp", srv.TCPAddr().String(), frames.String())
			got := s.wait(t, "", 10)
			time.Sleep(100 * time.Millisecond) // a wrong third batch would show up now
			s.mu.Lock()
			defer s.mu.Unlock()
			if len(got) != 10 || s.batches != 2 || len(s.got[""]) != 10 {
				t.Errorf("%d batches, %d records stored before FlushEvery, want 2 batches of 5", s.batches, len(s.got[""]))
			}
		})
	}
}

// logger(1) from util-linux, the syslog client every Linux box has.
func TestLogger(t *testing.T) {
	bin, err := exec.LookPath("logger")
	if err != nil {
		testenv.Unavailable(t, "logger (util-linux) is not installed")
	}
	s := &sink{}
	srv := serve(t, Config{}, s)
	_, tport, _ := net.SplitHostPort(srv.TCPAddr().String())
	_, uport, _ := net.SplitHostPort(srv.UDPAddr().String())
	for _, args := range [][]string{
		{"--tcp", "--port", tport, "--rfc5424", "-p", "user.err", "-t", "billing", "tcp 5424"},
		{"--tcp", "--octet-count", "--port", tport, "--rfc5424", "-p", "user.err", "-t", "billing", "tcp octet-counted"},
		{"--tcp", "--port", tport, "--rfc3164", "-p", "user.warning", "-t", "billing", "tcp 3164"},
		{"--udp", "--port", uport, "--rfc3164", "-p", "user.warning", "-t", "billing", "udp 3164"},
		{"--udp", "--port", uport, "--rfc5424", "--sd-id", "cloudsage@1", "--sd-param", `token="tok2"`, "-t", "billing", "udp with a token"},
	} {
		if out, err := exec.Command(bin, append([]string{"--server", "127.0.0.1"}, args...)...).CombinedOutput(); err != nil {
			t.Fatalf("logger %v: %v %s", args, err, out)
		}
	}
	got := s.wait(t, "", 4)
	if want := []string{"tcp 3164", "tcp 5424", "tcp octet-counted", "udp 3164"}; !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
	s.mu.Lock()
	for _, r := range s.got[""] {
		if r.Service != "billing" || r.Host == "" || (strings.HasSuffix(r.Message, "3164") != (r.Level == "warn")) {
			t.Errorf("record %+v: want service billing, a host, level warn for 3164 and error for 5424", r)
		}
	}
	s.mu.Unlock()
	if got := s.wait(t, "tok2", 1); !slices.Equal(got, []string{"udp with a token"}) {
		t.Errorf("token from structured data: got %q", got)
	}
}

func TestTLS(t *testing.T) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert := tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
	s := &sink{}
	srv := serve(t, Config{TLS: &tls.Config{Certificates: []tls.Certificate{cert}}}, s)
	pool := x509.NewCertPool()
	leaf, _ := x509.ParseCertificate(der)
	pool.AddCert(leaf)
	c, err := tls.Dial("tcp", srv.TCPAddr().String(), &tls.Config{RootCAs: pool})
	if err != nil {
		t.Fatal(err)
	}
	m := "<11>1 - h app - - - over tls"
	fmt.Fprintf(c, "%d %s", len(m), m)
	c.Close()
	if got := s.wait(t, "", 1); !slices.Equal(got, []string{"over tls"}) {
		t.Errorf("TLS got %q", got)
	}
}

// Bad input: syslog has no answer to send, so what a sender understands is
// the connection: a frame whose octet count is not a number, or a stream
// that ends inside a counted message, closes the connection and stores
// nothing of that frame; a message longer than MaxMessage is cut to it
// (RFC 5424 section 6.1 lets a receiver truncate); a batch whose token
// is refused is dropped, not retried, and the other tokens' batches are
// stored.
func TestBadInput(t *testing.T) {
	s := &refusing{bad: "wrongtoken"}
	srv, err := Listen(Config{TCP: "127.0.0.1:0", FlushEvery: 20 * time.Millisecond, MaxMessage: 100}, s.deliver, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { srv.Serve(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	addr := srv.TCPAddr().String()

	closed := func(name, data string) {
		t.Helper()
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.Write([]byte(data))
		c.(*net.TCPConn).CloseWrite()
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		if n, err := c.Read(make([]byte, 1)); n != 0 || err == nil {
			t.Errorf("%s: the connection was not closed (%d, %v)", name, n, err)
		}
	}
	ok := "<11>1 - h app - - - goodmark kept"
	closed("bad octet count", fmt.Sprintf("%d %s12x3 <11>1 - h app - - - badmark\n", len(ok), ok))
	closed("stream ends inside a message", "200 <11>1 - h app - - - badmark truncated")
	long := "<11>1 - h app - - - longmark " + strings.Repeat("x", 150)
	tok := `<11>1 - h app - - [cloudsage token="wrongtoken"] badmark intruder`
	good := `<11>1 - h app - - [cloudsage token="right"] goodmark other project`
	send(t, "tcp", addr, fmt.Sprintf("%d %s%d %s%d %s", len(long), long, len(tok), tok, len(good), good))

	got := s.wait(t, 3)
	want := []string{"goodmark kept", "goodmark other project", "longmark " + strings.Repeat("x", 100-len("<11>1 - h app - - - longmark "))}
	if !slices.Equal(got, want) {
		t.Errorf("stored %q, want %q", got, want)
	}
	time.Sleep(100 * time.Millisecond) // a retried refused batch would show up now
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.refused != 1 {
		t.Errorf("the wrong-token batch was offered %d times, want once (dropped, not retried)", s.refused)
	}
}

// refusing stores every batch except those of token bad, which it refuses
// as an unknown token.
type refusing struct {
	bad     string
	mu      sync.Mutex
	stored  []string
	refused int
}

func (s *refusing) deliver(_ context.Context, tok string, res shipper.Result) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if tok == s.bad {
		s.refused++
		return cloudsage.Errorf(cloudsage.Unauthorized, "unknown or revoked API token")
	}
	for _, r := range res.Records {
		s.stored = append(s.stored, r.Message)
	}
	return nil
}

func (s *refusing) wait(t *testing.T, n int) []string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		s.mu.Lock()
		got := slices.Clone(s.stored)
		s.mu.Unlock()
		if len(got) >= n || time.Now().After(deadline) {
			slices.Sort(got)
			return got
		}
		time.Sleep(20 * time.Millisecond)
	}
}
