package testenv

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// MailpitVersion is the mailpit .ci/run installs
// (go install github.com/axllent/mailpit@MailpitVersion).
const MailpitVersion = "v1.27.11"

// Mailpit is a real SMTP server (axllent/mailpit) started for a test.
type Mailpit struct {
	SMTP string         // host:port of its SMTP listener
	API  string         // base URL of its HTTP API (GET /api/v1/messages)
	Host string         // the SMTP host name
	Port int            // the SMTP port
	CA   *x509.CertPool // trusts its certificate (with TLS)
}

// StartMailpit runs mailpit on loopback ports until tb ends, with a fresh
// self-signed certificate for 127.0.0.1 when withTLS; extra are more
// mailpit flags (e.g. --smtp-require-starttls). It skips tb (or fails it
// when services are required) when mailpit is not on PATH.
func StartMailpit(tb testing.TB, withTLS bool, extra ...string) *Mailpit {
	tb.Helper()
	bin, err := exec.LookPath("mailpit")
	if err != nil {
		Unavailable(tb, "mailpit not on PATH; email tests skipped (go install github.com/axllent/mailpit@"+MailpitVersion+")")
		return nil
	}
	smtpAddr, httpAddr := freeLoopback(tb), freeLoopback(tb)
	dir := tb.TempDir()
	args := []string{"--smtp", smtpAddr, "--listen", httpAddr, "--database", filepath.Join(dir, "mailpit.db"),
		"--smtp-auth-accept-any", "--smtp-disable-rdns", "--disable-version-check", "--quiet"}
	m := &Mailpit{SMTP: smtpAddr, API: "http://" + httpAddr}
	host, port, _ := net.SplitHostPort(smtpAddr)
	m.Host = host
	m.Port, _ = strconv.Atoi(port)
	if withTLS {
		cert, key, pool := selfSigned(tb, dir)
		m.CA = pool
		args = append(args, "--smtp-tls-cert", cert, "--smtp-tls-key", key)
	} else {
		args = append(args, "--smtp-auth-allow-insecure")
	}
	cmd := exec.Command(bin, append(args, extra...)...)
	out, _ := os.Create(filepath.Join(dir, "mailpit.log"))
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		tb.Fatalf("start mailpit: %v", err)
	}
	tb.Cleanup(func() { cmd.Process.Kill(); cmd.Wait(); out.Close() })
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if res, err := http.Get(m.API + "/api/v1/messages"); err == nil {
			res.Body.Close()
			if c, err := net.DialTimeout("tcp", smtpAddr, time.Second); err == nil {
				c.Close()
				return m
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	log, _ := os.ReadFile(filepath.Join(dir, "mailpit.log"))
	tb.Fatalf("mailpit did not start: %s", log)
	return nil
}

// TLSConfig trusts the server's certificate.
func (m *Mailpit) TLSConfig() *tls.Config {
	return &tls.Config{RootCAs: m.CA, ServerName: m.Host, MinVersion: tls.VersionTLS12}
}

func freeLoopback(tb testing.TB) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// selfSigned writes a certificate and key for 127.0.0.1 and localhost into
// dir and returns their paths and a pool that trusts the certificate.
func selfSigned(tb testing.TB, dir string) (string, string, *x509.CertPool) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	tpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "cloudsage test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true, IsCA: true, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, DNSNames: []string{"localhost"}}
	der, err := x509.CreateCertificate(rand.Reader, tpl, tpl, &key.PublicKey, key)
	if err != nil {
		tb.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		tb.Fatal(err)
	}
	cert, keyPath := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600)
	c, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(c)
	return cert, keyPath, pool
}

// MailpitMessage is a received mail as mailpit's message list shows it.
type MailpitMessage struct {
	ID      string
	Subject string
	To      []struct{ Address string }
}

// Messages returns the mail mailpit holds, newest first, once it holds at
// least n (failing tb after 5 s).
func (m *Mailpit) Messages(tb testing.TB, n int) []MailpitMessage {
	tb.Helper()
	var in struct {
		Messages []MailpitMessage `json:"messages"`
	}
	for range 100 {
		res, err := http.Get(m.API + "/api/v1/messages")
		if err != nil {
			tb.Fatal(err)
		}
		json.NewDecoder(res.Body).Decode(&in)
		res.Body.Close()
		if len(in.Messages) >= n {
			return in.Messages
		}
		time.Sleep(50 * time.Millisecond)
	}
	tb.Fatalf("mailpit holds %d messages, want %d", len(in.Messages), n)
	return nil
}

// Body returns the plain-text and HTML bodies of message id.
func (m *Mailpit) Body(tb testing.TB, id string) (text, html string) {
	tb.Helper()
	res, err := http.Get(m.API + "/api/v1/message/" + id)
	if err != nil {
		tb.Fatal(err)
	}
	defer res.Body.Close()
	var msg struct{ Text, HTML string }
	if err := json.NewDecoder(res.Body).Decode(&msg); err != nil {
		tb.Fatal(err)
	}
	return msg.Text, msg.HTML
}

// Text returns the plain-text body of message id.
func (m *Mailpit) Text(tb testing.TB, id string) string {
	tb.Helper()
	text, _ := m.Body(tb, id)
	return text
}
