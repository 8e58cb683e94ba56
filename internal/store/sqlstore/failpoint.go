package sqlstore

import (
	"os"
	"strconv"
	"strings"
	"time"
)

// The kill tests (cli.TestKillInsideCommit) need the process to die at a
// known point of an ingest's commit. CLOUDSAGE_FAILPOINT, read once at
// start, names it; the process then kills itself with SIGKILL there:
//
//	ingest-before-commit        every row written, the transaction not committed
//	ingest-during-commit:<µs>   that long after the commit starts (inside it, for a large batch)
//	ingest-after-commit         committed, the answer not yet sent
//
// Unset (always, outside those tests) it costs one string comparison.
var failpoint = os.Getenv("CLOUDSAGE_FAILPOINT")

// hitFailpoint kills the process if the failpoint is at.
func hitFailpoint(at string) {
	if failpoint == "" {
		return
	}
	name, arg, _ := strings.Cut(failpoint, ":")
	if name != at {
		return
	}
	if at == "ingest-during-commit" {
		us, _ := strconv.Atoi(arg)
		go func() {
			time.Sleep(time.Duration(us) * time.Microsecond)
			killSelf()
		}()
		return
	}
	killSelf()
}

func killSelf() {
	if p, err := os.FindProcess(os.Getpid()); err == nil {
		p.Kill() // SIGKILL where there are signals: no deferred function, no flush
	}
	select {} // never go on past the failpoint
}
