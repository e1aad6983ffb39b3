// Package store is orengen's SQLite storage: connections, embedded numbered
// migrations and plain SQL implementations of the app's store interfaces.
//
// store owns every SQL statement and the migrations (store/migrations,
// numbered files). It imports app and app's domain packages (the
// interfaces it implements), the SQLite driver (mattn/go-sqlite3), redka
// and certmagic (certificate storage); never ui, cli or an integration.
// One file per record kind: crm.go (shared helpers), crm_person.go,
// crm_company.go, crm_pipeline.go, crm_deal.go, crm_note.go, crm_task.go,
// crm_query.go (the paged list query) and crm_timeline.go.
package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"sort"
	"sync/atomic"
	"time"

	"github.com/mattn/go-sqlite3"

	"orengen/app"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// DefaultBusyTimeout is how long a connection waits on a lock. Litestream's
// checkpoints take the write lock briefly, so this must not be zero.
const DefaultBusyTimeout = 5 * time.Second

// DB is the application database: one write connection and a read pool on
// the same file. SQLite allows one writer at a time, so a single write
// connection serialises writers in Go instead of in SQLITE_BUSY retries.
type DB struct {
	Path string
	// Now is the clock; tests replace it.
	Now func() time.Time
	// ReadConns is the size of the read pool (default: 2 × CPUs, at least 4).
	ReadConns int
	// Probe, when set, is the probe that read the file before the open
	// (serve's): Open takes its connection as the read pool's first, its
	// schema parsed and the WAL index built, instead of opening another,
	// and closes the probe.
	Probe *Probe
	// ReplicatorCheckpoints turns SQLite's automatic checkpoint off on the
	// write connection and leaves checkpoints to the replicator (serve sets
	// it when a replica is configured): a checkpoint the application runs
	// while no replicator holds its read lock (the child crashed and is
	// restarting) can restart the WAL under frames Litestream has not
	// shipped yet, and the replica then lacks those pages.
	ReplicatorCheckpoints bool

	write *sql.DB
	read  *sql.DB
	txSeq atomic.Int64 // numbers write transactions (crm_timeline.tx)
	stmts stmtCache    // the write connection's prepared statements
	group group        // group commit of small writes (Group)
	mem   memPool      // in-memory databases for scratch indexes (wiki_snippet.go)
	// noSnapshot makes a new database run every migration's own SQL
	// instead of their snapshot (TestNewDatabaseSQL's reference).
	noSnapshot bool
}

// NewDB returns a DB for the file at path; call Open next.
func NewDB(path string) *DB {
	return &DB{Path: path, Now: time.Now}
}

// DSN returns the connection string for path. Every connection setting is
// in the DSN so each pooled connection gets it (never PRAGMA on a pool):
// WAL, synchronous=NORMAL (durable at checkpoints, safe with WAL),
// busy_timeout, foreign keys, and BEGIN IMMEDIATE for writers so a
// transaction that will write takes the lock up front instead of failing
// at its first write.
func DSN(path string, readOnly bool) string {
	q := url.Values{}
	q.Set("_journal_mode", "WAL")
	q.Set("_synchronous", "NORMAL")
	q.Set("_busy_timeout", fmt.Sprint(DefaultBusyTimeout.Milliseconds()))
	q.Set("_foreign_keys", "on")
	if readOnly {
		q.Set("mode", "ro")
		q.Set("_query_only", "on")
	} else {
		q.Set("_txlock", "immediate")
	}
	return "file:" + path + "?" + q.Encode()
}

// OpenPools opens a write pool (one connection) and a read pool on path.
// Redka uses it too, so every database in the process is opened the same way.
func OpenPools(path string, readConns int) (write, read *sql.DB, err error) {
	return openPools(path, readConns, nil, false)
}

// noAutoCheckpoint is the SQLite driver for write connections whose
// checkpoints the replicator runs (DB.ReplicatorCheckpoints): the pragma
// runs on every connection the pool opens, a replacement for a broken one
// included, which a PRAGMA on the pool would not. These connections also
// wait for the write lock with setBusyPoll's handler: the replicator, a
// second process, takes the lock for its checkpoints (10-45 ms under load)
// and SQLite's default handler retried only at its 1-100 ms steps.
var noAutoCheckpoint = &sqlite3.SQLiteDriver{ConnectHook: func(c *sqlite3.SQLiteConn) error {
	if err := tempInMemory(c); err != nil {
		return err
	}
	if _, err := c.Exec("PRAGMA wal_autocheckpoint = 0", nil); err != nil {
		return err
	}
	return setBusyPoll(c, DefaultBusyTimeout)
}}

// writeDriver is the SQLite driver for write connections whose
// checkpoints SQLite runs itself.
var writeDriver = &sqlite3.SQLiteDriver{ConnectHook: tempInMemory}

// tempInMemory keeps a write connection's statement journals in memory
// (temp_store = MEMORY). A statement that may fail halfway on a table
// with a trigger (a run's status change updates the dashboard's daily
// counts so) journals the pages it changes, and SQLite moved the journal
// to a temporary file once one statement outgrew 64 KiB; every such
// statement then wrote its pages to that file until the transaction
// ended. Inside a group commit that was most of the cost of enqueueing a
// lead's run while an insert trigger counted it (40 µs of ~45 per insert,
// against 14 in memory). In memory the journal is
// emptied after each statement. Savepoints (DB.Group's retry path), big
// sorts and temporary tables on the write connection use memory too; the
// read pool keeps the default.
func tempInMemory(c *sqlite3.SQLiteConn) error {
	_, err := c.Exec("PRAGMA temp_store = MEMORY", nil)
	return err
}

// dsnConnector opens connections to one DSN with a driver value (not a
// registered name).
type dsnConnector struct {
	dsn string
	drv driver.Driver
}

func (c dsnConnector) Connect(context.Context) (driver.Conn, error) { return c.drv.Open(c.dsn) }
func (c dsnConnector) Driver() driver.Driver                        { return c.drv }

// openWrite opens the write pool on path, with SQLite's automatic
// checkpoint off when replicatorCheckpoints.
func openWrite(path string, replicatorCheckpoints bool) (*sql.DB, error) {
	if replicatorCheckpoints {
		return sql.OpenDB(dsnConnector{DSN(path, false), noAutoCheckpoint}), nil
	}
	return sql.OpenDB(dsnConnector{DSN(path, false), writeDriver}), nil
}

// openPools is OpenPools with read, when not nil, as the read pool: a pool
// opened with DSN(path, true) (a Probe's), closed if the open fails.
func openPools(path string, readConns int, read *sql.DB, replicatorCheckpoints bool) (write, _ *sql.DB, err error) {
	defer func() {
		if err != nil && read != nil {
			read.Close()
		}
	}()
	if err := ensurePrivate(path); err != nil {
		return nil, nil, err
	}
	if readConns <= 0 {
		readConns = max(4, 2*runtime.NumCPU())
	}
	if write, err = openWrite(path, replicatorCheckpoints); err != nil {
		return nil, nil, fmt.Errorf("open %s: %w", path, err)
	}
	write.SetMaxOpenConns(1)
	write.SetMaxIdleConns(1)
	write.SetConnMaxLifetime(0)
	// The first connection creates the file and switches it to WAL; the
	// read-only pool cannot do either.
	if err := write.Ping(); err != nil {
		write.Close()
		return nil, nil, fmt.Errorf("open %s: %w", path, err)
	}
	if read == nil {
		if read, err = sql.Open("sqlite3", DSN(path, true)); err != nil {
			write.Close()
			return nil, nil, fmt.Errorf("open %s: %w", path, err)
		}
	}
	read.SetMaxOpenConns(readConns)
	read.SetMaxIdleConns(readConns)
	return write, read, nil
}

// ensurePrivate makes a database owner-only: it creates a missing file
// with mode 0600 (an empty file is an empty database) and takes group and
// other access away from an existing one and its -wal and -shm. SQLite
// would create the file 0644, and it gives the -wal and -shm the database
// file's mode, so they follow.
func ensurePrivate(path string) error {
	f, err := os.OpenFile(path, os.O_RDONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err == nil {
		return f.Close()
	} else if !errors.Is(err, os.ErrExist) {
		return fmt.Errorf("create %s: %w", path, err)
	}
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		fi, err := os.Stat(p)
		if errors.Is(err, os.ErrNotExist) {
			continue
		} else if err != nil {
			return err
		}
		if fi.Mode().Perm()&0o077 != 0 {
			if err := os.Chmod(p, fi.Mode().Perm()&0o700); err != nil {
				return fmt.Errorf("make %s owner-only: %w", p, err)
			}
		}
	}
	return nil
}

// Open opens the database, creating its directory and file if needed, and
// applies pending migrations.
func (db *DB) Open(ctx context.Context) error {
	if db.Path == "" {
		return errors.New("database path required")
	}
	if db.Now == nil {
		db.Now = time.Now
	}
	if err := os.MkdirAll(filepath.Dir(db.Path), 0o700); err != nil {
		return fmt.Errorf("create data directory: %w", err)
	}
	var err error
	if db.write, db.read, err = openPools(db.Path, db.ReadConns, db.Probe.release(db.Path), db.ReplicatorCheckpoints); err != nil {
		return err
	}
	if _, err := db.Migrate(ctx); err != nil {
		db.Close()
		return err
	}
	return nil
}

// Close closes both pools.
func (db *DB) Close() error {
	var errs []error
	db.stmts.close()
	errs = append(errs, db.mem.close())
	if db.read != nil {
		errs = append(errs, db.read.Close())
	}
	if db.write != nil {
		errs = append(errs, db.write.Close())
	}
	return errors.Join(errs...)
}

// CheckpointTruncate copies every frame of the WAL into the database file
// and truncates the WAL to zero bytes, on the write connection. With
// ReplicatorCheckpoints the replicator runs the checkpoints; serve calls
// this only when the replicator has stopped running them and the WAL grows
// without bound. A truncated WAL is one Litestream notices ("wal truncated
// by another process") and answers with a new snapshot, where a WAL
// restarted in place may hide frames it never shipped. A reader in the
// way makes it answer an error, having truncated nothing.
func (db *DB) CheckpointTruncate(ctx context.Context) error {
	return checkpointTruncate(ctx, db.write, db.Path)
}

func checkpointTruncate(ctx context.Context, write *sql.DB, path string) error {
	var busy, logN, done int
	if err := write.QueryRowContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)").Scan(&busy, &logN, &done); err != nil {
		return fmt.Errorf("checkpoint %s: %w", filepath.Base(path), err)
	}
	if busy != 0 {
		return fmt.Errorf("checkpoint %s: a reader holds the WAL (%d of %d frames copied)", filepath.Base(path), done, logN)
	}
	return nil
}

// Ping checks that the database answers a query.
func (db *DB) Ping(ctx context.Context) error {
	var n int
	return db.read.QueryRowContext(ctx, "SELECT 1").Scan(&n)
}

// Migration is one embedded schema change.
type Migration struct {
	Name string
	SQL  string
}

// Migrations returns the embedded migrations in order.
func Migrations() ([]Migration, error) {
	names, err := migrationNames()
	if err != nil {
		return nil, err
	}
	out := make([]Migration, 0, len(names))
	for _, n := range names {
		m, err := readMigration(n)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}

// migrationNames lists the embedded migrations' names in order, without
// reading them: a restart of a current database needs only the names
// (the files are 350 KB, which every start read twice).
func migrationNames() ([]string, error) {
	paths, err := fs.Glob(migrationFS, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	sort.Strings(paths)
	for i, p := range paths {
		paths[i] = path.Base(p)
	}
	return paths, nil
}

// readMigration reads one embedded migration by name.
func readMigration(name string) (Migration, error) {
	b, err := migrationFS.ReadFile("migrations/" + name)
	if err != nil {
		return Migration{}, err
	}
	return Migration{Name: name, SQL: string(b)}, nil
}

// Pending returns the names of migrations not yet applied to the file at
// path, without changing it (used to decide whether to record a restore
// point before an upgrade). A missing file has every migration pending.
func Pending(ctx context.Context, path string) ([]string, error) {
	p := NewProbe(path)
	defer p.Close()
	return p.Pending(ctx)
}

// Migrate applies pending migrations, each in its own transaction (on a
// new database all of them in one, from their snapshot where it covers
// them: migrate_snapshot.go), and returns the names applied.
func (db *DB) Migrate(ctx context.Context) ([]string, error) {
	if _, err := db.write.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)`); err != nil {
		return nil, fmt.Errorf("create schema_migrations: %w", err)
	}
	names, err := migrationNames()
	if err != nil {
		return nil, err
	}
	// One read of what is applied, so a restart of a current database
	// opens no write transaction (one per migration cost 2-11 ms for 260
	// migrations); migrateOne checks again inside its transaction, in
	// case another process migrated in between.
	done, err := db.appliedMigrations(ctx)
	if err != nil {
		return nil, err
	}
	if len(done) == 0 {
		all, err := Migrations()
		if err != nil {
			return nil, err
		}
		if applied, ok, err := db.migrateNew(ctx, all); ok || err != nil {
			return applied, err
		}
	}
	var applied []string
	for _, n := range names {
		if done[n] {
			continue
		}
		m, err := readMigration(n)
		if err != nil {
			return applied, err
		}
		ok, err := db.migrateOne(ctx, m)
		if err != nil {
			return applied, fmt.Errorf("migration %s: %w", m.Name, err)
		}
		if ok {
			applied = append(applied, m.Name)
		}
	}
	return applied, nil
}

// appliedMigrations returns the names recorded in schema_migrations.
func (db *DB) appliedMigrations(ctx context.Context) (map[string]bool, error) {
	rows, err := db.write.QueryContext(ctx, `SELECT name FROM schema_migrations`)
	if err != nil {
		return nil, fmt.Errorf("read schema_migrations: %w", err)
	}
	defer rows.Close()
	done := map[string]bool{}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		done[n] = true
	}
	return done, rows.Err()
}

// migrateNew applies every migration to a new database in one
// transaction; ok is false, with nothing done, when the database is not
// new after all (another process migrated it since Migrate looked). One
// transaction instead of one per migration: each commit wrote the
// schema's pages to the WAL again, a quarter of a new database's open
// (the first start of an install).
func (db *DB) migrateNew(ctx context.Context, all []Migration) (applied []string, ok bool, err error) {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return nil, false, err
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations`).Scan(&n); err != nil {
		return nil, false, err
	}
	if n > 0 {
		return nil, false, nil
	}
	now := FormatTime(db.Now())
	done := 0 // the migrations the snapshot applied (migrate_snapshot.go)
	if !db.noSnapshot {
		if done, err = applySnapshot(ctx, tx, newDatabaseSQL, all); err != nil {
			return nil, false, err
		}
	}
	for i, m := range all {
		if i < done {
			// applied by the snapshot
		} else if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
			return nil, false, fmt.Errorf("migration %s: %w", m.Name, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?)`, m.Name, now); err != nil {
			return nil, false, fmt.Errorf("migration %s: %w", m.Name, err)
		}
		applied = append(applied, m.Name)
	}
	if err := tx.Commit(); err != nil {
		return nil, false, err
	}
	return applied, true, nil
}

func (db *DB) migrateOne(ctx context.Context, m Migration) (bool, error) {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return false, err
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE name = ?`, m.Name).Scan(&n); err != nil {
		return false, err
	}
	if n > 0 {
		return false, nil
	}
	if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
		return false, err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?)`, m.Name, FormatTime(db.Now())); err != nil {
		return false, err
	}
	return true, tx.Commit()
}

// Tx is a write transaction with its time fixed at BeginTx, so every row it
// touches carries the same timestamp.
type Tx struct {
	*sql.Tx
	db  *DB
	now time.Time
	seq int64 // unique per transaction across restarts (nanosecond-seeded)
	// local holds this transaction's handles of cached statements.
	local map[string]*sql.Stmt
}

// BeginTx starts a write transaction on the write connection.
func (db *DB) BeginTx(ctx context.Context) (*Tx, error) {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	db.txSeq.CompareAndSwap(0, time.Now().UnixNano())
	return &Tx{Tx: tx, db: db, now: db.Now().UTC().Truncate(time.Millisecond), seq: db.txSeq.Add(1)}, nil
}

// Update runs fn in a write transaction and commits it if fn returns nil;
// any error rolls everything back, so a failed write leaves nothing half
// done.
func (db *DB) Update(ctx context.Context, fn func(tx *Tx) error) error {
	tx, err := db.BeginTx(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit()
}

// tenantUpdate runs fn in a write transaction for the tenant in ctx
// (EUNAUTHORIZED without one), as Update does.
func (db *DB) tenantUpdate(ctx context.Context, fn func(tx *Tx, tid int64) error) error {
	tid, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return err
	}
	return db.Update(ctx, func(tx *Tx) error { return fn(tx, tid) })
}

// tenantTx begins a write transaction for the tenant in ctx
// (EUNAUTHORIZED without one), for a write that returns more than an
// error; tenantUpdate is the shorter form.
func (db *DB) tenantTx(ctx context.Context) (int64, *Tx, error) {
	tid, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return 0, nil, err
	}
	tx, err := db.BeginTx(ctx)
	if err != nil {
		return 0, nil, err
	}
	return tid, tx, nil
}

// ReadDB returns the read pool, for queries outside a write transaction.
func (db *DB) ReadDB() *sql.DB { return db.read }

// Stats reports pool statistics (for metrics).
func (db *DB) Stats() (write, read sql.DBStats) { return db.write.Stats(), db.read.Stats() }

// TimeLayout is how times are stored: UTC, RFC 3339 with milliseconds,
// fixed width so text order is time order.
const TimeLayout = "2006-01-02T15:04:05.000Z07:00"

// FormatTime formats t for storage.
func FormatTime(t time.Time) string { return t.UTC().Format(TimeLayout) }

// ParseTime parses a stored time.
func ParseTime(s string) (time.Time, error) { return time.Parse(time.RFC3339Nano, s) }

// NullTime scans a nullable TEXT time column.
type NullTime struct{ T *time.Time }

// Scan implements sql.Scanner.
func (n *NullTime) Scan(v any) error {
	n.T = nil
	switch s := v.(type) {
	case nil:
		return nil
	case string:
		t, err := ParseTime(s)
		if err != nil {
			return err
		}
		n.T = &t
	case []byte:
		t, err := ParseTime(string(s))
		if err != nil {
			return err
		}
		n.T = &t
	default:
		return fmt.Errorf("NullTime: cannot scan %T", v)
	}
	return nil
}

// Time scans a NOT NULL TEXT time column.
type Time struct{ T *time.Time }

// Scan implements sql.Scanner.
func (t Time) Scan(v any) error {
	var n NullTime
	if err := n.Scan(v); err != nil {
		return err
	}
	if n.T == nil {
		return errors.New("Time: NULL")
	}
	*t.T = *n.T
	return nil
}

// FormatError maps driver constraint errors to app errors by their typed
// extended code, never by message text.
func FormatError(err error, conflictMsg string) error {
	var se sqlite3.Error
	if errors.As(err, &se) {
		switch se.ExtendedCode {
		case sqlite3.ErrConstraintUnique, sqlite3.ErrConstraintPrimaryKey:
			return app.Errorf(app.ECONFLICT, "%s", conflictMsg)
		case sqlite3.ErrConstraintForeignKey:
			return app.Errorf(app.EINVALID, "A referenced record does not exist.")
		}
		if se.Code == sqlite3.ErrFull {
			return app.Errorf(app.EINTERNAL, "The disk is full; free space and try again.")
		}
	}
	return err
}
