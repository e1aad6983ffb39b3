package app

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// TenantImportJob is a tenant import from Nexus or the admin API (issue #22):
// an uploaded export file, checked at once by a dry run (what it creates,
// counted per table, or the reason it is refused), then imported in the
// background with its progress. The import itself is the CLI's
// (TenantTransferStore.ImportTenant): one transaction, nothing half
// written.
type TenantImportJob struct {
	ID       string
	FileName string
	Size     int64
	Started  time.Time
	// Check is the dry run's result; CheckErr the reason the file is
	// refused (then it cannot be imported as it is).
	Check    *TransferSummary
	CheckErr string
	Slug     string // the slug asked for ("" : the file's)
	Running  bool
	Progress TransferProgress
	Summary  *TransferSummary // set when imported
	Err      string           // the last import's failure
	By       string
	path     string
	updated  time.Time
}

// Done reports whether the file was imported.
func (j *TenantImportJob) Done() bool { return j.Summary != nil }

// Percent is the share of tables done.
func (j *TenantImportJob) Percent() int {
	if j.Summary != nil {
		return 100
	}
	if j.Progress.Total == 0 {
		return 0
	}
	return j.Progress.Done * 100 / j.Progress.Total
}

// TableCount is one line of a dry run's counts.
type TableCount struct {
	Table string
	Rows  int64
}

// Tables lists a summary's row counts per table, the tables with rows
// only, by name.
func (s *TransferSummary) Tables() []TableCount {
	var out []TableCount
	for t, n := range s.Counts {
		if n > 0 {
			out = append(out, TableCount{t, n})
		}
	}
	sort.Slice(out, func(a, b int) bool { return out[a].Table < out[b].Table })
	return out
}

func (s *TenantTransferService) importDir() string { return filepath.Join(s.Dir, "imports") }

// StageImport takes an uploaded export file (moved from src, which is
// gone afterwards), checks it with a dry run and returns its job: a file
// that is not a complete export of a known schema, or whose slug, users or
// domains exist here, has CheckErr set with the reason.
func (s *TenantTransferService) StageImport(ctx context.Context, src, fileName, by string) (*TenantImportJob, error) {
	if s.Dir == "" {
		return nil, Errorf(EINTERNAL, "No directory for imports is configured.")
	}
	if err := os.MkdirAll(s.importDir(), 0o700); err != nil {
		return nil, fmt.Errorf("create import directory: %w", err)
	}
	s.sweep()
	var b [12]byte
	rand.Read(b[:])
	j := &TenantImportJob{ID: hex.EncodeToString(b[:]), FileName: fileName, Started: time.Now(), By: by}
	j.path = filepath.Join(s.importDir(), j.ID+".sqlite")
	if err := moveFile(src, j.path); err != nil {
		return nil, err
	}
	if fi, err := os.Stat(j.path); err == nil {
		j.Size = fi.Size()
	}
	if err := s.check(ctx, j, ""); err != nil {
		os.Remove(j.path)
		return nil, err
	}
	s.mu.Lock()
	if s.imports == nil {
		s.imports = map[string]*TenantImportJob{}
	}
	s.imports[j.ID] = j
	s.mu.Unlock()
	return s.ImportJob(j.ID)
}

func moveFile(src, dst string) error {
	if err := os.Rename(src, dst); err == nil {
		return nil
	}
	in, err := os.Open(src)
	if err != nil {
		return fmt.Errorf("open upload: %w", err)
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("stage import: %w", err)
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		os.Remove(dst)
		return fmt.Errorf("stage import: %w", err)
	}
	os.Remove(src)
	return out.Close()
}

// check runs the dry run for slug and records its result on j. Only an
// internal failure is returned.
func (s *TenantTransferService) check(ctx context.Context, j *TenantImportJob, slug string) error {
	sum, err := s.store.ImportTenant(ctx, j.path, ImportOptions{Slug: slug, DryRun: true})
	s.mu.Lock()
	defer s.mu.Unlock()
	j.Slug, j.updated = slug, time.Now()
	if err != nil {
		if ErrorCode(err) == EINTERNAL {
			return err
		}
		j.Check, j.CheckErr = nil, ErrorMessage(err)
		return nil
	}
	j.Check, j.CheckErr = sum, ""
	return nil
}

func (s *TenantTransferService) importJob(id string) (*TenantImportJob, error) {
	j := s.imports[id]
	if j == nil {
		return nil, Errorf(ENOTFOUND, "Import not found (uploaded files are kept %s).", s.keep())
	}
	return j, nil
}

// ImportJob returns a copy of an import job. Returns ENOTFOUND.
func (s *TenantTransferService) ImportJob(id string) (*TenantImportJob, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	j, err := s.importJob(id)
	if err != nil {
		return nil, err
	}
	cp := *j
	return &cp, nil
}

// ImportJobs lists the import jobs, newest first.
func (s *TenantTransferService) ImportJobs() []*TenantImportJob {
	s.sweep()
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*TenantImportJob, 0, len(s.imports))
	for _, j := range s.imports {
		cp := *j
		out = append(out, &cp)
	}
	sort.Slice(out, func(a, b int) bool { return out[a].Started.After(out[b].Started) })
	return out
}

// CheckImport runs the dry run again under another slug ("" : the
// file's). Returns ENOTFOUND, or ECONFLICT while importing or once done.
func (s *TenantTransferService) CheckImport(ctx context.Context, id, slug string) (*TenantImportJob, error) {
	s.mu.Lock()
	j, err := s.importJob(id)
	if err == nil && (j.Running || j.Summary != nil) {
		err = Errorf(ECONFLICT, "This file is being imported or was imported already.")
	}
	s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	if err := s.check(ctx, j, strings.ToLower(strings.TrimSpace(slug))); err != nil {
		return nil, err
	}
	return s.ImportJob(id)
}

// StartImport imports the job's file as a new tenant in the background
// (slug "" : the file's). The dry run is run first, so a refusal is
// answered at once: EINVALID naming "file" or "slug" with the reason.
// Returns ENOTFOUND, or ECONFLICT while importing or once done.
func (s *TenantTransferService) StartImport(ctx context.Context, id, slug string) (*TenantImportJob, error) {
	j, err := s.CheckImport(ctx, id, slug)
	if err != nil {
		return nil, err
	}
	if j.CheckErr != "" {
		field := "file"
		if j.Slug != "" || strings.Contains(strings.ToLower(j.CheckErr), "slug") {
			field = "slug"
		}
		return nil, FieldErrorf(field, "%s", j.CheckErr)
	}
	s.mu.Lock()
	live, err := s.importJob(id)
	if err == nil && (live.Running || live.Summary != nil) {
		err = Errorf(ECONFLICT, "This file is being imported or was imported already.")
	}
	if err != nil {
		s.mu.Unlock()
		return nil, err
	}
	live.Running, live.Err, live.Progress, live.updated = true, "", TransferProgress{}, time.Now()
	cp := *live
	s.mu.Unlock()
	bg := context.WithoutCancel(ctx)
	go func() {
		sum, err := s.Import(bg, live.path, ImportOptions{Slug: live.Slug, Progress: func(p TransferProgress) {
			s.mu.Lock()
			live.Progress, live.updated = p, time.Now()
			s.mu.Unlock()
		}})
		s.mu.Lock()
		defer s.mu.Unlock()
		live.Running, live.updated = false, time.Now()
		if err != nil {
			live.Err = ErrorMessage(err)
			if s.Logger != nil && ErrorCode(err) == EINTERNAL {
				s.Logger.Error("tenant import failed", "file", live.FileName, "err", err)
			}
			return
		}
		live.Summary = sum
		os.Remove(live.path) // imported: the file is not needed any more
	}()
	return &cp, nil
}
