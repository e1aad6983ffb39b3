package store

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// maxGroup bounds one group commit (and so the wait of its first caller).
const maxGroup = 256

// groupPace and paceLoad: while the writer is at least paceLoad busy, a
// group commit starts at most every groupPace, gathering the writes that
// come in meanwhile. Every commit writes each page it touched to the WAL
// (~30 pages for a lead), and the replicator then reads, ships and copies
// each of them: at 1,000 leads a second commits held 1.2 leads on average,
// the WAL grew 28,000 pages a second, and serve, the replicator and the
// checkpoint's barrier together kept both cores busy. Below paceLoad
// (a few writes a second, or the workflow workers alone) nothing waits.
const (
	groupPace = 3 * time.Millisecond
	paceLoad  = 0.5
)

// loadWindow is the span over which the writer's load is measured.
const loadWindow = 100 * time.Millisecond

// group is the group-commit queue of a DB: small writes that arrive while
// the single write connection is busy commit together.
type group struct {
	once sync.Once
	reqs chan *groupReq
	load writerLoad // the group loop's alone

	commits, writes, paced atomic.Int64 // GroupStats
}

// GroupStats counts the group commits so far: transactions, the writes
// they held, and the time batches waited for groupPace.
type GroupStats struct {
	Commits, Writes int64
	Paced           time.Duration
}

// GroupStats returns the group commit's counters (for metrics).
func (db *DB) GroupStats() GroupStats {
	return GroupStats{db.group.commits.Load(), db.group.writes.Load(), time.Duration(db.group.paced.Load())}
}

// writerLoad is the share of time the group commit's writer spent in
// transactions over the last whole loadWindow.
type writerLoad struct {
	start time.Time     // the current window's start
	busy  time.Duration // time in transactions in the current window
	last  float64       // the previous window's share
}

// add counts a transaction that ran from t0 to t1.
func (w *writerLoad) add(t0, t1 time.Time) {
	if w.start.IsZero() {
		w.start = t0
	}
	w.busy += t1.Sub(t0)
	if el := t1.Sub(w.start); el >= loadWindow {
		w.last = min(1, float64(w.busy)/float64(el))
		w.start, w.busy = t1, 0
	}
}

// share is the writer's load at now: the last whole window's, or 0 after
// two windows without a transaction.
func (w *writerLoad) share(now time.Time) float64 {
	if w.start.IsZero() || now.Sub(w.start) > 2*loadWindow {
		return 0
	}
	return w.last
}

type groupReq struct {
	ctx  context.Context
	fn   func(ctx context.Context, tx *Tx) error
	done chan error
}

// Group runs fn in a write transaction like Update, but shares the
// transaction and its commit with the other Group calls waiting for the
// writer: one that fails rolls back alone and the others commit, and
// Group returns only after the commit that holds fn's writes (or fn's
// error). Each fn gets its own timeline transaction number (Tx.seq); the
// time (Tx.now) is the batch's.
//
// A batch first runs every fn straight in the transaction. Only when one
// fails is it rolled back and run again with each fn in its own savepoint
// (groupCommit), so fn may run twice and must do the same the second
// time: derive what it writes from its inputs, never from what a first
// run left in them.
//
// Commits, not statements, are what small writes on one connection share
// best: a commit writes every page the transaction touched to the WAL (a
// person touches its table, four indexes, contact points and a full-text
// segment), and one commit per request made it most of a CRM create's
// cost under load. fn must be short and must not Commit or Rollback.
// Once queued, fn runs even if ctx ends (it gets ctx without its
// cancellation); the caller waits for it.
func (db *DB) Group(ctx context.Context, fn func(ctx context.Context, tx *Tx) error) error {
	db.group.once.Do(func() {
		db.group.reqs = make(chan *groupReq, 1024)
		go db.groupLoop()
	})
	req := &groupReq{ctx: context.WithoutCancel(ctx), fn: fn, done: make(chan error, 1)}
	select {
	case db.group.reqs <- req:
	case <-ctx.Done():
		return ctx.Err()
	}
	return <-req.done
}

func (db *DB) groupLoop() {
	batch := make([]*groupReq, 0, maxGroup)
	var last time.Time // when the last commit began
	for req := range db.group.reqs {
		batch = append(batch[:0], req)
		now := time.Now()
		if wait := groupPace - now.Sub(last); wait > 0 && db.group.load.share(now) >= paceLoad {
			batch = db.gather(batch, wait)
			db.group.paced.Add(int64(time.Since(now)))
		}
	fill:
		for len(batch) < maxGroup {
			select {
			case r := <-db.group.reqs:
				batch = append(batch, r)
			default:
				break fill
			}
		}
		// Counted before the commit: its callers return from Group when it
		// ends, and may read GroupStats at once.
		db.group.commits.Add(1)
		db.group.writes.Add(int64(len(batch)))
		last = time.Now()
		db.groupCommit(batch)
		db.group.load.add(last, time.Now())
	}
}

// gather adds the writes that come in within wait (or until the batch is
// full) to batch.
func (db *DB) gather(batch []*groupReq, wait time.Duration) []*groupReq {
	t := time.NewTimer(wait)
	defer t.Stop()
	for len(batch) < maxGroup {
		select {
		case r := <-db.group.reqs:
			batch = append(batch, r)
		case <-t.C:
			return batch
		}
	}
	return batch
}

// groupCommit commits a batch. Every write straight in one transaction
// first: a savepoint journals the original of every page its write
// changes, and a lead's ~30 pages (~130 KB) passed SQLite's 64 KiB
// in-memory bound, so each batch wrote them to a temporary file (~8,000
// 4 KB writes a second under lead capture, a fifth of serve's CPU per
// lead). Writes rarely fail, so the savepoints are kept for the batch in
// which one does: it is rolled back and run again, each write in its own.
func (db *DB) groupCommit(batch []*groupReq) {
	errs := make([]error, len(batch))
	failed := false
	err := db.Update(context.Background(), func(tx *Tx) error {
		for i, req := range batch {
			tx.seq = db.txSeq.Add(1)
			if errs[i] = runGrouped(req, tx); errs[i] != nil {
				failed = true
				return errs[i]
			}
		}
		return nil
	})
	if failed && len(batch) > 1 {
		clear(errs)
		err = db.groupCommitSavepoints(batch, errs)
	}
	for i, req := range batch {
		if err != nil && errs[i] == nil {
			errs[i] = err
		}
		req.done <- errs[i]
	}
}

// groupCommitSavepoints commits a batch with each write in its own
// savepoint, so that one that fails rolls back alone; errs gets each
// write's error.
func (db *DB) groupCommitSavepoints(batch []*groupReq, errs []error) error {
	return db.Update(context.Background(), func(tx *Tx) error {
		for i, req := range batch {
			if _, err := tx.Exec(`SAVEPOINT grp`); err != nil {
				return err
			}
			tx.seq = db.txSeq.Add(1)
			if errs[i] = runGrouped(req, tx); errs[i] != nil {
				if _, err := tx.Exec(`ROLLBACK TO grp`); err != nil {
					return err
				}
			}
			if _, err := tx.Exec(`RELEASE grp`); err != nil {
				return err
			}
		}
		return nil
	})
}

// runGrouped runs one fn; a panic becomes its error, so it cannot stop
// the loop every other writer waits on.
func runGrouped(req *groupReq, tx *Tx) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("write panicked: %v", r)
		}
	}()
	return req.fn(req.ctx, tx)
}
