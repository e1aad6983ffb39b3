package cli

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"orengen/app"
	"orengen/backups"
	"orengen/store"
	"orengen/ui"
)

// DefaultLagThreshold is the replication lag past which /healthz reports
// degraded and the log warns.
const DefaultLagThreshold = 60 * time.Second

// replicas parses the configured replicas: the default file replica
// (--backup-dir) first, then --replica / ORENGEN_REPLICAS.
func (c *Config) replicas() ([]backups.Replica, error) {
	r, err := backups.ParseReplicas(c.Replicas, c.BackupDir)
	if err != nil {
		return nil, fmt.Errorf("--replica: %w", err)
	}
	return r, nil
}

// backupFlags are the settings `replicate` and `restore` share with serve.
var backupFlags = []string{"data-dir", "backup-dir", "replica", "backup-retention", "backup-snapshot-interval", "backup-sync-interval", "log-level", "log-format"}

// replicatorArgs are the child's arguments: no secret is ever on them
// (replica secrets reach the child through its environment).
func replicatorArgs(cfg *Config) []string {
	args := []string{"replicate", "--data-dir", cfg.DataDir, "--backup-dir", cfg.BackupDir,
		"--backup-retention", cfg.BackupRetention.String(), "--backup-snapshot-interval", cfg.BackupSnapshotInterval.String(),
		"--backup-sync-interval", cfg.BackupSyncInterval.String(),
		"--log-level", cfg.LogLevel, "--log-format", cfg.LogFormat}
	for _, r := range cfg.Replicas {
		args = append(args, "--replica", r)
	}
	if cfg.ConfigFile != "" {
		args = append(args, "--config", cfg.ConfigFile)
	}
	return args
}

// runReplicate is `orengen replicate`: the Litestream child that serve
// starts and supervises. It stops on SIGTERM, SIGINT or when its stdin
// closes (the parent is gone), after a final sync.
func runReplicate(_ context.Context, args []string, stdout, stderr io.Writer, env func(string) string) error {
	fs := newFlagSet("replicate", "replicate [flags] (started by serve; not usually run by hand)", stderr)
	cfg, err := loadConfig(fs, args, env, backupFlags...)
	if err != nil {
		return err
	}
	reps, err := cfg.replicas()
	if err != nil {
		return usageError{err}
	}
	if len(reps) == 0 {
		return usageError{errors.New("--backup-dir or --replica: no replica configured")}
	}
	bc := backups.DefaultConfig(cfg.DataDir, reps)
	bc.Retention, bc.SnapshotInterval = cfg.BackupRetention, cfg.BackupSnapshotInterval
	// The WAL is read as often as it is shipped: reading it more often
	// than shipping only batches, and less often adds to the lag.
	bc.SyncInterval, bc.MonitorInterval = cfg.BackupSyncInterval, cfg.BackupSyncInterval
	bc.Logger = newLogger(cfg, stderr).With("proc", "replicate")
	// Replicate handles its own signals; a signal context here would cut
	// its final sync short.
	return backups.Replicate(context.Background(), bc, os.Stdin)
}

// findReplica picks a configured replica by name, or parses a URL.
func findReplica(reps []backups.Replica, want string) (backups.Replica, error) {
	if want == "" {
		if len(reps) == 0 {
			return backups.Replica{}, errors.New("--replica: no replica configured; pass a replica URL or name")
		}
		return reps[0], nil
	}
	var names []string
	for _, r := range reps {
		if r.Name == want {
			return r, nil
		}
		names = append(names, r.Name)
	}
	if strings.Contains(want, "://") || strings.HasPrefix(want, "/") || strings.Contains(want, "=") {
		r, err := backups.ParseReplica(want)
		if err != nil {
			return backups.Replica{}, fmt.Errorf("--replica: %w", err)
		}
		return r, nil
	}
	return backups.Replica{}, fmt.Errorf("--replica: no replica named %q (configured: %s)", want, strings.Join(names, ", "))
}

// runRestore is `orengen restore`.
func runRestore(ctx context.Context, args []string, stdout, stderr io.Writer, env func(string) string) error {
	fs := newFlagSet("restore", "restore [--replica NAME|URL] [--timestamp RFC3339] [--output DIR] [--db NAME] [--force] [--drill --json]", stderr)
	which := fs.String("replica", "", "replica to restore from: a configured name (local, s3, ...) or a URL (default: the first configured)")
	ts := fs.String("timestamp", "", "restore the state at this time (RFC 3339, e.g. 2026-11-24T15:04:05Z); default latest")
	output := fs.String("output", "", "restore into this directory instead of the data directory")
	db := fs.String("db", "", "database to restore (orengen.db or redka.db); default all")
	force := fs.Bool("force", false, "replace an existing database (never one that a running server has open)")
	drill := fs.Bool("drill", false, "restore drill: restore the latest state to a temporary file, check it, count rows, delete it")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	// --replica names the replica to restore from; the configured list
	// comes from ORENGEN_REPLICAS and --backup-dir.
	cfg, err := loadConfig(fs, args, env, "data-dir", "backup-dir", "log-level", "log-format")
	if err != nil {
		return err
	}
	reps, err := cfg.replicas()
	if err != nil {
		return usageError{err}
	}
	r, err := findReplica(reps, *which)
	if err != nil {
		return usageError{err}
	}
	var at time.Time
	if *ts != "" {
		if at, err = time.Parse(time.RFC3339, *ts); err != nil {
			return usageError{fmt.Errorf("--timestamp: %q is not RFC 3339 (like 2026-11-24T15:04:05Z)", *ts)}
		}
	}
	logger := newLogger(cfg, stderr)
	if *drill {
		name := *db
		if name == "" {
			name = "orengen.db"
		}
		res, err := backups.Drill(ctx, r, name)
		if err != nil {
			return restoreError(err, r)
		}
		if *asJSON {
			return json.NewEncoder(stdout).Encode(res)
		}
		fmt.Fprintf(stdout, "drill ok: %s from %s at txid %x (%s): %d tables, %d rows, %s, integrity %s, %s\n",
			res.DB, res.Replica, res.TXID, res.PointInTime.Format(time.RFC3339), res.Tables, res.Rows, app.FormatBytes(res.Size), res.Integrity, res.Duration.Round(time.Millisecond))
		return nil
	}
	local, err := store.ReadIdentity(ctx, cfg.DBPath())
	if err != nil {
		return err
	}
	ropt := backups.RestoreOptions{DataDir: cfg.DataDir, Replica: r, DBName: *db, Timestamp: at, OutputDir: *output, Force: *force, Logger: logger}
	if local != nil {
		ropt.DatabaseID = local.ID
	}
	results, err := backups.Restore(ctx, ropt)
	if err != nil {
		return restoreError(err, r)
	}
	if *asJSON {
		return json.NewEncoder(stdout).Encode(results)
	}
	for _, res := range results {
		fmt.Fprintf(stdout, "restored %s from %s to %s: point in time %s (txid %x), %s, integrity %s, %s\n",
			res.DB, res.Replica, res.Path, res.PointInTime.Format(time.RFC3339), res.TXID, app.FormatBytes(res.Size), res.Integrity, res.Duration.Round(time.Millisecond))
		if res.DB == "orengen.db" {
			restoredKeyNote(ctx, stdout, cfg, res.Path)
		}
	}
	return nil
}

// restoredKeyNote says which vault master key the restored database
// needs, and whether this data directory has it: the key is in no replica.
func restoredKeyNote(ctx context.Context, w io.Writer, cfg *Config, path string) {
	id, err := store.ReadIdentity(ctx, path)
	if err != nil || id == nil || id.VaultKeyCheck == "" {
		return
	}
	need := app.KeyIDOfCheck(id.VaultKeyCheck)
	var have *app.Cipher
	if len(cfg.MasterKey) == 32 {
		have, _ = app.NewCipher(cfg.MasterKey)
	} else if b, err := os.ReadFile(filepath.Join(filepath.Dir(path), "master.key")); err == nil {
		if k, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(b))); err == nil {
			have, _ = app.NewCipher(k)
		}
	}
	switch {
	case have != nil && have.Check() == id.VaultKeyCheck:
		fmt.Fprintf(w, "the restored vault needs master key %s: the configured key is that key\n", need)
	case have != nil:
		fmt.Fprintf(w, "the restored vault needs master key %s, but the configured key is %s: serve will refuse to start until it has %s. Keys are in no replica: ORENGEN_MASTER_KEY in the environment file you kept (installed: /etc/orengen/orengen.env), or a copy made with `orengen vault export-key` (orengen vault import-key --data-dir %s FILE)\n",
			need, have.KeyID(), need, filepath.Dir(path))
	default:
		fmt.Fprintf(w, "the restored vault needs master key %s, and none is configured: serve will refuse to start until it has it. Keys are in no replica: set ORENGEN_MASTER_KEY from the environment file you kept (installed: /etc/orengen/orengen.env), or import a copy made with `orengen vault export-key` (orengen vault import-key --data-dir %s FILE)\n",
			need, filepath.Dir(path))
	}
}

// restoreError says what to do for the errors a user can act on.
func restoreError(err error, r backups.Replica) error {
	switch {
	case errors.Is(err, backups.ErrNoBackup):
		return fmt.Errorf("replica %s holds no backup of that database (is it the right replica and path?); nothing was changed: %w", r.Redacted(), err)
	case errors.Is(err, backups.ErrDatabaseInUse):
		return fmt.Errorf("the database is open in a running server; stop it first (systemctl stop orengen): %w", err)
	case errors.Is(err, backups.ErrForeignReplica):
		return fmt.Errorf("%w\nNothing was changed. To replace this data directory's databases with that replica's on purpose, pass --force (or --output DIR to restore beside them)", err)
	case errors.Is(err, backups.ErrDatabaseExists):
		return fmt.Errorf("the database exists; pass --force to replace it, or --output DIR to restore beside it: %w", err)
	}
	return err
}

// backupSource adapts the backups package (status file, drills in a child
// process) to the app's BackupSource.
type backupSource struct {
	cfg      *Config
	replicas []backups.Replica
	exe      string
	env      []string
}

var _ app.BackupSource = (*backupSource)(nil)

func (b *backupSource) Overview(ctx context.Context) *app.BackupOverview {
	o := &app.BackupOverview{}
	for _, r := range b.replicas {
		o.Replicas = append(o.Replicas, r.Name)
	}
	st, err := backups.ReadStatus(b.cfg.DataDir)
	if errors.Is(err, backups.ErrNoStatus) {
		o.Problem = "The replicator has not reported yet."
		return o
	} else if err != nil {
		o.Problem = "Cannot read the replicator's status: " + err.Error()
		return o
	}
	o.UpdatedAt, o.Running = st.UpdatedAt, !st.Stale()
	o.SyncInterval = seconds(st.SyncIntervalSeconds)
	if st.Stale() {
		o.Problem = fmt.Sprintf("The replicator has not reported since %s.", st.UpdatedAt.Format(time.RFC3339))
	}
	for _, d := range st.Databases {
		bd := app.BackupDB{Name: d.Name, LocalTXID: d.LocalTXID, WALSize: d.WALSize}
		if r := d.RPO; r != nil {
			bd.RPO = &app.BackupRPO{Window: seconds(r.WindowSeconds), Uploads: r.Uploads, P50: seconds(r.P50Seconds), P99: seconds(r.P99Seconds), Max: seconds(r.MaxSeconds)}
		}
		for _, r := range d.Replicas {
			bd.Replicas = append(bd.Replicas, app.BackupReplica{Name: r.Name, Target: r.Target, Primary: r.Primary, InSync: r.InSync,
				Lag: seconds(r.LagSeconds), LastSyncAt: r.LastSyncAt, Size: r.Size, Snapshots: r.Snapshots, LastError: r.LastError})
		}
		o.Databases = append(o.Databases, bd)
	}
	return o
}

func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

// Drill runs `orengen restore --drill --json` as a child process: a drill
// opens SQLite with Litestream's library, which must never run inside
// serve (two SQLite libraries in one process corrupt WAL databases).
func (b *backupSource) Drill(ctx context.Context, replica, db string, d *app.BackupDrill) error {
	var spec string
	for _, r := range b.replicas {
		if r.Name == replica {
			spec = r.Name + "=" + r.Spec // secrets reach the child through its environment
		}
	}
	args := []string{"restore", "--drill", "--json", "--replica", spec, "--db", db, "--data-dir", b.cfg.DataDir, "--backup-dir", ""}
	cmd := exec.CommandContext(ctx, b.exe, args...)
	cmd.Env = b.env
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(errb.String())
		if i := strings.LastIndex(msg, "\n"); i >= 0 {
			msg = msg[i+1:]
		}
		return fmt.Errorf("restore drill: %s (%w)", strings.TrimPrefix(msg, "orengen: "), err)
	}
	var res backups.DrillResult
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		return fmt.Errorf("restore drill: bad result %q: %w", out.String(), err)
	}
	pit := res.PointInTime
	d.Tables, d.Rows, d.Size, d.Integrity, d.PointInTime = res.Tables, res.Rows, res.Size, res.Integrity, &pit
	if res.Integrity != "ok" {
		return fmt.Errorf("integrity check: %s", res.Integrity)
	}
	return nil
}

// backupHealth reports replication lag on /healthz: degraded past the
// threshold, or when the replicator is not reporting.
func backupHealth(cfg *Config, logger *slog.Logger) ui.HealthCheck {
	return backupHealthSince(cfg, logger, time.Now())
}

// backupHealthSince is backupHealth for a serve started at since. Until
// this serve's replicator has written its first status (it starts once the
// listener serves) the status file is the previous run's, stopped: for up
// to backups.StaleAfter that is a replicator starting, reported as such,
// not a fault (every restart logged "replication lag over threshold" and
// answered degraded to its first health checks).
func backupHealthSince(cfg *Config, logger *slog.Logger, since time.Time) ui.HealthCheck {
	var warned time.Time
	return func(ctx context.Context) ui.HealthItem {
		st, err := backups.ReadStatus(cfg.DataDir)
		if (err == nil || errors.Is(err, backups.ErrNoStatus)) && st.UpdatedAt.Before(since) && time.Since(since) < backups.StaleAfter {
			return ui.HealthItem{Key: "replication", Value: map[string]any{"starting": true}, Status: "ok"}
		}
		if err != nil {
			return ui.HealthItem{Key: "replication", Value: map[string]any{"error": "no status yet"}, Status: "degraded"}
		}
		lag := st.MaxLag()
		v := map[string]any{"lag_seconds": lag.Seconds(), "updated_at": st.UpdatedAt}
		status := "ok"
		if errs := st.Errors(); len(errs) > 0 {
			v["errors"] = errs
			status = "degraded"
		}
		if st.Stale() || lag > DefaultLagThreshold {
			status = "degraded"
			if time.Since(warned) > time.Minute {
				warned = time.Now()
				logger.Warn("replication lag over threshold", "lag", lag.Round(time.Second), "threshold", DefaultLagThreshold, "stale", st.Stale())
			}
		}
		return ui.HealthItem{Key: "replication", Value: v, Status: status}
	}
}

// backupStart is what startBackups did before the databases opened.
type backupStart struct {
	sup      *backups.Supervisor // nil when no replica is configured
	replicas []backups.Replica
	started  bool                   // the replicator already runs (an upgrade)
	points   []backups.RestorePoint // reached before the migrations
	pending  []string               // migrations about to be applied
	claimed  bool                   // the replicas record this database
	probe    *store.Probe           // the reads before the open; its connection becomes the read pool's
}

// closeProbe closes the connection startBackups read the database with,
// once the pools are open (or serve gives up).
func (bs *backupStart) closeProbe() {
	if bs.probe != nil {
		bs.probe.Close()
	}
}

// forceRestoreCommand is the command that restores the foreign replica
// of err into the data directory on purpose.
func forceRestoreCommand(cfg *Config, err error) string {
	spec := "REPLICA"
	var fe *backups.ForeignReplicaError
	if errors.As(err, &fe) {
		spec = fe.Replica.Spec
	}
	return fmt.Sprintf("orengen restore --force --data-dir %s --replica %s", cfg.DataDir, spec)
}

// claim makes every replica record this database, and refuses to start
// when one holds another database's backups (two databases must never
// write one replica). A replica that cannot be reached now is claimed at
// the next start.
func (bs *backupStart) claim(ctx context.Context, cfg *Config, logger *slog.Logger, databaseID string) error {
	unreachable, err := backups.ClaimReplicas(ctx, bs.replicas, backups.Identity{DatabaseID: databaseID, DataDir: cfg.DataDir, Host: backups.ThisHost()})
	if err != nil {
		return fmt.Errorf("%w\nNothing was replicated. Point --backup-dir (or --replica) at this database's own replica (the default is the data directory's name with -backups), or move that replica aside to start a new history. To replace this data directory's databases with that replica's on purpose, stop orengen and run: %s", err, forceRestoreCommand(cfg, err))
	}
	for _, e := range unreachable {
		logger.Warn("could not check which database a replica belongs to; checked again at the next start", "err", e)
	}
	bs.claimed = true
	return nil
}

// startBackups runs restore-if-missing and, when an existing database is
// about to be migrated, starts the replicator and forces a sync so the
// upgrade has a restore point. It runs before the databases are opened.
func startBackups(ctx context.Context, cfg *Config, logger *slog.Logger) (_ *backupStart, err error) {
	reps, err := cfg.replicas()
	if err != nil {
		return nil, usageError{err}
	}
	bs := &backupStart{replicas: reps}
	if len(reps) == 0 {
		logger.Warn("no replica configured: data is not backed up (set --backup-dir or --replica)")
		return bs, nil
	}
	// One connection for every read before the open, kept for the read
	// pool (store.DB.Probe), or closed by closeProbe if serve stops first.
	bs.probe = store.NewProbe(cfg.DBPath())
	defer func() {
		if err != nil {
			bs.closeProbe()
		}
	}()
	local, err := bs.probe.Identity(ctx)
	if err != nil {
		return nil, err
	}
	if cfg.RestoreIfMissing != "false" {
		want := ""
		if local != nil {
			want = local.ID
		}
		res, err := backups.RestoreIfMissing(ctx, cfg.DataDir, want, reps, logger)
		if errors.Is(err, backups.ErrForeignReplica) {
			return nil, fmt.Errorf("restore if missing: %w\nNothing was restored. For a database of its own, point --backup-dir (or --replica) at a directory of its own (the default is the data directory's name with -backups). To take that replica's data into %s on purpose, run: %s", err, cfg.DataDir, forceRestoreCommand(cfg, err))
		} else if err != nil {
			return nil, fmt.Errorf("restore if missing: %w (fix the replica, or start with --restore-if-missing=false)", err)
		}
		for _, r := range res {
			logger.Info("restored missing database from replica", "db", r.DB, "replica", r.Replica, "point_in_time", r.PointInTime, "size", r.Size, "integrity", r.Integrity)
		}
		if len(res) > 0 {
			if local, err = bs.probe.Identity(ctx); err != nil {
				return nil, err
			}
		}
	}
	if local != nil { // else once the database is open (afterOpen)
		if err := bs.claim(ctx, cfg, logger, local.ID); err != nil {
			return nil, err
		}
	}
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	if bs.pending, err = bs.probe.Pending(ctx); err != nil {
		return nil, err
	}
	bs.sup = backups.NewSupervisor(exe, replicatorArgs(cfg), os.Environ(), logger.With("proc", "replicate"))
	if _, err := os.Stat(cfg.DBPath()); err != nil || len(bs.pending) == 0 {
		return bs, nil // a fresh or current database: the replicator starts once it is open
	}
	// An existing database is about to be migrated: ship everything first
	// and record where it is, so the upgrade can be rolled back.
	if err := bs.sup.Start(); err != nil {
		return nil, err
	}
	bs.started = true
	if bs.points, err = backups.SyncNow(ctx, cfg.DataDir, 30*time.Second); err != nil {
		logger.Warn("could not record a restore point before migrating", "err", err)
	}
	for _, p := range bs.points {
		logger.Info("restore point before migrations", "db", p.DB, "txid", p.TXIDString(), "time", p.Time, "replicas", p.Replicas, "pending", bs.pending)
	}
	return bs, nil
}

// afterOpen records the restore points in the database and wires the
// Backups page and health; startReplicator starts the replicator later.
func (bs *backupStart) afterOpen(ctx context.Context, a *App) error {
	if bs.sup == nil {
		return nil
	}
	if !bs.claimed {
		id, err := store.NewIdentityStore(a.DB).FindIdentity(ctx)
		if err != nil {
			return err
		}
		if err := bs.claim(ctx, a.Config, a.Logger, id.ID); err != nil {
			return err
		}
	}
	st := store.NewBackupStore(a.DB)
	for _, p := range bs.points {
		if p.Error != "" {
			continue
		}
		rp := &app.RestorePoint{DB: p.DB, TXID: p.TXIDString(), Time: p.Time, Replicas: strings.Join(p.Replicas, ", "),
			ToVersion: buildVersion(), Migrations: strings.Join(bs.pending, ", ")}
		if err := st.CreateRestorePoint(ctx, rp); err != nil {
			return err
		}
	}
	if err := st.FailRunningDrills(ctx, "The server stopped while the drill ran."); err != nil {
		return err
	}
	exe, _ := os.Executable()
	a.Backups = app.NewBackupService(st, &backupSource{cfg: a.Config, replicas: bs.replicas, exe: exe, env: os.Environ()})
	a.Backups.Logger = a.Logger
	a.Server.Backups = a.Backups
	a.Server.Health = append(a.Server.Health, backupHealth(a.Config, a.Logger))
	return nil
}

// startReplicator starts the replicator if it is not running yet (an
// upgrade starts it before migrating). serve calls it once its listener
// serves, so the child's start-up (its own initialisers, Litestream's)
// does not compete with serve's for the CPU before the first response.
// Nothing is lost by the wait: the writes made since the open are in the
// WAL, which Litestream ships from where its last run stopped (as it
// already did for the writes made while the child was starting).
func (bs *backupStart) startReplicator() error {
	if bs.sup == nil || bs.started {
		return nil
	}
	if err := bs.sup.Start(); err != nil {
		return err
	}
	bs.started = true
	return nil
}

// running reports whether the replicator child runs now.
func (bs *backupStart) running() bool { return bs.sup != nil && bs.sup.PID() != 0 }

// flush ships every committed write to the replicas while the databases
// are still open (closing the last connection checkpoints the WAL, which
// the replicator then has to catch up on): serve calls it after draining
// requests and before closing the databases. A replicator started a moment
// ago may not have opened the databases yet; SyncNow waits for it.
func (bs *backupStart) flush(a *App) {
	if bs.sup == nil || !bs.started {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if _, err := backups.SyncNow(ctx, a.Config.DataDir, 15*time.Second); err != nil {
		a.Logger.Warn("final sync before closing the databases", "err", err)
	}
}

// stop stops the replicator last, after the databases are closed; it
// syncs once more on SIGTERM before it exits.
func (bs *backupStart) stop(logger *slog.Logger) {
	bs.closeProbe()
	if bs.sup == nil {
		return
	}
	if err := bs.sup.Stop(backups.DefaultStopTimeout); err != nil {
		logger.Error("stop replicator", "err", err)
	}
}

// walValveSize is the WAL size at which serve checkpoints by itself while
// the replicator is not running: twice Litestream's own truncating
// checkpoint (~500 MB), so a replicator that runs is never overtaken.
const walValveSize = 1 << 30

// walValve bounds the WALs while the replicator is down. serve leaves
// checkpoints to the replicator (store.DB.ReplicatorCheckpoints), so a
// replicator that keeps failing before its first checkpoint (a crash loop)
// would let the WALs grow until the disk fills and writes fail. Every
// interval, a WAL over limit while running reports false is checkpointed
// and truncated: the replicator, once back, finds the WAL truncated and
// takes a new snapshot rather than missing the frames it never shipped.
func (a *App) walValve(ctx context.Context, running func() bool, interval time.Duration, limit int64) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			a.checkWALs(ctx, running, limit)
		}
	}
}

// startWALValve runs walValve while the replicator is supervised and
// returns the function that stops it and waits for it (twice is fine).
func (bs *backupStart) startWALValve(ctx context.Context, a *App) (stop func()) {
	if bs.sup == nil {
		return func() {}
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		a.walValve(ctx, bs.running, 10*time.Second, walValveSize)
	}()
	return func() { cancel(); <-done }
}

// checkWALs is one round of walValve.
func (a *App) checkWALs(ctx context.Context, running func() bool, limit int64) {
	for _, db := range []struct {
		path       string
		checkpoint func(context.Context) error
	}{{a.DB.Path, a.DB.CheckpointTruncate}, {a.KV.Path, a.KV.CheckpointTruncate}} {
		fi, err := os.Stat(db.path + "-wal")
		if err != nil || fi.Size() <= limit || running() {
			continue
		}
		if err := db.checkpoint(ctx); err != nil {
			a.Logger.Error("the replicator is not running and the WAL keeps growing; checkpoint failed", "db", filepath.Base(db.path), "wal_bytes", fi.Size(), "err", err)
			continue
		}
		a.Logger.Error("the replicator is not running and the WAL outgrew its bound: checkpointed it so the disk does not fill; the replicator takes a new snapshot when it runs again (see the Backups page)",
			"db", filepath.Base(db.path), "wal_bytes", fi.Size())
	}
}
