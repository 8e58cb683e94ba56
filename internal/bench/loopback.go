package bench

import (
	"net"
	"net/http"
	"os"
	"runtime/pprof"
	"time"

	"github.com/cloudsage/cloudsage/internal/auth"
	"github.com/cloudsage/cloudsage/internal/config"
	"github.com/cloudsage/cloudsage/internal/ingest"
	"github.com/cloudsage/cloudsage/internal/store"
	"github.com/cloudsage/cloudsage/internal/web"
)

// serveLoopback serves CloudSage (the engine's ingest service over st, with
// cfg) on a free loopback port for one HTTP stage, with password hashing
// made cheap so accounts cost nothing; stop closes the listener.
func serveLoopback(cfg config.Config, st store.Store) (srv *web.Server, base string, stop func(), err error) {
	svc := ingest.NewService(st, ingest.NewEngine, time.Now, nil)
	srv, err = web.New(web.Options{Config: cfg, Store: st, Ingest: svc, Password: auth.Params{Time: 1, MemoryKiB: 64, Threads: 1}})
	if err != nil {
		return nil, "", nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, "", nil, err
	}
	hs := &http.Server{Handler: srv}
	go hs.Serve(ln)
	return srv, "http://" + ln.Addr().String(), func() { hs.Close() }, nil
}

// profileFromEnv starts a CPU profile into $CLOUDSAGE_BENCH_CPUPROFILE when
// it is set, for the measured part of an HTTP stage; stop ends it.
func profileFromEnv() (stop func(), err error) {
	path := os.Getenv("CLOUDSAGE_BENCH_CPUPROFILE")
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}
