package litestream

import (
	"context"
	"database/sql"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// orengen patch (PATCH.md): the barrier asks for the write lock every
// barrierPoll, so it gets it in the short gaps a writer committing back to
// back leaves. Peer in the same run: the same wait through SQLite's busy
// handler (busy_timeout), which sleeps 1, 2, 5, 10, ... ms between tries
// and so lands in a 0.5 ms gap only by chance.
func TestDB_BarrierWinsShortGaps(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "db")
	w, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	for _, q := range []string{`PRAGMA journal_mode = wal`, `PRAGMA busy_timeout = 5000`, `CREATE TABLE t (v TEXT)`} {
		if _, err := w.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	db := NewDB(path)
	db.MonitorInterval = 0
	db.Replica = NewReplica(db)
	db.Replica.Client = &testReplicaClient{dir: t.TempDir()}
	db.Replica.MonitorEnabled = false
	if err := db.Open(); err != nil {
		t.Fatal(err)
	}
	defer db.Close(ctx)
	if err := db.Sync(ctx); err != nil { // opens db.db and its lock table
		t.Fatal(err)
	}

	// The writer holds the lock 5 ms at a time and lets it go for 0.5 ms.
	conn, err := w.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	stop := make(chan struct{})
	var writes atomic.Int64
	var inTx atomic.Bool
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := conn.ExecContext(ctx, `BEGIN IMMEDIATE`); err != nil {
				continue
			}
			writes.Add(1)
			inTx.Store(true)
			conn.ExecContext(ctx, `INSERT INTO t (v) VALUES ('x')`)
			time.Sleep(5 * time.Millisecond)
			conn.ExecContext(ctx, `COMMIT`)
			inTx.Store(false)
			time.Sleep(500 * time.Microsecond)
		}
	}()
	defer func() { close(stop); wg.Wait() }()
	// Each measurement starts 1 ms into one of the writer's transactions
	// (the writer is back to its rhythm, not in a busy handler's sleep
	// after the previous measurement held the lock).
	inWrite := func() {
		n := writes.Load()
		for writes.Load() < n+2 || !inTx.Load() {
			time.Sleep(100 * time.Microsecond)
		}
		time.Sleep(time.Millisecond)
	}

	const wait, rounds = 200 * time.Millisecond, 7
	var polled, handler []time.Duration
	for i := 0; i < rounds; i++ {
		inWrite()
		t0 := time.Now()
		b, err := db.beginBarrier(ctx, wait)
		if err != nil {
			t.Fatalf("barrier not won in %v against a writer with 0.5 ms gaps: %v", wait, err)
		}
		polled = append(polled, time.Since(t0))
		if err := b.release(); err != nil {
			t.Fatal(err)
		}

		inWrite()
		t0 = time.Now()
		err = func() error {
			c, err := db.db.Conn(ctx)
			if err != nil {
				return err
			}
			defer c.Close()
			if _, err := c.ExecContext(ctx, `PRAGMA busy_timeout = 200`); err != nil {
				return err
			}
			tx, err := c.BeginTx(ctx, nil)
			if err != nil {
				return err
			}
			defer tx.Rollback()
			_, err = tx.ExecContext(ctx, `INSERT INTO _litestream_lock (id) VALUES (1)`)
			return err
		}()
		d := time.Since(t0)
		if err != nil {
			d = wait // not won at all
		}
		handler = append(handler, d)
	}
	slices.Sort(polled)
	slices.Sort(handler)
	t.Logf("time to the write lock, median of %d: polled %v, SQLite's busy handler %v", rounds, polled[rounds/2], handler[rounds/2])
	if polled[rounds/2]*2 > handler[rounds/2] {
		t.Fatalf("the polled barrier took %v (median), SQLite's busy handler %v: want at most half", polled[rounds/2], handler[rounds/2])
	}
}
