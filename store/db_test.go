package store_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"orengen/store"
)

// MustOpenDB opens a database in a temp dir with a fixed clock.
func MustOpenDB(tb testing.TB) *store.DB {
	tb.Helper()
	db := store.NewDB(filepath.Join(tb.TempDir(), "orengen.db"))
	db.Now = func() time.Time { return time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC) }
	if err := db.Open(context.Background()); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

func TestDB_Pragmas(t *testing.T) {
	db := MustOpenDB(t)
	ctx := context.Background()
	for _, tc := range []struct {
		pragma string
		want   string
	}{
		{"journal_mode", "wal"},
		{"foreign_keys", "1"},
		{"synchronous", "1"}, // NORMAL
		{"busy_timeout", "5000"},
	} {
		for name, pool := range map[string]interface {
			QueryRowContext(context.Context, string, ...any) interface{ Scan(...any) error }
		}{"read": rowDB{db, false}, "write": rowDB{db, true}} {
			var got string
			if err := pool.QueryRowContext(ctx, "PRAGMA "+tc.pragma).Scan(&got); err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("%s pool: PRAGMA %s = %q, want %q", name, tc.pragma, got, tc.want)
			}
		}
	}
	// The read pool is read-only.
	if _, err := db.ReadDB().ExecContext(ctx, "CREATE TABLE x (id INTEGER)"); err == nil {
		t.Fatal("read pool accepted a write")
	}
}

type rowDB struct {
	db    *store.DB
	write bool
}

func (r rowDB) QueryRowContext(ctx context.Context, q string, args ...any) interface{ Scan(...any) error } {
	if r.write {
		tx, err := r.db.BeginTx(ctx)
		if err != nil {
			panic(err)
		}
		defer tx.Rollback()
		var v string
		err = tx.QueryRowContext(ctx, q, args...).Scan(&v)
		return staticRow{v, err}
	}
	return r.db.ReadDB().QueryRowContext(ctx, q, args...)
}

type staticRow struct {
	v   string
	err error
}

func (s staticRow) Scan(dst ...any) error {
	if s.err != nil {
		return s.err
	}
	*(dst[0].(*string)) = s.v
	return nil
}

func TestDB_MigrateIdempotent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "orengen.db")
	ctx := context.Background()
	pending, err := store.Pending(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	all, _ := store.Migrations()
	if len(pending) != len(all) || len(all) == 0 {
		t.Fatalf("pending on a missing file = %v, want all %d", pending, len(all))
	}
	for i := 0; i < 2; i++ {
		db := store.NewDB(path)
		if err := db.Open(ctx); err != nil {
			t.Fatalf("open %d: %v", i, err)
		}
		applied, err := db.Migrate(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(applied) != 0 {
			t.Fatalf("open %d: Migrate after Open applied %v again", i, applied)
		}
		var n int
		if err := db.ReadDB().QueryRowContext(ctx, "SELECT count(*) FROM schema_migrations").Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != len(all) {
			t.Fatalf("schema_migrations has %d rows, want %d", n, len(all))
		}
		db.Close()
	}
	if pending, err = store.Pending(ctx, path); err != nil || len(pending) != 0 {
		t.Fatalf("pending after migrate = %v, %v", pending, err)
	}
}

func TestFormatTime_RoundTrip(t *testing.T) {
	in := time.Date(2026, 1, 2, 3, 4, 5, 678_000_000, time.FixedZone("x", 3600))
	s := store.FormatTime(in)
	if s != "2026-01-02T02:04:05.678Z" {
		t.Fatalf("FormatTime = %q", s)
	}
	out, err := store.ParseTime(s)
	if err != nil || !out.Equal(in) {
		t.Fatalf("ParseTime = %v, %v", out, err)
	}
}

// TestDB_FilesOwnerOnly: the databases and their -wal and -shm are 0600
// whatever the umask lets SQLite do, and an existing 0644 database is made
// owner-only when opened.
func TestDB_FilesOwnerOnly(t *testing.T) {
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	dir := t.TempDir()
	ctx := context.Background()
	db := store.NewDB(filepath.Join(dir, "orengen.db"))
	if err := db.Open(ctx); err != nil {
		t.Fatal(err)
	}
	kv := store.NewKV(filepath.Join(dir, "redka.db"))
	if err := kv.Open(); err != nil {
		t.Fatal(err)
	}
	if err := kv.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	check := func(names ...string) {
		t.Helper()
		for _, n := range names {
			fi, err := os.Stat(filepath.Join(dir, n))
			if err != nil {
				t.Fatalf("%s: %v", n, err)
			}
			if fi.Mode().Perm() != 0o600 {
				t.Errorf("%s mode %o, want 600", n, fi.Mode().Perm())
			}
		}
	}
	check("orengen.db", "orengen.db-wal", "orengen.db-shm", "redka.db", "redka.db-wal", "redka.db-shm")
	db.Close()
	kv.Close()
	// A database created 0644 by an older version is made owner-only.
	legacy := filepath.Join(dir, "legacy.db")
	if err := os.WriteFile(legacy, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	ldb := store.NewDB(legacy)
	if err := ldb.Open(ctx); err != nil {
		t.Fatal(err)
	}
	defer ldb.Close()
	check("legacy.db", "legacy.db-wal", "legacy.db-shm")
}

// A new database takes every migration in one transaction: the schema and
// the recorded migrations are those of applying them one at a time (a
// database that has the first migration takes the rest one by one), and
// the WAL holds each page once instead of once per migration.
func TestDB_MigrateNewInOneTransaction(t *testing.T) {
	ctx := context.Background()
	all, err := store.Migrations()
	if err != nil || len(all) < 2 {
		t.Fatalf("migrations: %d, %v", len(all), err)
	}
	dir := t.TempDir()

	onePath := filepath.Join(dir, "one.db")
	w, r, err := store.OpenPools(onePath, 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)`,
		all[0].SQL,
		`INSERT INTO schema_migrations (name, applied_at) VALUES ('` + all[0].Name + `', '2026-11-24T12:00:00.000Z')`,
	} {
		if _, err := w.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	one := store.NewDB(onePath)
	if err := one.Open(ctx); err != nil { // the rest one by one
		t.Fatal(err)
	}
	r.Close()
	w.Close()
	defer one.Close()

	newPath := filepath.Join(dir, "new.db")
	fresh := store.NewDB(newPath)
	fresh.Now = func() time.Time { return time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC) }
	if err := fresh.Open(ctx); err != nil {
		t.Fatal(err)
	}
	defer fresh.Close()

	dump := func(db *store.DB, q string) []string {
		rows, err := db.ReadDB().QueryContext(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out []string
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				t.Fatal(err)
			}
			out = append(out, s)
		}
		return out
	}
	for _, q := range []string{
		`SELECT type || ' ' || name || ' ' || tbl_name || ' ' || coalesce(sql, '') FROM sqlite_master ORDER BY type, name`,
		`SELECT name FROM schema_migrations ORDER BY name`,
	} {
		got, want := dump(fresh, q), dump(one, q)
		if len(got) != len(want) {
			t.Fatalf("%s: %d rows in one transaction, %d one by one", q, len(got), len(want))
		}
		for i := range got {
			if got[i] != want[i] {
				t.Fatalf("%s: row %d in one transaction %q, one by one %q", q, i, got[i], want[i])
			}
		}
	}
	if n := len(dump(fresh, `SELECT name FROM schema_migrations`)); n != len(all) {
		t.Fatalf("%d migrations recorded, want %d", n, len(all))
	}
	newWAL, oneWAL := fileSize(t, newPath+"-wal"), fileSize(t, onePath+"-wal")
	// About half: each page once, against once per migration that
	// touched it (the schema's pages by every one).
	if newWAL*4 >= oneWAL*3 {
		t.Fatalf("WAL of the new database %d bytes, one by one %d: not one transaction", newWAL, oneWAL)
	}
}

func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

// TestDB_ReplicatorCheckpoints: with ReplicatorCheckpoints the write
// connection never checkpoints by itself (the replicator does), so 1,500
// pages of writes with no replicator running leave every frame in the WAL
// and its header (salts) unchanged; by default SQLite checkpoints at 1,000
// pages and the next write restarts the WAL under a new salt, which is
// what lost pages from a replica whose replicator was restarting. Then
// CheckpointTruncate empties the WAL and keeps every row.
func TestDB_ReplicatorCheckpoints(t *testing.T) {
	ctx := context.Background()
	for _, replicator := range []bool{false, true} {
		db := store.NewDB(filepath.Join(t.TempDir(), "orengen.db"))
		db.ReplicatorCheckpoints = replicator
		if err := db.Open(ctx); err != nil {
			t.Fatal(err)
		}
		var auto string
		if err := (rowDB{db, true}).QueryRowContext(ctx, "PRAGMA wal_autocheckpoint").Scan(&auto); err != nil {
			t.Fatal(err)
		}
		if want := map[bool]string{false: "1000", true: "0"}[replicator]; auto != want {
			t.Fatalf("replicator=%v: wal_autocheckpoint = %s, want %s", replicator, auto, want)
		}
		exec := func(q string, args ...any) {
			t.Helper()
			tx, err := db.BeginTx(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer tx.Rollback()
			if _, err := tx.ExecContext(ctx, q, args...); err != nil {
				t.Fatal(err)
			}
			if err := tx.Commit(); err != nil {
				t.Fatal(err)
			}
		}
		exec("CREATE TABLE blobs (b BLOB)")
		walHeader := func() []byte {
			t.Helper()
			b, err := os.ReadFile(db.Path + "-wal")
			if err != nil || len(b) < 32 {
				t.Fatalf("read WAL: %d bytes, %v", len(b), err)
			}
			return b[16:24] // salt-1, salt-2
		}
		salt := walHeader()
		const rows, size = 60, 100_000 // ~25 pages a row: ~1,500 pages in all
		for i := 0; i < rows; i++ {
			exec("INSERT INTO blobs VALUES (randomblob(?))", size)
		}
		restarted := string(walHeader()) != string(salt)
		frames := (fileSize(t, db.Path+"-wal") - 32) / (4096 + 24)
		if replicator && (restarted || frames < rows*size/4096) {
			t.Errorf("replicator checkpoints: WAL restarted=%v with %d frames after %d pages of writes; want every frame kept", restarted, frames, rows*size/4096)
		}
		if !replicator && !restarted {
			t.Errorf("default: WAL not restarted after %d pages of writes (%d frames); SQLite's automatic checkpoint did not run", rows*size/4096, frames)
		}
		if err := db.CheckpointTruncate(ctx); err != nil {
			t.Fatal(err)
		}
		if n := fileSize(t, db.Path+"-wal"); n != 0 {
			t.Errorf("replicator=%v: WAL is %d bytes after CheckpointTruncate, want 0", replicator, n)
		}
		var n int
		if err := db.ReadDB().QueryRowContext(ctx, "SELECT count(*) FROM blobs WHERE length(b) = ?", size).Scan(&n); err != nil || n != rows {
			t.Errorf("replicator=%v: %d rows after the checkpoint, want %d (%v)", replicator, n, rows, err)
		}
		db.Close()
	}
}

// The write connection keeps SQLite's statement journals in memory
// (temp_store = MEMORY), in both checkpoint modes. A statement on a table
// with a trigger (a run's status change updates the dashboard's daily
// counts so) journals the pages it changes; with temp_store at its default
// the journal moved to a temporary file once it outgrew 64 KiB, and then
// every such statement wrote its pages there for the rest of the
// transaction: a run's insert took 40 µs instead of 14 while an insert
// trigger counted it (2026-12-08), in every lead a group commit captured. While the transaction is open the
// temporary file would be among the process's open files (an unnamed
// O_TMPFILE file, "/var/tmp/#inode (deleted)"). A statement that changes
// many pages (here a multi-row UPDATE) outgrows it.
func TestDB_StatementJournalsInMemory(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc/self/fd")
	}
	for _, replicator := range []bool{false, true} {
		db := store.NewDB(filepath.Join(t.TempDir(), "orengen.db"))
		db.ReplicatorCheckpoints = replicator
		ctx := context.Background()
		if err := db.Open(ctx); err != nil {
			t.Fatal(err)
		}
		tx, err := db.BeginTx(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var mode string
		if err := tx.QueryRowContext(ctx, `PRAGMA temp_store`).Scan(&mode); err != nil {
			t.Fatal(err)
		}
		for _, q := range []string{`CREATE TABLE zt (id INTEGER PRIMARY KEY, v TEXT NOT NULL CHECK (v <> ''))`, `CREATE INDEX zt_v ON zt (v)`,
			`CREATE TABLE zc (n INTEGER)`, `INSERT INTO zc VALUES (0)`,
			`CREATE TRIGGER zt_ai AFTER INSERT ON zt BEGIN UPDATE zc SET n = n + 1; END`} {
			if _, err := tx.ExecContext(ctx, q); err != nil {
				t.Fatal(err)
			}
		}
		for i := range 400 {
			if _, err := tx.ExecContext(ctx, `INSERT INTO zt (v) VALUES (?)`, fmt.Sprintf("%04d%s", (i*7919)%400, strings.Repeat("x", 1500))); err != nil {
				t.Fatal(err)
			}
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		// A statement that changes many pages of a table with a trigger,
		// then small ones, in one transaction.
		tx, err = db.BeginTx(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE zt SET v = v || 'y'`); err != nil {
			t.Fatal(err)
		}
		for range 10 {
			if _, err := tx.ExecContext(ctx, `INSERT INTO zt (v) VALUES ('z')`); err != nil {
				t.Fatal(err)
			}
		}
		var tmp []string
		fds, _ := os.ReadDir("/proc/self/fd")
		for _, fd := range fds {
			if l, err := os.Readlink("/proc/self/fd/" + fd.Name()); err == nil && strings.Contains(l, "/#") && strings.HasSuffix(l, "(deleted)") {
				tmp = append(tmp, l)
			}
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT n FROM zc`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		tx.Rollback()
		db.Close()
		if mode != "2" || len(tmp) > 0 || n != 410 {
			t.Errorf("replicator checkpoints %v: temp_store %s (want 2, memory), temporary files open in the transaction %q (want none), trigger ran %d times (want 410)", replicator, mode, tmp, n)
		}
	}
}
