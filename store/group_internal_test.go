package store

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestGroupCommit_NoSavepointJournal: a batch whose writes all succeed
// runs without savepoints, so a write that changes many existing pages
// (here 64 rows of ~3 KB, each on its own page: ~256 KB, past SQLite's
// 64 KiB in-memory journal) sends no journal to a temporary file. The same
// batch with a savepoint per write does, which shows the probe sees it.
func TestGroupCommit_NoSavepointJournal(t *testing.T) {
	db, ctx := openGroupDB(t), context.Background()
	// Write connections keep journals in memory (tempInMemory); the probe
	// needs SQLite's default, a temporary file past 64 KiB, to see one.
	if _, err := db.write.Exec(`PRAGMA temp_store = FILE`); err != nil {
		t.Fatal(err)
	}
	const rows, size = 64, 3000
	if err := db.Update(ctx, func(tx *Tx) error {
		if _, err := tx.Exec(`CREATE TABLE journal_probe (id INTEGER PRIMARY KEY, n INTEGER, body BLOB)`); err != nil {
			return err
		}
		for i := 1; i <= rows; i++ {
			if _, err := tx.Exec(`INSERT INTO journal_probe (id, n, body) VALUES (?, 0, randomblob(?))`, i, size); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	touchAll := func(ctx context.Context, tx *Tx) error {
		for i := 1; i <= rows; i++ { // one row, one page per statement
			if _, err := tx.ExecContext(ctx, `UPDATE journal_probe SET n = n + 1 WHERE id = ?`, i); err != nil {
				return err
			}
		}
		return nil
	}
	var spilled int
	count := func(ctx context.Context, tx *Tx) error {
		spilled = unnamedFiles(t)
		return nil
	}
	batch := func() []*groupReq {
		return []*groupReq{{ctx: ctx, fn: touchAll, done: make(chan error, 1)}, {ctx: ctx, fn: count, done: make(chan error, 1)}}
	}

	before := unnamedFiles(t)
	b := batch()
	errs := make([]error, len(b))
	if err := db.groupCommitSavepoints(b, errs); err != nil || errors.Join(errs...) != nil {
		t.Fatal(err, errs)
	}
	if spilled <= before {
		t.Fatalf("with savepoints: no temporary file seen (%d unnamed files before, %d during): the probe does not work here", before, spilled)
	}

	db.groupCommit(batch())
	if spilled != before {
		t.Errorf("a batch without failures journaled to a temporary file (%d unnamed files before, %d during)", before, spilled)
	}
	var n int
	db.read.QueryRow(`SELECT min(n) FROM journal_probe`).Scan(&n)
	if n != 2 {
		t.Errorf("each row updated %d times, want 2 (once per batch)", n)
	}
}

// TestGroupCommit_FailureRunsAgainInSavepoints: when one write of a batch
// fails, the others still commit, each once, and the failed one leaves
// nothing: the batch runs again with a savepoint per write.
func TestGroupCommit_FailureRunsAgainInSavepoints(t *testing.T) {
	db, ctx := openGroupDB(t), context.Background()
	if err := db.Update(ctx, func(tx *Tx) error {
		_, err := tx.Exec(`CREATE TABLE grp_probe (name TEXT PRIMARY KEY)`)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	insert := func(name string, fail bool) func(context.Context, *Tx) error {
		return func(ctx context.Context, tx *Tx) error {
			if _, err := tx.ExecContext(ctx, `INSERT INTO grp_probe (name) VALUES (?)`, name); err != nil {
				return err
			}
			if fail {
				return errors.New("changed my mind")
			}
			return nil
		}
	}
	var b []*groupReq
	for i, name := range []string{"a", "b", "c", "d"} {
		b = append(b, &groupReq{ctx: ctx, fn: insert(name, i == 2), done: make(chan error, 1)})
	}
	db.groupCommit(b)
	for i, r := range b {
		if err := <-r.done; (i == 2) != (err != nil) {
			t.Errorf("write %d: %v", i, err)
		}
	}
	var got []string
	rows, err := db.read.Query(`SELECT name FROM grp_probe ORDER BY name`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var s string
		rows.Scan(&s)
		got = append(got, s)
	}
	if strings.Join(got, ",") != "a,b,d" {
		t.Errorf("rows %v, want a,b,d", got)
	}
}

func openGroupDB(t *testing.T) *DB {
	t.Helper()
	db := NewDB(filepath.Join(t.TempDir(), "orengen.db"))
	if err := db.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// unnamedFiles counts this process's open files that have no name (SQLite
// opens its temporary files unlinked).
func unnamedFiles(t *testing.T) int {
	t.Helper()
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc/self/fd:", err)
	}
	n := 0
	for _, fd := range fds {
		if target, err := os.Readlink(filepath.Join("/proc/self/fd", fd.Name())); err == nil && strings.HasSuffix(target, " (deleted)") {
			n++
		}
	}
	return n
}

// TestGroupCommit_PacesUnderLoad: writes that arrive one at a time while
// the writer is mostly idle commit one by one at once; writes that keep
// the writer more than paceLoad busy wait for groupPace and commit
// several to a transaction. Without the pacing, the second phase's
// commits held 1.2-1.5 writes each.
// TestGroupCommit_PacesUnderLoad: writes that arrive one at a time while
// the writer is mostly idle commit one by one at once; right after the
// writer was busy (a write that held it 150 ms), writes arriving 0.3 ms
// apart wait for groupPace and share commits. Without the pacing the
// five commit one by one (with it, 2 commits on a quiet machine, 3-4 under
// load).
func TestGroupCommit_PacesUnderLoad(t *testing.T) {
	db, ctx := openGroupDB(t), context.Background()
	if err := db.Update(ctx, func(tx *Tx) error {
		_, err := tx.Exec(`CREATE TABLE pace_probe (id INTEGER PRIMARY KEY, v TEXT)`)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	insert := func(hold time.Duration) func(ctx context.Context, tx *Tx) error {
		return func(ctx context.Context, tx *Tx) error {
			_, err := tx.ExecContext(ctx, `INSERT INTO pace_probe (v) VALUES ('x')`)
			time.Sleep(hold)
			return err
		}
	}

	// Light: one write every 10 ms.
	before := db.GroupStats()
	for i := 0; i < 20; i++ {
		if err := db.Group(ctx, insert(0)); err != nil {
			t.Fatal(err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	light := db.GroupStats()
	if n, paced := light.Commits-before.Commits, light.Paced-before.Paced; n != 20 || paced != 0 {
		t.Fatalf("20 writes 10 ms apart: %d commits, %v paced; want 20 commits, none paced", n, paced)
	}

	// Busy: one write holds the writer 150 ms, then five arrive 0.3 ms
	// apart.
	if err := db.Group(ctx, insert(150*time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	busy := db.GroupStats()
	var wg sync.WaitGroup
	errs := make(chan error, 5)
	for i := 0; i < 5; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- db.Group(ctx, insert(0))
		}()
		time.Sleep(300 * time.Microsecond)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	after := db.GroupStats()
	commits, writes, paced := after.Commits-busy.Commits, after.Writes-busy.Writes, after.Paced-busy.Paced
	if writes != 5 || commits >= 5 || paced <= 0 {
		t.Fatalf("5 writes 0.3 ms apart after a busy writer: %d commits of %d writes, %v paced; want fewer commits than writes, paced", commits, writes, paced)
	}
	var n int
	if err := db.ReadDB().QueryRow(`SELECT count(*) FROM pace_probe`).Scan(&n); err != nil || n != 26 {
		t.Fatalf("%d rows stored (%v), want 26", n, err)
	}
}
