package cli

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/cloudsage/cloudsage/internal/forward"
)

// runIngest sends a log file or stdin to a server: `cloudsage ingest --url
// URL --token T [--project ID] [--follow] FILE|-`.
func runIngest(ctx context.Context, args []string, stdio Stdio) error {
	fs := newFlagSet("ingest", "--url URL --token TOKEN [--project ID] [--follow] FILE|-", stdio)
	cfg := forward.Config{URL: os.Getenv("CLOUDSAGE_URL"), Token: os.Getenv("CLOUDSAGE_TOKEN")}
	fs.StringVar(&cfg.URL, "url", cfg.URL, "the CloudSage server, e.g. http://127.0.0.1:8080 (CLOUDSAGE_URL)")
	fs.StringVar(&cfg.Token, "token", cfg.Token, "a project API token (CLOUDSAGE_TOKEN)")
	fs.StringVar(&cfg.Project, "project", "", "the project id the token must belong to (optional)")
	fs.BoolVar(&cfg.Follow, "follow", false, "keep sending what is appended to FILE, across rotation, until interrupted")
	fs.IntVar(&cfg.BatchSize, "batch-bytes", 1<<20, "send a batch when this many bytes of lines are pending")
	fs.DurationVar(&cfg.BatchWait, "batch-wait", time.Second, "or when the oldest pending line is this old (with --follow)")
	state := fs.String("state", "", "file that keeps the offset sent so far (default: one per file, URL and project under the user cache folder; \"none\" keeps none)")
	quiet := fs.Bool("quiet", false, "print only errors")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageError{"give one FILE, or - for stdin"}
	}
	if cfg.URL == "" || cfg.Token == "" {
		return usageError{"--url and --token are required (or CLOUDSAGE_URL and CLOUDSAGE_TOKEN)"}
	}
	cfg.Path, cfg.In = fs.Arg(0), stdio.In
	if cfg.Path == "-" && cfg.Follow {
		return usageError{"--follow needs a FILE (stdin is read until it ends anyway)"}
	}
	if cfg.Path != "-" {
		switch *state {
		case "none":
		case "":
			abs, err := filepath.Abs(cfg.Path)
			if err != nil {
				return err
			}
			dir, err := os.UserCacheDir()
			if err != nil {
				dir = os.TempDir()
			}
			sum := sha256.Sum256([]byte(abs + "\x00" + cfg.URL + "\x00" + cfg.Project))
			cfg.StateFile = filepath.Join(dir, "cloudsage", "ingest-"+hex.EncodeToString(sum[:8])+".json")
		default:
			cfg.StateFile = *state
		}
	}
	if !*quiet {
		cfg.Logf = func(format string, args ...any) { fmt.Fprintf(stdio.Err, "cloudsage ingest: "+format+"\n", args...) }
	}
	st, err := forward.Run(ctx, cfg)
	if !*quiet || err != nil {
		fmt.Fprintf(stdio.Out, "sent %d lines (%d bytes) in %d batches, %d retries\n", st.Lines, st.Bytes, st.Batches, st.Retries)
	}
	if err != nil && ctx.Err() != nil {
		return nil // interrupted: what was acknowledged is recorded
	}
	return err
}
