package store

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestGroupCommit_NoSavepointJournal: a batch whose writes all succeed
// runs without savepoints, so a write that changes many existing pages
// (here 64 rows of ~3 KB, each on its own page: ~256 KB, past SQLite's
// 64 KiB in-memory journal) sends no journal to a temporary file. The same
// batch with a savepoint per write does, which shows the probe sees it.
func TestGroupCommit_NoSavepointJournal(t *testing.T) {
	db, ctx := openGroupDB(t), context.Background()
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
