package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/cloudsage/cloudsage"

	"github.com/cloudsage/cloudsage/internal/chunk"
)

// Partitioned is a Dialect whose event chunks are partitioned by time
// (PostgreSQL): retention drops whole expired partitions.
type Partitioned interface {
	// PartitionStart is the start of the partition that holds time t (Unix ns).
	PartitionStart(t int64) int64
	// DropExpired drops, in tx, the partitions whose every chunk belongs
	// to a project of cuts and ends before that project's cut-off (Unix
	// ns, a partition start), returning the events dropped per project.
	DropExpired(ctx context.Context, tx *sql.Tx, cuts map[cloudsage.ProjectID]int64) (map[cloudsage.ProjectID]int64, error)
	// Maintain makes partitions ahead of need and moves what the default
	// partition caught into partitions of its own.
	Maintain(ctx context.Context) error
}

// RetireEvents enforces retention on every project at once: each
// project's events older than its cut-off in cuts are removed, and the
// count removed per project returned. A store without partitions deletes
// them as DeleteEventsBefore does. A partitioned one removes events by
// whole partitions: each cut-off is rounded down to a partition's start
// (PostgreSQL: midnight UTC, so events are kept up to a day longer than
// their retention), the partitions that every project with chunks in them
// has retired are dropped, and what remains older than a project's
// cut-off is deleted row by row (chunks in partitions another project
// still keeps, and chunks straddling the cut-off, rewritten as before).
// Callers run it on one replica at a time (the retention sweep's lock).
func (db *DB) RetireEvents(ctx context.Context, cuts map[cloudsage.ProjectID]time.Time) (map[cloudsage.ProjectID]int64, error) {
	out := map[cloudsage.ProjectID]int64{}
	var errs []error
	cuts = maps.Clone(cuts)
	pd, ok := db.D.(Partitioned)
	if ok {
		if err := pd.Maintain(ctx); err != nil {
			errs = append(errs, err)
		}
		rounded := make(map[cloudsage.ProjectID]int64, len(cuts))
		for p, c := range cuts {
			rounded[p] = pd.PartitionStart(chunk.NS(c))
			cuts[p] = chunk.FromNS(rounded[p])
		}
		err := db.tx(ctx, "drop expired event partitions", func(tx *sql.Tx) error {
			dropped, err := pd.DropExpired(ctx, tx, rounded)
			if err != nil {
				return err
			}
			for _, p := range slices.Sorted(maps.Keys(dropped)) {
				n := dropped[p]
				if _, err := tx.ExecContext(ctx, `UPDATE project_state SET events = CASE WHEN events > $2 THEN events - $2 ELSE 0 END WHERE project_id = $1`, p, n); err != nil {
					return err
				}
				out[p] += n
			}
			return nil
		})
		if err != nil {
			// Rows are still deleted below: retention holds without the drop.
			clear(out)
			errs = append(errs, err)
		}
	}
	for _, p := range slices.Sorted(maps.Keys(cuts)) {
		n, err := db.DeleteEventsBefore(ctx, p, cuts[p])
		if err != nil {
			errs = append(errs, fmt.Errorf("project %d: %w", p, err))
			continue
		}
		out[p] += n
	}
	return out, errors.Join(errs...)
}
