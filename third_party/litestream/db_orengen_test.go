package litestream_test

// Tests of orengen's patch (PATCH.md): a PASSIVE checkpoint copies frames
// into the database file before it takes the write lock, and lets the lock
// go again when writers added too many frames while it waited.

import (
	"context"
	"database/sql"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/benbjohnson/litestream"
	"github.com/benbjohnson/litestream/internal/testingutil"
)

// A PASSIVE checkpoint that cannot get the write lock (another connection
// holds it) has still copied the shipped frames into the database file:
// a copy of the file alone holds the rows. Before the patch the file held
// nothing until the barrier was won.
func TestDB_PassiveCheckpointBackfillsWithoutWriteLock(t *testing.T) {
	ctx := context.Background()
	db, sqldb := testingutil.MustOpenDBs(t)
	defer testingutil.MustCloseDBs(t, db, sqldb)

	if _, err := sqldb.ExecContext(ctx, `CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)`); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 200; i++ {
		if _, err := sqldb.ExecContext(ctx, `INSERT INTO t (v) VALUES (?)`, strings.Repeat("x", 1000)); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Sync(ctx); err != nil {
		t.Fatal(err)
	}

	// Another connection holds the write lock for longer than the
	// replicator's busy timeout.
	conn, err := sqldb.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `BEGIN IMMEDIATE`); err != nil {
		t.Fatal(err)
	}
	err = db.Checkpoint(ctx, litestream.CheckpointModePassive)
	if err == nil || !strings.Contains(err.Error(), "_litestream_lock") {
		t.Fatalf("checkpoint with the write lock held elsewhere: %v, want the barrier's busy error", err)
	}

	fileRows := countRowsInFileAlone(t, db.Path())
	if _, err := conn.ExecContext(ctx, `ROLLBACK`); err != nil {
		t.Fatal(err)
	}
	if fileRows != 200 {
		t.Fatalf("database file alone holds %d rows after the failed barrier, want 200", fileRows)
	}

	// The WAL was not restarted under the replicator: with the lock free
	// the checkpoint completes and the replica restores every row.
	if err := db.Checkpoint(ctx, litestream.CheckpointModePassive); err != nil {
		t.Fatal(err)
	}
	if got := restoredRows(t, db); got != 200 {
		t.Fatalf("restored %d rows, want 200", got)
	}
}

// A writer that pauses 1 ms between transactions while syncs and PASSIVE checkpoints run (the
// barrier is won, lost and let go again): every committed row is in the
// restored replica, and the WAL was restarted (the checkpoints completed).
func TestDB_PassiveCheckpointUnderConcurrentWrites(t *testing.T) {
	ctx := context.Background()
	db, sqldb := testingutil.MustOpenDBs(t)
	defer testingutil.MustCloseDBs(t, db, sqldb)
	if _, err := sqldb.ExecContext(ctx, `CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)`); err != nil {
		t.Fatal(err)
	}

	var committed atomic.Int64
	stop := make(chan struct{})
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
			tx, err := sqldb.BeginTx(ctx, nil)
			if err != nil {
				t.Error(err)
				return
			}
			for i := 0; i < 20; i++ { // ~20 pages a transaction
				if _, err := tx.ExecContext(ctx, `INSERT INTO t (v) VALUES (?)`, strings.Repeat("y", 3000)); err != nil {
					tx.Rollback()
					t.Error(err)
					return
				}
			}
			if err := tx.Commit(); err != nil {
				t.Error(err)
				return
			}
			committed.Add(20)
			time.Sleep(time.Millisecond) // the gap between two requests' writes
		}
	}()

	restarts := 0
	hdr := walHeader(t, db.WALPath())
	deadline := time.Now().Add(2 * time.Second)
	for time.Now().Before(deadline) {
		if err := db.Sync(ctx); err != nil {
			t.Fatal(err)
		}
		if err := db.Checkpoint(ctx, litestream.CheckpointModePassive); err != nil && !strings.Contains(err.Error(), "_litestream_lock") {
			t.Fatal(err)
		}
		if h := walHeader(t, db.WALPath()); h != hdr {
			restarts, hdr = restarts+1, h
		}
	}
	close(stop)
	wg.Wait()
	if err := db.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if restarts == 0 {
		t.Fatal("no checkpoint restarted the WAL in 2 s")
	}
	want := committed.Load()
	if got := restoredRows(t, db); int64(got) != want {
		t.Fatalf("restored %d rows, want the %d committed (%d WAL restarts)", got, want, restarts)
	}
	t.Logf("%d rows, %d WAL restarts", want, restarts)
}

// countRowsInFileAlone copies the database file without its WAL and counts
// t's rows in the copy.
func countRowsInFileAlone(t *testing.T, path string) int {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "alone.db")
	src, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	out, err := os.Create(dst)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, src); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
	d, err := sql.Open("sqlite", dst)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	var n int
	if err := d.QueryRow(`SELECT COUNT(*) FROM t`).Scan(&n); err != nil {
		if strings.Contains(err.Error(), "no such table") {
			return 0
		}
		t.Fatal(err)
	}
	return n
}

func restoredRows(t *testing.T, db *litestream.DB) int {
	t.Helper()
	ctx := context.Background()
	if err := db.Replica.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "restored.db")
	if err := db.Replica.Restore(ctx, litestream.RestoreOptions{OutputPath: path}); err != nil {
		t.Fatal(err)
	}
	d := testingutil.MustOpenSQLDB(t, path)
	defer testingutil.MustCloseSQLDB(t, d)
	var integrity string
	if err := d.QueryRow(`PRAGMA integrity_check`).Scan(&integrity); err != nil || integrity != "ok" {
		t.Fatalf("restored database: integrity %q, %v", integrity, err)
	}
	var n int
	if err := d.QueryRow(`SELECT COUNT(*) FROM t`).Scan(&n); err != nil && !errors.Is(err, sql.ErrNoRows) {
		t.Fatal(err)
	}
	return n
}

// walHeader returns the WAL header's salts, which change when the WAL is
// restarted.
func walHeader(t *testing.T, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b := make([]byte, 32)
	if _, err := io.ReadFull(f, b); err != nil {
		t.Fatal(err)
	}
	return string(b[16:24])
}
