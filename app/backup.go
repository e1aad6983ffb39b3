package app

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// BackupOverview is the replication state shown on the Backups page: every
// database on every replica.
type BackupOverview struct {
	UpdatedAt time.Time
	Running   bool   // the replicator is running and reporting
	Problem   string // why the state is unknown, if it is
	Replicas  []string
	Databases []BackupDB
	// SyncInterval is how often new writes are shipped to the primary
	// replica (--backup-sync-interval); 0 when unknown.
	SyncInterval time.Duration
}

// BackupDB is one replicated database.
type BackupDB struct {
	Name      string
	LocalTXID uint64
	WALSize   int64
	Replicas  []BackupReplica
	// RPO is how long recent writes waited to reach the primary replica;
	// nil when nothing was written recently.
	RPO *BackupRPO
}

// BackupRPO is the recovery point objective as observed over Window: for
// each upload to the primary replica, an upper bound of how long its
// oldest write waited. Losing the machine at once loses about that much
// of the latest writes.
type BackupRPO struct {
	Window        time.Duration
	Uploads       int
	P50, P99, Max time.Duration
}

// BackupReplica is one database on one replica.
type BackupReplica struct {
	Name       string
	Target     string
	Primary    bool
	InSync     bool
	Lag        time.Duration
	LastSyncAt time.Time
	Size       int64
	Snapshots  int
	LastError  string
}

// BackupDrill is one restore drill: the latest snapshot restored to a
// temporary file, integrity-checked, counted and deleted.
type BackupDrill struct {
	ID          int64
	Replica     string
	DB          string
	Status      string // running, ok, failed
	StartedAt   time.Time
	FinishedAt  *time.Time
	Duration    time.Duration
	Tables      int
	Rows        int64
	Size        int64
	Integrity   string
	PointInTime *time.Time
	Error       string
	AdminID     int64
}

// RestorePoint is a state recorded before an upgrade's migrations.
type RestorePoint struct {
	ID          int64
	DB          string
	TXID        string
	Time        time.Time
	Replicas    string
	FromVersion string
	ToVersion   string
	Migrations  string
	CreatedAt   time.Time
}

// BackupStore keeps drill history and restore points.
type BackupStore interface {
	CreateDrill(ctx context.Context, d *BackupDrill) error
	FinishDrill(ctx context.Context, d *BackupDrill) error
	// FindDrills returns the newest drills first.
	FindDrills(ctx context.Context, limit int) ([]*BackupDrill, error)
	CreateRestorePoint(ctx context.Context, p *RestorePoint) error
	FindRestorePoints(ctx context.Context, limit int) ([]*RestorePoint, error)
	// FailRunningDrills marks drills left running by a stopped server.
	FailRunningDrills(ctx context.Context, reason string) error
}

// BackupSource reads the replicator's state and runs drills (outside the
// serving process: a drill opens SQLite with Litestream's library).
type BackupSource interface {
	Overview(ctx context.Context) *BackupOverview
	// Drill restores db from the named replica into a temporary file and
	// fills the result fields of d.
	Drill(ctx context.Context, replica, db string, d *BackupDrill) error
}

// DrillTimeout bounds one restore drill.
const DrillTimeout = 10 * time.Minute

// BackupService runs restore drills and reports replication state.
type BackupService struct {
	store  BackupStore
	Source BackupSource
	Logger *slog.Logger

	mu      sync.Mutex
	running bool
	wg      sync.WaitGroup
}

// NewBackupService returns the backup service keeping its drills in st
// and reading replication state from src; the caller sets Logger.
func NewBackupService(st BackupStore, src BackupSource) *BackupService {
	return &BackupService{store: st, Source: src}
}

// Overview returns the replication state.
func (s *BackupService) Overview(ctx context.Context) *BackupOverview { return s.Source.Overview(ctx) }

// StartDrill starts a drill of db on the named replica in the background
// and returns its record (status running). Returns EINVALID for an unknown
// replica and ECONFLICT while another drill runs.
func (s *BackupService) StartDrill(ctx context.Context, replica, db string) (*BackupDrill, error) {
	known := false
	for _, r := range s.Source.Overview(ctx).Replicas {
		known = known || r == replica
	}
	if !known {
		return nil, FieldErrorf("replica", "Unknown replica %q.", replica)
	}
	if db != "orengen.db" && db != "redka.db" {
		return nil, FieldErrorf("db", "Choose orengen.db or redka.db.")
	}
	s.mu.Lock()
	if s.running {
		s.mu.Unlock()
		return nil, Errorf(ECONFLICT, "A restore drill is already running; wait for it to finish.")
	}
	s.running = true
	s.mu.Unlock()
	d := &BackupDrill{Replica: replica, DB: db, Status: "running", StartedAt: time.Now().UTC()}
	if a := AdminFromContext(ctx); a != nil {
		d.AdminID = a.ID
	}
	if err := s.store.CreateDrill(ctx, d); err != nil {
		s.mu.Lock()
		s.running = false
		s.mu.Unlock()
		return nil, err
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer func() { s.mu.Lock(); s.running = false; s.mu.Unlock() }()
		dctx, cancel := context.WithTimeout(context.Background(), DrillTimeout)
		defer cancel()
		t0 := time.Now()
		err := s.Source.Drill(dctx, replica, db, d)
		d.Duration = time.Since(t0)
		now := time.Now().UTC()
		d.FinishedAt = &now
		d.Status = "ok"
		if err != nil {
			d.Status, d.Error = "failed", err.Error()
		}
		if ferr := s.store.FinishDrill(context.Background(), d); ferr != nil {
			s.log().Error("record restore drill", "err", ferr)
		}
		s.log().Info("restore drill finished", "replica", replica, "db", db, "status", d.Status, "rows", d.Rows, "duration_ms", d.Duration.Milliseconds(), "err", d.Error)
	}()
	return d, nil
}

// Wait waits for a running drill (at shutdown and in tests).
func (s *BackupService) Wait() { s.wg.Wait() }

// Drills returns the drill history, newest first.
func (s *BackupService) Drills(ctx context.Context) ([]*BackupDrill, error) {
	return s.store.FindDrills(ctx, 50)
}

// RestorePoints returns recorded restore points, newest first.
func (s *BackupService) RestorePoints(ctx context.Context) ([]*RestorePoint, error) {
	return s.store.FindRestorePoints(ctx, 20)
}

func (s *BackupService) log() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.Default()
}
