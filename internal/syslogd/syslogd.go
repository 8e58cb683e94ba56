// Package syslogd runs the syslog listeners of `cloudsage serve`
// (--syslog-tcp, --syslog-udp): it reads messages (TCP with octet-counted
// or newline framing, optionally TLS; UDP one message a datagram), parses
// them with shipper/syslog, groups them by destination into batches (by
// count and time) and hands each batch to a Deliver func, which stores it
// through the same ingest service as the HTTP endpoints. A batch that
// cannot be stored yet (rate limit, store busy) is retried, and TCP
// readers block meanwhile, so senders feel back-pressure instead of
// losing lines.
package syslogd

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/cloudsage/cloudsage"
	"github.com/cloudsage/cloudsage/internal/shipper"
	"github.com/cloudsage/cloudsage/internal/shipper/syslog"
)

// Deliver stores one batch. token is the RFC 5424 structured-data token the
// messages carried ("" when none: the listener's default project). An error
// of kind RateLimited or Unavailable is retried; any other drops the batch.
type Deliver func(ctx context.Context, token string, res shipper.Result) error

// Config configures the listeners.
type Config struct {
	TCP, UDP   string         // listen addresses; empty: off
	TLS        *tls.Config    // non-nil: TCP speaks TLS
	MaxMessage int            // bytes; longer messages are cut (default 64 KiB)
	FlushLines int            // a batch is stored when it has this many records (default 5000)
	FlushBytes int            // or this many bytes of messages (default 4 MiB)
	FlushEvery time.Duration  // and at least this often (default 1 s: each batch is one transaction and one report)
	Location   *time.Location // of RFC 3164 timestamps (default time.Local)
}

// Server is a running pair of listeners.
type Server struct {
	cfg     Config
	deliver Deliver
	log     *slog.Logger
	in      chan msg
	tcp     net.Listener
	udp     net.PacketConn

	mu    sync.Mutex
	conns map[net.Conn]struct{}
	wg    sync.WaitGroup
}

type msg struct {
	token string
	rec   shipper.Record
	size  int // of the frame
}

// Listen opens the configured listeners; Serve then runs them.
func Listen(cfg Config, deliver Deliver, log *slog.Logger) (*Server, error) {
	if cfg.MaxMessage <= 0 {
		cfg.MaxMessage = 64 << 10
	}
	if cfg.FlushLines <= 0 {
		cfg.FlushLines = 5000
	}
	if cfg.FlushBytes <= 0 {
		cfg.FlushBytes = 4 << 20
	}
	if cfg.FlushEvery <= 0 {
		cfg.FlushEvery = time.Second
	}
	if cfg.Location == nil {
		cfg.Location = time.Local
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Server{cfg: cfg, deliver: deliver, log: log, in: make(chan msg, 4*cfg.FlushLines), conns: map[net.Conn]struct{}{}}
	var err error
	if cfg.TCP != "" {
		if s.tcp, err = net.Listen("tcp", cfg.TCP); err != nil {
			return nil, err
		}
		if cfg.TLS != nil {
			s.tcp = tls.NewListener(s.tcp, cfg.TLS)
		}
	}
	if cfg.UDP != "" {
		if s.udp, err = net.ListenPacket("udp", cfg.UDP); err != nil {
			if s.tcp != nil {
				s.tcp.Close()
			}
			return nil, err
		}
	}
	return s, nil
}

// TCPAddr and UDPAddr are the bound addresses (nil when off).
func (s *Server) TCPAddr() net.Addr {
	if s.tcp == nil {
		return nil
	}
	return s.tcp.Addr()
}

// UDPAddr is the bound UDP address (nil when off).
func (s *Server) UDPAddr() net.Addr {
	if s.udp == nil {
		return nil
	}
	return s.udp.LocalAddr()
}

// Serve runs until ctx ends, then closes the listeners and connections
// and stores what was already read.
func (s *Server) Serve(ctx context.Context) error {
	done := make(chan struct{})
	go func() { s.batch(ctx); close(done) }()
	var readers sync.WaitGroup
	if s.tcp != nil {
		readers.Go(func() { s.acceptTCP(ctx) })
	}
	if s.udp != nil {
		readers.Go(func() { s.readUDP(ctx) })
	}
	<-ctx.Done()
	if s.tcp != nil {
		s.tcp.Close()
	}
	if s.udp != nil {
		s.udp.Close()
	}
	s.mu.Lock()
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	readers.Wait()
	s.wg.Wait()
	close(s.in)
	<-done
	return nil
}

func (s *Server) acceptTCP(ctx context.Context) {
	for {
		c, err := s.tcp.Accept()
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return
			}
			s.log.Warn("syslog accept", "error", err)
			time.Sleep(100 * time.Millisecond)
			continue
		}
		s.mu.Lock()
		s.conns[c] = struct{}{}
		s.mu.Unlock()
		s.wg.Go(func() {
			defer func() {
				s.mu.Lock()
				delete(s.conns, c)
				s.mu.Unlock()
				c.Close()
			}()
			s.readTCP(ctx, c)
		})
	}
}

func (s *Server) readTCP(ctx context.Context, c net.Conn) {
	p := syslog.NewParser(s.cfg.Location)
	br := bufio.NewReaderSize(c, 64<<10)
	for {
		frame, err := syslog.ReadFrame(br, s.cfg.MaxMessage)
		if err != nil {
			if errors.Is(err, syslog.ErrFrame) {
				s.log.Warn("syslog connection closed", "remote", c.RemoteAddr().String(), "error", err)
			}
			return
		}
		if !s.push(ctx, p, frame) {
			return
		}
	}
}

func (s *Server) readUDP(ctx context.Context) {
	p := syslog.NewParser(s.cfg.Location)
	buf := make([]byte, 65536)
	for {
		n, _, err := s.udp.ReadFrom(buf)
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		frame := buf[:min(n, s.cfg.MaxMessage)]
		for len(frame) > 0 && (frame[len(frame)-1] == '\n' || frame[len(frame)-1] == 0 || frame[len(frame)-1] == '\r') {
			frame = frame[:len(frame)-1]
		}
		if len(frame) == 0 {
			continue
		}
		if !s.push(ctx, p, frame) {
			return
		}
	}
}

// push parses a frame and queues it; false once ctx ended.
func (s *Server) push(ctx context.Context, p *syslog.Parser, frame []byte) bool {
	rec, tok := p.Parse(frame)
	if rec.Empty() {
		return true
	}
	select {
	case s.in <- msg{token: tok, rec: rec, size: len(frame)}:
		return true
	case <-ctx.Done():
		return false
	}
}

// batch groups queued records by token and delivers them by count, size
// and time: one transaction per batch rather than per message, with a
// message waiting at most FlushEvery before it is stored. The clock starts
// at a batch's first message, not on a fixed tick: a tick that came due
// while a slow batch was being stored would cut the next batch after a
// message or two, and every batch costs a transaction and a report.
func (s *Server) batch(ctx context.Context) {
	pending := map[string]*shipper.Result{}
	n, size := 0, 0
	t := time.NewTimer(s.cfg.FlushEvery)
	t.Stop()
	defer t.Stop()
	flush := func() {
		t.Stop() // (since Go 1.23 a stopped timer delivers nothing stale)
		for tok, res := range pending {
			s.store(ctx, tok, *res)
		}
		clear(pending)
		n, size = 0, 0
	}
	for {
		select {
		case m, ok := <-s.in:
			if !ok {
				flush()
				return
			}
			if n == 0 {
				t.Reset(s.cfg.FlushEvery)
			}
			res := pending[m.token]
			if res == nil {
				res = &shipper.Result{}
				pending[m.token] = res
			}
			res.Records = append(res.Records, m.rec)
			n++
			if size += m.size; n >= s.cfg.FlushLines || size >= s.cfg.FlushBytes {
				flush()
			}
		case <-t.C:
			flush()
		}
	}
}

// store delivers one batch, retrying while the store asks to wait (up to
// a minute after shutdown began, so a stop does not lose what was read).
func (s *Server) store(ctx context.Context, tok string, res shipper.Result) {
	wait := 100 * time.Millisecond
	var deadline time.Time
	for {
		err := s.deliver(context.WithoutCancel(ctx), tok, res)
		if err == nil {
			return
		}
		switch cloudsage.KindOf(err) {
		case cloudsage.RateLimited, cloudsage.Unavailable, cloudsage.Internal:
		default:
			s.log.Warn("syslog batch dropped", "records", len(res.Records), "error", err)
			return
		}
		if ctx.Err() != nil {
			if deadline.IsZero() {
				deadline = time.Now().Add(time.Minute)
			} else if time.Now().After(deadline) {
				s.log.Error("syslog batch lost at shutdown", "records", len(res.Records), "error", err)
				return
			}
		}
		time.Sleep(wait)
		wait = min(2*wait, 5*time.Second)
	}
}
