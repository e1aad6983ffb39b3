package backups

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/benbjohnson/litestream"
	"github.com/superfly/ltx"
	_ "modernc.org/sqlite" // driver "sqlite", the SQLite Litestream links; used by Drill only
)

// Errors callers branch on.
var (
	// ErrNoBackup: the replica holds no backup of the database (or none at
	// or before the requested time).
	ErrNoBackup = errors.New("no backup found")
	// ErrDatabaseExists: the target exists and Force was not given.
	ErrDatabaseExists = errors.New("database exists")
	// ErrDatabaseInUse: a process has the target database open or is
	// replicating it; stop orengen first.
	ErrDatabaseInUse = errors.New("database in use")
)

// RestoreOptions selects what Restore restores and where.
type RestoreOptions struct {
	DataDir   string    // where the live databases are
	Replica   Replica   // where to restore from
	DBName    string    // "orengen.db"; "" restores every database of the replica
	Timestamp time.Time // zero restores the latest state
	OutputDir string    // "" restores in place (into DataDir)
	Force     bool      // replace an existing database that no process has open; restore from another database's replica
	// DatabaseID is the identity of the database in DataDir ("" when it
	// has none): restoring into DataDir from a replica of another database
	// needs Force (see RestoreIfMissing).
	DatabaseID string
	Logger     *slog.Logger
}

// RestoreResult describes one restored database.
type RestoreResult struct {
	DB          string        `json:"db"`
	Path        string        `json:"path"`
	Replica     string        `json:"replica"`
	TXID        uint64        `json:"txid"`
	PointInTime time.Time     `json:"point_in_time"` // timestamp of the last LTX file applied
	Size        int64         `json:"size"`
	Duration    time.Duration `json:"duration_ns"`
	Integrity   string        `json:"integrity"` // "ok" (Litestream's full integrity_check passed)
}

// Restore restores databases from a replica. Each database is restored to a
// temporary file next to its target, checked with PRAGMA integrity_check,
// and renamed over the target only then; the target's stale -wal/-shm and
// Litestream's local state for it are removed first. An existing target is
// refused without Force, and a target that a process has open (or that a
// replicator holds) is always refused. Never call it in a process that has
// the target open: probing POSIX locks would drop that process's own locks.
func Restore(ctx context.Context, opt RestoreOptions) ([]RestoreResult, error) {
	log := opt.Logger
	if log == nil {
		log = slog.Default()
	}
	outDir := opt.OutputDir
	if outDir == "" {
		outDir = opt.DataDir
	}
	if outDir == "" {
		return nil, fmt.Errorf("restore: data dir or output dir required")
	}
	names := []string{opt.DBName}
	if opt.DBName == "" {
		var err error
		if names, err = ListDatabases(ctx, opt.Replica, DefaultDatabases); err != nil {
			return nil, fmt.Errorf("restore: %w", err)
		}
		if len(names) == 0 {
			return nil, fmt.Errorf("restore from %s: %w", opt.Replica.Name, ErrNoBackup)
		}
	} else if filepath.Base(opt.DBName) != opt.DBName || !strings.HasSuffix(opt.DBName, ".db") {
		return nil, fmt.Errorf("restore: database name %q must be a file name ending in .db", opt.DBName)
	}
	if opt.OutputDir == "" && !opt.Force {
		if err := checkRestoreSource(ctx, opt.Replica, opt.DataDir, opt.DatabaseID); err != nil {
			return nil, fmt.Errorf("restore: %w", err)
		}
	}
	// Check every target before touching any, so a refusal leaves nothing
	// half-done.
	for _, name := range names {
		target := filepath.Join(outDir, name)
		if _, err := os.Stat(target); err == nil {
			if !opt.Force {
				return nil, fmt.Errorf("restore %s: %w: %s (stop orengen and pass --force to replace it)", name, ErrDatabaseExists, target)
			}
			if dbInUse(target) {
				return nil, fmt.Errorf("restore %s: %w: %s", name, ErrDatabaseInUse, target)
			}
		} else if !errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("restore %s: %w", name, err)
		}
	}
	if err := os.MkdirAll(outDir, 0o700); err != nil {
		return nil, fmt.Errorf("restore: %w", err)
	}
	var results []RestoreResult
	for _, name := range names {
		res, err := restoreOne(ctx, opt.Replica, name, filepath.Join(outDir, name), opt.Timestamp, log)
		if err != nil {
			return results, err
		}
		results = append(results, res)
	}
	return results, nil
}

// restoreOne restores dbName from r to target (replacing it).
func restoreOne(ctx context.Context, r Replica, dbName, target string, ts time.Time, log *slog.Logger) (RestoreResult, error) {
	t0 := time.Now()
	res := RestoreResult{DB: dbName, Path: target, Replica: r.Name}
	tmpDir, err := os.MkdirTemp(filepath.Dir(target), "."+dbName+".restore-*")
	if err != nil {
		return res, fmt.Errorf("restore %s: %w", dbName, err)
	}
	defer os.RemoveAll(tmpDir)
	tmp := filepath.Join(tmpDir, dbName)
	info, err := restoreTo(ctx, r, dbName, tmp, ts, log)
	if err != nil {
		return res, err
	}
	// Litestream writes the file 0644; a database is owner-only.
	if err := os.Chmod(tmp, 0o600); err != nil {
		return res, fmt.Errorf("restore %s: %w", dbName, err)
	}
	// The old database's WAL and shared memory belong to the old file, and
	// Litestream's local LTX state describes the old history: both must go
	// before the new file takes its place.
	for _, p := range []string{target + "-wal", target + "-shm", target + "-journal"} {
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			return res, fmt.Errorf("restore %s: %w", dbName, err)
		}
	}
	meta := filepath.Join(filepath.Dir(target), "."+dbName+litestream.MetaDirSuffix)
	if err := os.RemoveAll(meta); err != nil {
		return res, fmt.Errorf("restore %s: %w", dbName, err)
	}
	if err := os.Rename(tmp, target); err != nil {
		return res, fmt.Errorf("restore %s: %w", dbName, err)
	}
	if d, err := os.Open(filepath.Dir(target)); err == nil {
		_ = d.Sync()
		d.Close()
	}
	res.TXID = uint64(info.MaxTXID)
	res.PointInTime = info.CreatedAt.UTC()
	res.Size = fileSize(target)
	res.Integrity = "ok"
	res.Duration = time.Since(t0)
	log.Info("database restored", "db", dbName, "replica", r.Name, "txid", fmt.Sprintf("%016x", res.TXID),
		"point_in_time", res.PointInTime, "size", res.Size, "took", res.Duration.Round(time.Millisecond))
	return res, nil
}

// restoreTo restores dbName from r into out (which must not exist) and runs
// a full integrity check. It returns the last LTX file of the plan.
func restoreTo(ctx context.Context, r Replica, dbName, out string, ts time.Time, log *slog.Logger) (ltx.FileInfo, error) {
	client, err := r.client(dbName)
	if err != nil {
		return ltx.FileInfo{}, err
	}
	client.SetLogger(log)
	if err := client.Init(ctx); err != nil {
		return ltx.FileInfo{}, fmt.Errorf("restore %s from %s: init: %s", dbName, r.Name, scrub(err.Error(), []Replica{r}))
	}
	plan, err := litestream.CalcRestorePlan(ctx, client, 0, ts, log)
	if errors.Is(err, litestream.ErrTxNotAvailable) || (err == nil && len(plan) == 0) {
		if ts.IsZero() {
			return ltx.FileInfo{}, fmt.Errorf("restore %s from %s: %w", dbName, r.Name, ErrNoBackup)
		}
		return ltx.FileInfo{}, fmt.Errorf("restore %s from %s: %w at or before %s", dbName, r.Name, ErrNoBackup, ts.UTC().Format(time.RFC3339))
	} else if err != nil {
		return ltx.FileInfo{}, fmt.Errorf("restore %s from %s: plan: %s", dbName, r.Name, scrub(err.Error(), []Replica{r}))
	}
	last := *plan[len(plan)-1]
	rr := litestream.NewReplicaWithClient(nil, client)
	opt := litestream.NewRestoreOptions()
	opt.OutputPath = out
	opt.TXID = last.MaxTXID // exactly the state the plan above reached
	opt.IntegrityCheck = litestream.IntegrityCheckFull
	if err := rr.Restore(ctx, opt); err != nil {
		return ltx.FileInfo{}, fmt.Errorf("restore %s from %s: %s", dbName, r.Name, scrub(err.Error(), []Replica{r}))
	}
	return last, nil
}

// hasBackup reports whether r holds any LTX file for dbName.
func hasBackup(ctx context.Context, r Replica, dbName string) (bool, error) {
	client, err := r.client(dbName)
	if err != nil {
		return false, err
	}
	if err := client.Init(ctx); err != nil {
		return false, fmt.Errorf("replica %s: init: %s", r.Name, scrub(err.Error(), []Replica{r}))
	}
	for _, lvl := range []int{litestream.SnapshotLevel, 0, 1, 2, 3} {
		infos, err := listLevel(ctx, client, lvl)
		if err != nil {
			return false, fmt.Errorf("replica %s: list %s: %s", r.Name, dbName, scrub(err.Error(), []Replica{r}))
		}
		if len(infos) > 0 {
			return true, nil
		}
	}
	return false, nil
}

// RestoreIfMissing restores, into dataDir, every database that the first
// reachable replica holds and dataDir lacks. Serve calls it before opening
// its databases, so a fresh machine comes up with the replicated data. A
// replica that cannot be reached is logged and the next one is tried; no
// reachable replica is an error. An empty replica restores nothing.
//
// It never restores from a replica of another database (ErrForeignReplica):
// databaseID is the local orengen.db's identity ("" when there is none),
// and a data directory without a database restores only from a replica
// whose database was served from the same directory (a new machine set up
// like the old one). `orengen restore` restores from any replica on purpose.
func RestoreIfMissing(ctx context.Context, dataDir, databaseID string, replicas []Replica, logger *slog.Logger) ([]RestoreResult, error) {
	if logger == nil {
		logger = slog.Default()
	}
	var lastErr error
	for _, r := range replicas {
		names, err := ListDatabases(ctx, r, DefaultDatabases)
		if err != nil {
			logger.Warn("replica unreachable for restore-if-missing", "replica", r.Redacted(), "error", err)
			lastErr = err
			continue
		}
		missing := false
		for _, name := range names {
			if _, err := os.Stat(filepath.Join(dataDir, name)); err != nil {
				missing = true
			}
		}
		if !missing {
			return nil, nil
		}
		if err := checkRestoreSource(ctx, r, dataDir, databaseID); errors.Is(err, ErrForeignReplica) {
			return nil, err
		} else if err != nil {
			logger.Warn("replica unreachable for restore-if-missing", "replica", r.Redacted(), "error", err)
			lastErr = err
			continue
		}
		var results []RestoreResult
		for _, name := range names {
			target := filepath.Join(dataDir, name)
			if _, err := os.Stat(target); err == nil {
				continue
			}
			res, err := Restore(ctx, RestoreOptions{DataDir: dataDir, Replica: r, DBName: name, DatabaseID: databaseID, Logger: logger})
			if err != nil {
				return results, err
			}
			results = append(results, res...)
		}
		return results, nil
	}
	if lastErr == nil {
		return nil, nil // no replicas configured
	}
	return nil, fmt.Errorf("restore if missing: no replica reachable: %w", lastErr)
}

// DrillResult is the outcome of a restore drill.
type DrillResult struct {
	DB          string           `json:"db"`
	Replica     string           `json:"replica"`
	TXID        uint64           `json:"txid"`
	PointInTime time.Time        `json:"point_in_time"`
	Size        int64            `json:"size"`
	Tables      int              `json:"tables"`
	Rows        int64            `json:"rows"`
	TableRows   map[string]int64 `json:"table_rows"`
	Integrity   string           `json:"integrity"`
	Duration    time.Duration    `json:"duration_ns"`
}

// Drill restores the latest state of dbName from the replica into a
// temporary directory, checks its integrity, counts the rows of every user
// table (not SQLite's or Litestream's own _litestream_* tables) (read-only, with the SQLite Litestream links) and deletes it. It
// opens SQLite with a second library, so it must run in its own process
// (`orengen restore --drill`), never inside serve.
func Drill(ctx context.Context, r Replica, dbName string) (DrillResult, error) {
	t0 := time.Now()
	res := DrillResult{DB: dbName, Replica: r.Name, TableRows: map[string]int64{}}
	dir, err := os.MkdirTemp("", "orengen-drill-*")
	if err != nil {
		return res, fmt.Errorf("drill: %w", err)
	}
	defer os.RemoveAll(dir)
	out := filepath.Join(dir, dbName)
	info, err := restoreTo(ctx, r, dbName, out, time.Time{}, slog.Default())
	if err != nil {
		return res, fmt.Errorf("drill: %w", err)
	}
	res.TXID, res.PointInTime, res.Size = uint64(info.MaxTXID), info.CreatedAt.UTC(), fileSize(out)

	db, err := sql.Open("sqlite", "file:"+out+"?mode=ro&_pragma=busy_timeout(5000)")
	if err != nil {
		return res, fmt.Errorf("drill: open: %w", err)
	}
	defer db.Close()
	if err := db.QueryRowContext(ctx, "PRAGMA integrity_check").Scan(&res.Integrity); err != nil {
		return res, fmt.Errorf("drill: integrity check: %w", err)
	}
	rows, err := db.QueryContext(ctx, `SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite\_%' ESCAPE '\' AND name NOT LIKE '\_litestream\_%' ESCAPE '\' ORDER BY name`)
	if err != nil {
		return res, fmt.Errorf("drill: list tables: %w", err)
	}
	var tables []string
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			rows.Close()
			return res, fmt.Errorf("drill: list tables: %w", err)
		}
		tables = append(tables, t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return res, fmt.Errorf("drill: list tables: %w", err)
	}
	for _, t := range tables {
		var n int64
		q := `SELECT count(*) FROM "` + strings.ReplaceAll(t, `"`, `""`) + `"`
		if err := db.QueryRowContext(ctx, q).Scan(&n); err != nil {
			// Virtual tables (FTS5) may need a module this SQLite lacks.
			if strings.Contains(err.Error(), "no such module") {
				continue
			}
			return res, fmt.Errorf("drill: count %s: %w", t, err)
		}
		res.TableRows[t] = n
		res.Rows += n
	}
	res.Tables = len(res.TableRows)
	res.Duration = time.Since(t0)
	if res.Integrity != "ok" {
		return res, fmt.Errorf("drill: integrity check: %s", res.Integrity)
	}
	return res, nil
}
