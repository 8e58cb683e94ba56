package config

import (
	"bytes"
	"flag"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"
)

func load(t *testing.T, env map[string]string, args ...string) (Config, error) {
	t.Helper()
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return Load(fs, args, func(k string) string { return env[k] })
}

func TestLoadOrder(t *testing.T) {
	c, err := load(t, nil)
	if err != nil || c.Addr != "127.0.0.1:8080" || c.RateLimit != 100 || c.DataDir != "./cloudsage-data" {
		t.Fatalf("defaults = %+v, %v", c, err)
	}
	env := map[string]string{"CLOUDSAGE_ADDR": "0.0.0.0:9000", "CLOUDSAGE_RATE_LIMIT": "5", "CLOUDSAGE_DATA_DIR": "/d",
		"CLOUDSAGE_SESSION_TTL": "2h", "CLOUDSAGE_CORS_ORIGINS": "https://a.example, https://b.example", "CLOUDSAGE_DEMO": "true"}
	c, err = load(t, env, "-rate-limit", "7")
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "0.0.0.0:9000" || c.RateLimit != 7 || c.DataDir != "/d" || c.SessionTTL != 2*time.Hour || !c.Demo ||
		len(c.CORSOrigins) != 2 || c.CORSOrigins[1] != "https://b.example" {
		t.Errorf("env then flags = %+v", c)
	}
	if _, err := load(t, map[string]string{"CLOUDSAGE_RATE_LIMIT": "many"}); err == nil {
		t.Error("a bad env number gave no error")
	}
}

func TestValidate(t *testing.T) {
	cases := []struct {
		name string
		mod  func(*Config)
		want string // "" = valid
	}{
		{"default", func(*Config) {}, ""},
		{"postgres", func(c *Config) { c.DatabaseURL = "postgres://u@h/db" }, ""},
		{"mysql", func(c *Config) { c.DatabaseURL = "mysql://x" }, "only postgres"},
		{"addr", func(c *Config) { c.Addr = "8080" }, "addr"},
		{"rate", func(c *Config) { c.RateLimit = 0 }, "rate-limit"},
		{"level", func(c *Config) { c.LogLevel = "loud" }, "log-level"},
		{"cors", func(c *Config) { c.CORSOrigins = []string{"example.com"} }, "cors-origins"},
		{"two problems", func(c *Config) { c.RateLimit = 0; c.SessionTTL = 0 }, "session-ttl"},
	}
	for _, tc := range cases {
		c := Default()
		tc.mod(&c)
		err := c.Validate()
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: Validate() = %v, want nil", tc.name, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: Validate() = %v, want mention of %q", tc.name, err, tc.want)
		}
	}
}

func TestSecretRedacted(t *testing.T) {
	c := Default()
	c.DatabaseURL = "postgres://user:hunter2@db/x"
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("start", "config", c, "url", c.DatabaseURL)
	if strings.Contains(buf.String(), "hunter2") || !strings.Contains(buf.String(), "[redacted]") {
		t.Errorf("log = %s, want the URL redacted", buf.String())
	}
	if s := c.DatabaseURL.String(); s != "[redacted]" {
		t.Errorf("String() = %q", s)
	}
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	c.RegisterFlags(fs)
	if strings.Contains(fs.Lookup("database-url").DefValue, "hunter2") {
		t.Error("flag default shows the secret")
	}
}
