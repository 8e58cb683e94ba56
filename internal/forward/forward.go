// Package forward is the client side of `cloudsage ingest`: it reads a log
// file (or stdin), optionally follows it as it grows and across rotation,
// batches complete lines by size and time, sends each batch to a CloudSage
// server's POST /api/ingest with the project's API token, retries with
// backoff on 429, 5xx and network errors (honouring Retry-After), and
// records the file offset acknowledged so far in a state file, so a
// restart neither loses nor repeats lines.
package forward

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Config says what to send where.
type Config struct {
	URL       string // the server, e.g. http://127.0.0.1:8080
	Token     string // a project API token
	Project   string // optional: the project id the token must belong to
	Path      string // the file; "-" reads In
	In        io.Reader
	Follow    bool          // keep reading as the file grows and is rotated
	BatchSize int           // send when this many bytes of lines are pending (default 1 MiB)
	BatchWait time.Duration // or when the oldest pending line is this old (default 1 s)
	Poll      time.Duration // how often a followed file is checked (default 250 ms)
	StateFile string        // where the offset is kept; "" for stdin or no state
	Client    *http.Client
	MaxWait   time.Duration            // longest backoff between retries (default 30 s)
	Logf      func(string, ...any)     // progress and retry messages; nil: silent
	sleep     func(time.Duration) bool // test hook; nil: wait on ctx
}

// Stats counts what was sent.
type Stats struct {
	Lines, Bytes, Batches, Retries int64
}

// State is what the state file holds: which file and how far into it the
// server has acknowledged.
type State struct {
	Path   string `json:"path"`
	File   uint64 `json:"file"` // inode (0 where unknown)
	Offset int64  `json:"offset"`
}

// fatalError is a refusal that retrying cannot fix (bad token, bad input).
type fatalError struct{ msg string }

func (e fatalError) Error() string { return e.msg }

// Run sends until the input ends (or, with Follow, until ctx ends).
func Run(ctx context.Context, cfg Config) (Stats, error) {
	if cfg.BatchSize <= 0 {
		cfg.BatchSize = 1 << 20
	}
	if cfg.BatchWait <= 0 {
		cfg.BatchWait = time.Second
	}
	if cfg.Poll <= 0 {
		cfg.Poll = 250 * time.Millisecond
	}
	if cfg.MaxWait <= 0 {
		cfg.MaxWait = 30 * time.Second
	}
	if cfg.Client == nil {
		cfg.Client = &http.Client{Timeout: 2 * time.Minute}
	}
	if cfg.Logf == nil {
		cfg.Logf = func(string, ...any) {}
	}
	if cfg.sleep == nil {
		cfg.sleep = func(d time.Duration) bool {
			t := time.NewTimer(d)
			defer t.Stop()
			select {
			case <-t.C:
				return true
			case <-ctx.Done():
				return false
			}
		}
	}
	u, err := url.Parse(strings.TrimRight(cfg.URL, "/") + "/api/ingest")
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return Stats{}, fatalError{fmt.Sprintf("--url %q: want http(s)://host:port", cfg.URL)}
	}
	if cfg.Project != "" {
		u.RawQuery = url.Values{"project": {cfg.Project}}.Encode()
	}
	f := &forwarder{cfg: cfg, endpoint: u.String(), run: strconv.FormatUint(rand.Uint64(), 36)}
	if cfg.Path == "-" {
		err := f.stream(ctx, cfg.In, 0, nil)
		return f.stats, err
	}
	return f.stats, f.file(ctx)
}

type forwarder struct {
	cfg      Config
	endpoint string
	stats    Stats
	run      string // names this run's batches in their Idempotency-Keys
	files    int    // files read in this run (a rotation starts the next)
}

// file sends cfg.Path from the saved offset, following it if asked.
func (f *forwarder) file(ctx context.Context) error {
	st := f.load()
	fh, err := os.Open(f.cfg.Path)
	if err != nil {
		return err
	}
	defer func() { fh.Close() }()
	fi, err := fh.Stat()
	if err != nil {
		return err
	}
	var off int64
	switch {
	case st.Offset > 0 && st.File == fileID(fi) && st.Offset <= fi.Size():
		off = st.Offset // the same file: go on where the server's acknowledgement ended
	case st.Offset > 0 && st.File != 0 && st.File != fileID(fi):
		// Rotated while we were stopped: finish the old file first, if it is still beside it.
		if old := f.rotated(st.File); old != "" {
			if oh, err := os.Open(old); err == nil {
				f.cfg.Logf("finishing %s (rotated while stopped) from offset %d", old, st.Offset)
				if _, err = oh.Seek(st.Offset, io.SeekStart); err == nil {
					err = f.stream(ctx, oh, st.Offset, func(int64) {})
				}
				oh.Close()
				if err != nil {
					return err
				}
			}
		}
		f.save(State{Path: f.cfg.Path, File: fileID(fi), Offset: 0}) // the old file is done
	}
	if _, err := fh.Seek(off, io.SeekStart); err != nil {
		return err
	}
	id := fileID(fi)
	save := func(o int64) { f.save(State{Path: f.cfg.Path, File: id, Offset: o}) }
	if !f.cfg.Follow {
		return f.stream(ctx, fh, off, save)
	}
	// Follow: read to the end, wait, check for rotation or truncation, repeat.
	b := newBatcher(f, off, save)
	// stop ends the run. Stopped (ctx ended, at a poll or inside a send):
	// send the complete lines read so far (an unfinished last line stays
	// for the next run) within a short grace period; a send cut short is
	// repeated under its Idempotency-Key, so it is stored once.
	stop := func(err error) error {
		if ctx.Err() == nil {
			return err
		}
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		return b.flush(sctx, false)
	}
	for {
		if err := b.readAll(ctx, fh); err != nil {
			return stop(err)
		}
		if !f.cfg.sleep(f.cfg.Poll) {
			return stop(nil)
		}
		if err := b.tick(ctx); err != nil {
			return stop(err)
		}
		pi, err := os.Stat(f.cfg.Path)
		if err != nil {
			continue // between the rename and the new file's creation
		}
		cur, _ := fh.Stat()
		switch {
		case !os.SameFile(cur, pi):
			// Rotated: drain what was written to the old file before the rename, then switch.
			if err := b.readAll(ctx, fh); err != nil {
				return stop(err)
			}
			if err := b.flush(ctx, true); err != nil {
				return stop(err)
			}
			nf, err := os.Open(f.cfg.Path)
			if err != nil {
				continue
			}
			fh.Close()
			fh, id = nf, fileID(pi)
			f.cfg.Logf("%s was rotated: reading the new file", f.cfg.Path)
			b.reset(0)
			save(0)
		case pi.Size() < b.readOff:
			f.cfg.Logf("%s was truncated: reading from the start", f.cfg.Path)
			if err := b.flush(ctx, true); err != nil {
				return stop(err)
			}
			fh.Seek(0, io.SeekStart)
			b.reset(0)
			save(0)
		}
	}
}

// rotated finds the file a rotation moved id to (name.1, name.0, ...).
func (f *forwarder) rotated(id uint64) string {
	for _, suffix := range []string{".1", ".0", "-1", ".old"} {
		if fi, err := os.Stat(f.cfg.Path + suffix); err == nil && fileID(fi) == id {
			return f.cfg.Path + suffix
		}
	}
	return ""
}

// stream sends everything r holds, starting at offset off.
func (f *forwarder) stream(ctx context.Context, r io.Reader, off int64, save func(int64)) error {
	b := newBatcher(f, off, save)
	if err := b.readAll(ctx, r); err != nil {
		return err
	}
	return b.flush(ctx, true)
}

func (f *forwarder) load() State {
	var st State
	if f.cfg.StateFile == "" {
		return st
	}
	b, err := os.ReadFile(f.cfg.StateFile)
	if err != nil || json.Unmarshal(b, &st) != nil {
		return State{}
	}
	return st
}

// save writes the state atomically (write, sync, rename).
func (f *forwarder) save(st State) {
	if f.cfg.StateFile == "" {
		return
	}
	b, _ := json.Marshal(st)
	tmp := f.cfg.StateFile + ".tmp"
	if err := os.MkdirAll(filepath.Dir(f.cfg.StateFile), 0o750); err != nil {
		f.cfg.Logf("state: %v", err)
		return
	}
	fh, err := os.Create(tmp)
	if err != nil {
		f.cfg.Logf("state: %v", err)
		return
	}
	fh.Write(b)
	fh.Sync()
	fh.Close()
	if err := os.Rename(tmp, f.cfg.StateFile); err != nil {
		f.cfg.Logf("state: %v", err)
	}
}

// batcher holds the lines read but not yet acknowledged.
type batcher struct {
	f       *forwarder
	save    func(int64)
	buf     []byte // pending complete lines
	partial []byte // an unterminated last line
	sentOff int64  // file offset acknowledged
	readOff int64  // file offset read
	since   time.Time
	file    int // which file of the run (see key)
}

func newBatcher(f *forwarder, off int64, save func(int64)) *batcher {
	f.files++
	return &batcher{f: f, save: save, sentOff: off, readOff: off, file: f.files}
}

func (b *batcher) reset(off int64) {
	b.buf, b.partial, b.sentOff, b.readOff = b.buf[:0], nil, off, off
	b.f.files++
	b.file = b.f.files
}

// key names the batch of n bytes starting at the acknowledged offset, so
// that a retry of it (an answer lost on the way) is recognised by the
// server whether or not its lines carry timestamps, while the same lines
// sent again later are new occurrences.
func (b *batcher) key(n int) string {
	return fmt.Sprintf("fwd-%s-%d-%d-%d", b.f.run, b.file, b.sentOff, n)
}

// readAll reads r to its current end, sending full batches on the way.
func (b *batcher) readAll(ctx context.Context, r io.Reader) error {
	chunk := make([]byte, 64<<10)
	for {
		n, err := r.Read(chunk)
		if n > 0 {
			b.readOff += int64(n)
			data := chunk[:n]
			if i := bytes.LastIndexByte(data, '\n'); i >= 0 {
				if len(b.buf) == 0 {
					b.since = time.Now()
				}
				b.buf = append(b.buf, b.partial...)
				b.buf = append(b.buf, data[:i+1]...)
				b.partial = append(b.partial[:0], data[i+1:]...)
			} else {
				b.partial = append(b.partial, data...)
			}
			if len(b.buf) >= b.f.cfg.BatchSize {
				if err := b.flush(ctx, false); err != nil {
					return err
				}
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// tick sends the pending lines once the oldest is BatchWait old.
func (b *batcher) tick(ctx context.Context) error {
	if len(b.buf) > 0 && time.Since(b.since) >= b.f.cfg.BatchWait {
		return b.flush(ctx, false)
	}
	return nil
}

// flush sends the pending lines; final also sends an unterminated last line
// (the input ended, or the file was rotated away).
func (b *batcher) flush(ctx context.Context, final bool) error {
	if final && len(b.partial) > 0 {
		b.buf = append(append(b.buf, b.partial...), '\n')
		b.partial = b.partial[:0]
	}
	for len(b.buf) > 0 {
		n := len(b.buf)
		if n > b.f.cfg.BatchSize { // send at most BatchSize, cut at a line end
			if i := bytes.LastIndexByte(b.buf[:b.f.cfg.BatchSize], '\n'); i >= 0 {
				n = i + 1
			} else if i := bytes.IndexByte(b.buf, '\n'); i >= 0 {
				n = i + 1
			}
		}
		if err := b.f.send(ctx, b.buf[:n], b.key(n)); err != nil {
			return err
		}
		b.sentOff = b.readOff - int64(len(b.partial)) - int64(len(b.buf)-n)
		b.buf = append(b.buf[:0], b.buf[n:]...)
		if b.save != nil {
			b.save(b.sentOff)
		}
	}
	return nil
}

// send posts one batch, retrying until it is acknowledged, refused for
// good, or ctx ends.
func (f *forwarder) send(ctx context.Context, lines []byte, key string) error {
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(lines)
	zw.Close()
	wait := 500 * time.Millisecond
	for attempt := 0; ; attempt++ {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, f.endpoint, bytes.NewReader(gz.Bytes()))
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+f.cfg.Token)
		req.Header.Set("Content-Type", "text/plain; charset=utf-8")
		req.Header.Set("Content-Encoding", "gzip")
		req.Header.Set("Idempotency-Key", key)
		res, err := f.cfg.Client.Do(req)
		var retryIn time.Duration
		switch {
		case err != nil:
			if ctx.Err() != nil {
				return ctx.Err()
			}
			f.cfg.Logf("send failed (%v): retrying", err)
		case res.StatusCode < 300:
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
			f.stats.Batches++
			f.stats.Bytes += int64(len(lines))
			f.stats.Lines += int64(bytes.Count(lines, []byte{'\n'}))
			return nil
		default:
			msg := errorMessage(res)
			if res.StatusCode != http.StatusTooManyRequests && res.StatusCode < 500 {
				return fatalError{fmt.Sprintf("server refused the batch: %d %s", res.StatusCode, msg)}
			}
			retryIn = parseRetryAfter(res.Header.Get("Retry-After"), time.Now())
			f.cfg.Logf("server answered %d %s: retrying", res.StatusCode, msg)
		}
		f.stats.Retries++
		if retryIn <= 0 {
			retryIn = wait + time.Duration(rand.Int64N(int64(wait/4)+1))
			wait = min(2*wait, f.cfg.MaxWait)
		}
		if !f.cfg.sleep(retryIn) {
			return ctx.Err()
		}
	}
}

// errorMessage reads a JSON {"error": ...} answer (or its first bytes).
func errorMessage(res *http.Response) string {
	defer res.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(res.Body, 4096))
	var e struct {
		Error string `json:"error"`
	}
	if json.Unmarshal(b, &e) == nil && e.Error != "" {
		return e.Error
	}
	return strings.TrimSpace(string(b))
}

// parseRetryAfter reads Retry-After: seconds or an HTTP date.
func parseRetryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if n, err := strconv.Atoi(v); err == nil && n >= 0 {
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0)
	}
	return 0
}

// IsFatal reports whether err is a refusal retrying cannot fix.
func IsFatal(err error) bool {
	var fe fatalError
	return errors.As(err, &fe)
}
