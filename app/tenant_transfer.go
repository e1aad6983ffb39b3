package app

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"
)

// TransferProgress reports an export or import after each table.
type TransferProgress struct {
	Table string // the table just copied
	Done  int    // tables done
	Total int    // tables in all
	Rows  int64  // rows so far
}

// TransferSummary is what an export or import did.
type TransferSummary struct {
	Tenant        string // slug
	TenantID      int64  // import: the new tenant's id
	SchemaVersion string // the newest migration of the exporting appliance
	Rows          int64
	Files         int64 // files (attachments, site files, logo) inside the rows
	Bytes         int64 // export: the file's size
	Counts        map[string]int64
	DryRun        bool
	Duration      time.Duration
}

// ImportOptions control ImportTenant.
type ImportOptions struct {
	Slug     string // "": the slug in the file
	DryRun   bool   // check and count, then roll back
	Progress func(TransferProgress)
}

// TenantTransferStore writes a tenant to one SQLite file and reads such a
// file back as a new tenant.
type TenantTransferStore interface {
	// ExportTenant returns ENOTFOUND for an unknown tenant.
	ExportTenant(ctx context.Context, tenantID int64, path string, progress func(TransferProgress)) (*TransferSummary, error)
	// ImportTenant returns EINVALID for a file that is not a complete
	// export of a known schema, ECONFLICT when its slug, a user's email or
	// a domain exists here.
	ImportTenant(ctx context.Context, path string, opt ImportOptions) (*TransferSummary, error)
}

// ExportJob is an export started from Nexus, running in the background.
type ExportJob struct {
	ID        string
	TenantID  int64
	Slug      string
	Started   time.Time
	Progress  TransferProgress
	Summary   *TransferSummary // set when done
	Err       string           // set when it failed
	path      string
	finished  bool
	updatedAt time.Time
}

// Finished reports whether the job is over (done or failed).
func (j *ExportJob) Finished() bool { return j.finished }

// Percent is the share of tables done.
func (j *ExportJob) Percent() int {
	if j.finished && j.Err == "" {
		return 100
	}
	if j.Progress.Total == 0 {
		return 0
	}
	return j.Progress.Done * 100 / j.Progress.Total
}

// FileName is the name the download is saved under.
func (j *ExportJob) FileName() string {
	return fmt.Sprintf("%s-%s.orengen-export.sqlite", j.Slug, j.Started.UTC().Format("20060102-150405"))
}

// DefaultExportKeep is how long a finished export file stays for download.
const DefaultExportKeep = 24 * time.Hour

// TenantTransferService runs tenant exports and imports: the CLI calls
// the store through it, and Nexus starts exports in the background and
// downloads them when done.
type TenantTransferService struct {
	store   TenantTransferStore
	Tenants TenantStore
	Audit   *AuditService
	// Dir holds the export files Nexus makes (inside the data directory).
	Dir    string
	Keep   time.Duration // default DefaultExportKeep
	Logger *slog.Logger

	mu      sync.Mutex
	jobs    map[string]*ExportJob
	imports map[string]*TenantImportJob // tenant_import.go
}

// NewTenantTransferService returns the service of tenant export and
// import on its store; the wiring sets the other fields. The store stays
// private: callers go through the service.
func NewTenantTransferService(st TenantTransferStore) *TenantTransferService {
	return &TenantTransferService{store: st}
}

// Export writes the tenant with slug to path. Returns ENOTFOUND.
func (s *TenantTransferService) Export(ctx context.Context, slug, path string, progress func(TransferProgress)) (*TransferSummary, error) {
	t, err := s.Tenants.FindTenantBySlug(ctx, slug)
	if err != nil {
		return nil, err
	}
	if path == "" {
		return nil, FieldErrorf("output", "Output file required.")
	}
	return s.store.ExportTenant(ctx, t.ID, path, progress)
}

// Import reads an export file as a new tenant (see TenantTransferStore).
func (s *TenantTransferService) Import(ctx context.Context, path string, opt ImportOptions) (*TransferSummary, error) {
	if path == "" {
		return nil, FieldErrorf("file", "Export file required.")
	}
	sum, err := s.store.ImportTenant(ctx, path, opt)
	if err == nil && !opt.DryRun && s.Audit != nil {
		s.Audit.Record(ctx, "tenant.import", sum.Tenant, fmt.Sprintf("%d rows from %s", sum.Rows, filepath.Base(path)))
	}
	return sum, err
}

// StartExport begins exporting a tenant in the background and returns
// its job. Returns ENOTFOUND for an unknown tenant.
func (s *TenantTransferService) StartExport(ctx context.Context, tenantID int64) (*ExportJob, error) {
	t, err := s.Tenants.FindTenantByID(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	if s.Dir == "" {
		return nil, Errorf(EINTERNAL, "No directory for exports is configured.")
	}
	if err := os.MkdirAll(s.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("create export directory: %w", err)
	}
	s.sweep()
	var b [12]byte
	rand.Read(b[:])
	j := &ExportJob{ID: hex.EncodeToString(b[:]), TenantID: t.ID, Slug: t.Slug, Started: time.Now()}
	j.path = filepath.Join(s.Dir, j.ID+".sqlite")
	s.mu.Lock()
	if s.jobs == nil {
		s.jobs = map[string]*ExportJob{}
	}
	s.jobs[j.ID] = j
	s.mu.Unlock()
	if s.Audit != nil {
		s.Audit.Record(ctx, "tenant.export", t.Slug, "")
	}
	// The export outlives the request that started it.
	bg := context.WithoutCancel(ctx)
	go func() {
		sum, err := s.store.ExportTenant(bg, t.ID, j.path, func(p TransferProgress) {
			s.mu.Lock()
			j.Progress, j.updatedAt = p, time.Now()
			s.mu.Unlock()
		})
		s.mu.Lock()
		defer s.mu.Unlock()
		j.finished, j.updatedAt = true, time.Now()
		if err != nil {
			j.Err = ErrorMessage(err)
			if s.Logger != nil {
				s.Logger.Error("tenant export failed", "tenant", t.Slug, "err", err)
			}
			return
		}
		j.Summary = sum
	}()
	return j, nil
}

// ExportJob returns a copy of a tenant's job. Returns ENOTFOUND.
func (s *TenantTransferService) ExportJob(tenantID int64, id string) (*ExportJob, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	j := s.jobs[id]
	if j == nil || j.TenantID != tenantID {
		return nil, Errorf(ENOTFOUND, "Export not found (exports are kept %s).", s.keep())
	}
	cp := *j
	return &cp, nil
}

// ExportJobs lists a tenant's exports, newest first.
func (s *TenantTransferService) ExportJobs(tenantID int64) []*ExportJob {
	s.sweep()
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*ExportJob
	for _, j := range s.jobs {
		if j.TenantID == tenantID {
			cp := *j
			out = append(out, &cp)
		}
	}
	sort.Slice(out, func(a, b int) bool { return out[a].Started.After(out[b].Started) })
	return out
}

// ExportFile opens a finished export for download. Returns ENOTFOUND, or
// ECONFLICT while it is still running.
func (s *TenantTransferService) ExportFile(tenantID int64, id string) (*os.File, *ExportJob, error) {
	j, err := s.ExportJob(tenantID, id)
	if err != nil {
		return nil, nil, err
	}
	if !j.finished {
		return nil, nil, Errorf(ECONFLICT, "The export is still running.")
	}
	if j.Err != "" {
		return nil, nil, Errorf(ENOTFOUND, "The export failed: %s", j.Err)
	}
	f, err := os.Open(j.path)
	if err != nil {
		return nil, nil, Errorf(ENOTFOUND, "Export file not found.")
	}
	return f, j, nil
}

func (s *TenantTransferService) keep() time.Duration {
	if s.Keep > 0 {
		return s.Keep
	}
	return DefaultExportKeep
}

// sweep forgets finished exports older than Keep and deletes their files.
func (s *TenantTransferService) sweep() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, j := range s.jobs {
		if j.finished && time.Since(j.updatedAt) > s.keep() {
			os.Remove(j.path)
			delete(s.jobs, id)
		}
	}
	for id, j := range s.imports {
		if !j.Running && time.Since(j.updated) > s.keep() {
			os.Remove(j.path)
			delete(s.imports, id)
		}
	}
}
