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
	cfg.TCP, cfg.UDP, cfg.FlushEvery = "127.0.0.1:0", "127.0.0.1:0", 20*time.Millisecond
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
